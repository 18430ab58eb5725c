"""Step rate of a 1,000-entity ExampleSim under mosaik 3.6.0: the Python
original vs our Rust port (``examples/mosaik_example_sim.rs``).

    mosaik_bench.py --sim python|rust [--entities N] [--until STEPS]

One ExampleSim with N ``A`` entities feeds another with N ``B`` entities
(``A.val_out -> B.val_in``, every step); both run the chosen
implementation with the cmd starter.  Prints ``STEPS_PER_S <impl> <rate>``:
simulated steps per wall-clock second of ``world.run`` (mosaik's own
scheduling included, as a user sees it).
"""
import argparse
import sys
import time

import mosaik

import mosaik_common


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--sim', choices=['python', 'rust'], required=True)
    parser.add_argument('--entities', type=int, default=1000)
    parser.add_argument('--until', type=int, default=100)
    opts = parser.parse_args()
    world = mosaik.World({'ExampleSim': mosaik_common.sim_config('sim', opts.sim)})
    a = world.start('ExampleSim').A.create(opts.entities, init_val=0)
    b = world.start('ExampleSim').B.create(opts.entities, init_val=0)
    for src, dest in zip(a, b):
        world.connect(src, dest, ('val_out', 'val_in'))
    start = time.perf_counter()
    world.run(until=opts.until, print_progress=False)
    elapsed = time.perf_counter() - start
    print('STEPS_PER_S {} {:.1f}'.format(opts.sim, opts.until / elapsed))


if __name__ == '__main__':
    sys.exit(main())
