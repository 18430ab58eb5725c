"""What the mosaik scenario scripts share.

- :class:`Collector`: an event-based mosaik simulator (python starter) whose
  ``Monitor`` records every input it gets in :data:`COLLECTED`
  (``{source full id: {attr: {time: value}}}``).
- :func:`sim_config`: the ``SIM_CONFIG`` entry that starts the Python
  original or our Rust port of mosaik-api-v3's ``example_sim`` /
  ``example_mas``, with the ``cmd`` starter or (Rust only) the ``connect``
  starter; :func:`stop_listeners` ends what ``connect`` started.
- :func:`rust_bin`: the path of a built example binary; :func:`script`: the
  path of a peer script here.

The Rust binaries live in ``$AIOMAS_EXAMPLES_DIR`` (the test sets it to
``target/debug/examples``).
"""
import json
import os
import re
import subprocess
import sys
import threading

import mosaik_api_v3

COLLECTED = {}

COLLECTOR_META = {
    'type': 'event-based',
    'models': {
        'Monitor': {'public': True, 'any_inputs': True, 'params': [], 'attrs': []},
    },
}


class Collector(mosaik_api_v3.Simulator):
    def __init__(self):
        super().__init__(COLLECTOR_META)
        self.eid = None

    def init(self, sid, time_resolution, every=None):
        """With *every*, a time-based collector stepping every *every* steps
        (else event-based: stepped by its inputs)."""
        self.every = every
        if every:
            self.meta['type'] = 'time-based'
        return self.meta

    def create(self, num, model):
        assert num == 1 and self.eid is None, 'one Monitor only'
        self.eid = 'Monitor'
        return [{'eid': self.eid, 'type': model}]

    def step(self, time, inputs, max_advance):
        for attr, values in inputs.get(self.eid, {}).items():
            for src, value in values.items():
                COLLECTED.setdefault(src, {}).setdefault(attr, {})[time] = value
        return time + self.every if self.every else None

    def get_data(self, outputs):
        return {}


def collected_json():
    """The collected data as one JSON line, keys sorted (mosaik hands a
    simulator its inputs in set order, which varies between runs)."""
    return json.dumps(COLLECTED, sort_keys=True)


def script(name):
    """The path of the peer script *name* next to this module."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), name)


PYTHON_LAUNCHER = script('mosaik_python_example.py')
RUST_BINARIES = {'sim': 'mosaik_example_sim', 'mas': 'mosaik_example_mas'}

_listeners = []


def rust_bin(name):
    directory = os.environ.get('AIOMAS_EXAMPLES_DIR')
    if not directory:
        sys.exit('AIOMAS_EXAMPLES_DIR is not set (the Rust example binaries)')
    path = os.path.join(directory, name)
    if not os.path.isfile(path):
        sys.exit('missing Rust example binary {} (cargo build --examples)'.format(path))
    return path


def sim_config(kind, impl, starter='cmd', args=()):
    """The SIM_CONFIG entry of *kind* ('sim' or 'mas') in *impl* ('python'
    or 'rust'), started with *starter* ('cmd' or 'connect')."""
    extra = ''.join(' ' + a for a in args)
    if impl == 'python':
        assert starter == 'cmd', 'the Python examples run with the cmd starter'
        return {
            'cmd': '%(python)s {} {} %(addr)s{}'.format(PYTHON_LAUNCHER, kind, extra),
            'env': {'PYTHONUNBUFFERED': '1'},
        }
    binary = rust_bin(RUST_BINARIES[kind])
    if starter == 'cmd':
        return {'cmd': '{} %(addr)s{}'.format(binary, extra)}
    return {'connect': listen(binary, args)}


def start(world, name, kind, impl, starter, **sim_params):
    """``world.start(name, ...)``; with the connect starter, a fresh
    listening simulator for each start."""
    if starter == 'connect':
        world.sim_config[name] = sim_config(kind, impl, starter)
    return world.start(name, **sim_params)


def listen(binary, args=()):
    """Start *binary* with ``-r 127.0.0.1:0`` and return the address it
    listens on (read from its log line on stderr)."""
    proc = subprocess.Popen(
        [binary, '-r', '127.0.0.1:0', *args],
        stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    pattern = re.compile(r'awaits connection from mosaik on (\S+:\d+)')
    for line in proc.stderr:
        found = pattern.search(line)
        if found:
            break
    else:
        sys.exit('{} did not report its address (exit {})'.format(binary, proc.wait()))
    # Keep draining its log so it never blocks on a full pipe.
    threading.Thread(target=lambda: [sys.stderr.write(l) for l in proc.stderr],
                     daemon=True).start()
    _listeners.append(proc)
    return found.group(1)


def stop_listeners(timeout=10):
    """Wait for the simulators started by :func:`listen` and return their
    exit codes."""
    codes = [proc.wait(timeout) for proc in _listeners]
    _listeners.clear()
    return codes
