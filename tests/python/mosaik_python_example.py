"""Runs mosaik-api-v3's Python example simulator *KIND* (``sim`` or ``mas``)
with the rest of the command line: ``mosaik_python_example.py KIND HOST:PORT``.
(``example_mas`` cannot run with ``python -m``: it has no ``__main__`` guard.)"""
import importlib
import sys

MODULES = {'sim': 'example_sim.mosaik', 'mas': 'example_mas.mosaik'}

if __name__ == '__main__':
    kind = sys.argv.pop(1)
    sys.exit(importlib.import_module(MODULES[kind]).main())
