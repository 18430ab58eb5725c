"""mosaik 3.6.0 scenarios with mosaik-api-v3's example simulators, in their
Python originals or our Rust ports.

    mosaik_scenario.py data|mas --sim python|rust [--mas python|rust]
                       [--starter cmd|connect] [--until N] [--step-size N]

Both scenarios use two ExampleSims, one with 3 ``A`` (init_val 0.5), one
with 3 ``B`` (init_val 1.5) entities, and ``A.val_out -> B.val_in``.

- ``data``: a collector monitors every ``val_out``; stdout is
  ``COLLECTED <json>`` (what it received).
- ``mas``: an ExampleMAS agent per ``A``/``B`` pair, connected to both with
  ``async_requests=True``: the agents print the progress, their related
  entities and their ``val_out``, and set ``val_in = 23`` on them.  Stdout
  is what ExampleMAS prints.  (Every simulator waits for the MAS, so the
  progress mosaik reports is the same in every run; a collector would step
  concurrently and make it vary.)

- ``agents``: see :func:`run_agents` (Rust simulators only).
- ``aiomas``: see :func:`run_aiomas` (a Python MAS of aiomas agents, a Rust
  ExampleSim).

With the connect starter the last line is ``EXIT CODES [..]`` of the
simulators the script started.
"""
import argparse
import sys

import mosaik
import mosaik.util

import mosaik_common


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('scenario', choices=['data', 'mas', 'agents', 'aiomas'])
    parser.add_argument('--sim', choices=['python', 'rust'], required=True)
    parser.add_argument('--mas', choices=['python', 'rust'], default='python')
    parser.add_argument('--starter', choices=['cmd', 'connect'], default='cmd')
    parser.add_argument('--until', type=int, default=5)
    parser.add_argument('--step-size', type=int, default=1)
    opts = parser.parse_args()

    if opts.scenario == 'agents':
        return run_agents(opts)
    if opts.scenario == 'aiomas':
        return run_aiomas(opts)
    sim_config = {'Collector': {'python': 'mosaik_common:Collector'}}
    if opts.starter == 'cmd':
        sim_config['ExampleSim'] = mosaik_common.sim_config('sim', opts.sim)
        sim_config['ExampleMAS'] = mosaik_common.sim_config('mas', opts.mas)
    world = mosaik.World(sim_config)

    def start(name, kind, impl, **sim_params):
        return mosaik_common.start(world, name, kind, impl, opts.starter, **sim_params)

    sim_a = start('ExampleSim', 'sim', opts.sim, step_size=opts.step_size)
    sim_b = start('ExampleSim', 'sim', opts.sim, step_size=opts.step_size)
    a = sim_a.A.create(3, init_val=0.5)
    b = sim_b.B.create(3, init_val=1.5)
    for src, dest in zip(a, b):
        world.connect(src, dest, ('val_out', 'val_in'))

    if opts.scenario == 'data':
        monitor = world.start('Collector').Monitor()
        mosaik.util.connect_many_to_one(world, a + b, monitor, 'val_out')
    else:
        agents = start('ExampleMAS', 'mas', opts.mas).Agent.create(len(b))
        for agent, src, dest in zip(agents, a, b):
            world.connect(src, agent, async_requests=True)
            world.connect(dest, agent, async_requests=True)

    world.run(until=opts.until, print_progress=False)
    if opts.scenario == 'data':
        print('COLLECTED', mosaik_common.collected_json())
    if opts.starter == 'connect':
        print('EXIT CODES', mosaik_common.stop_listeners())


def run_agents(opts):
    """Two Rust ExampleSim ``A`` (init_val 0 and 10, step_size 3) feed two
    Watcher agents (``examples/mosaik_agents.rs``, threshold 5); a collector
    monitors their ``alarms`` and ``patrols``."""
    sim_config = {
        'ExampleSim': mosaik_common.sim_config('sim', 'rust'),
        'Watchers': {'cmd': mosaik_common.rust_bin('mosaik_agents') + ' %(addr)s'},
        'Collector': {'python': 'mosaik_common:Collector'},
    }
    world = mosaik.World(sim_config)
    sim = world.start('ExampleSim', step_size=3)
    a = sim.A.create(1, init_val=0) + sim.A.create(1, init_val=10)
    watchers = world.start('Watchers').Watcher.create(2, threshold=5)
    # An event-based collector behind the self-stepping watchers trips an assertion
    # of mosaik 3.6.0's scheduler ("cannot progress backwards"); a time-based one works.
    monitor = world.start('Collector', every=1).Monitor()
    for src, dest in zip(a, watchers):
        world.connect(src, dest, ('val_out', 'val_in'))
    mosaik.util.connect_many_to_one(world, watchers, monitor, 'alarms', 'patrols')
    world.run(until=opts.until, print_progress=False)
    print('COLLECTED', mosaik_common.collected_json())


def run_aiomas(opts):
    """Two Python aiomas agents (``mosaik_aiomas_mas.py``, factors 2 and 3)
    each read ``val_out`` of their own ``A`` of a Rust ExampleSim (init_val 1
    and 10) and write factor times that to ``val_in`` of one shared ``B``
    (init_val 0), all through mosaik's async requests; a collector monitors
    every ``val_out`` and the agents' ``read`` and ``wrote``."""
    sim_config = {
        'ExampleSim': mosaik_common.sim_config('sim', opts.sim),
        'AiomasMAS': {
            'cmd': '%(python)s {} %(addr)s'.format(mosaik_common.script('mosaik_aiomas_mas.py')),
            'env': {'PYTHONUNBUFFERED': '1'},
        },
        'Collector': {'python': 'mosaik_common:Collector'},
    }
    world = mosaik.World(sim_config)
    sim = world.start('ExampleSim', step_size=opts.step_size)
    a = sim.A.create(1, init_val=1) + sim.A.create(1, init_val=10)
    b = sim.B.create(1, init_val=0)[0]
    mas = world.start('AiomasMAS')
    agents = mas.Controller.create(1, factor=2) + mas.Controller.create(1, factor=3)
    monitor = world.start('Collector').Monitor()
    for src, agent in zip(a, agents):
        world.connect(src, agent, async_requests=True)
        world.connect(b, agent, async_requests=True)
    mosaik.util.connect_many_to_one(world, a + [b], monitor, 'val_out')
    mosaik.util.connect_many_to_one(world, agents, monitor, 'read', 'wrote')
    world.run(until=opts.until, print_progress=False)
    print('COLLECTED', mosaik_common.collected_json())


if __name__ == '__main__':
    sys.exit(main())
