"""Checks of a simulator under mosaik 3.6.0: errors, extra methods,
non-finite floats, async requests refused by mosaik.

    mosaik_checks.py --sim python|rust [--mas python|rust]

``--sim`` picks mosaik-api-v3's Python ``example_sim`` or our Rust port; the
error texts are the same for both (Python's).  A failing ``init`` is
checked for Rust only: mosaik-api-v3 crashes there.  With ``--mas rust`` it also
checks that mosaik's own failure (an async request without
``async_requests=True``) reaches the Rust MAS and comes back to mosaik with
its type and message.  Prints ``FAIL <label>: <detail>`` for failed checks
and ``OK <n> checks`` at the end (exit 0), or ``FAILED ...`` (exit 1).
"""
import argparse
import math
import sys

import mosaik
from loguru import logger
from mosaik_api_v3.connection import RemoteException

import mosaik_common
import peer_common


class Checks(peer_common.Checks):
    """peer_common's checks, with value and RemoteException checks."""

    def same(self, label, got, want):
        self.expect(label, got == want, 'got {!r}, want {!r}'.format(got, want))

    def raises(self, label, call, remote_type, remote_msg):
        """*call()* must raise RemoteException(remote_type, remote_msg, ...)
        whose further arguments are traceback lines ending in the message."""
        try:
            result = call()
        except RemoteException as exc:
            self.same(label + ' type', exc.remote_type, remote_type)
            self.same(label + ' message', exc.remote_msg, remote_msg)
            self.expect(label + ' traceback', bool(exc.further_args)
                        and all(isinstance(l, str) for l in exc.further_args)
                        and exc.further_args[-1].strip().endswith(remote_msg),
                        repr(exc.further_args))
        else:
            self.expect(label, False, 'no exception; returned {!r}'.format(result))


def check_sim(checks, impl):
    config = {'ExampleSim': mosaik_common.sim_config('sim', impl)}
    with mosaik.World(config) as world:
        if impl == 'rust':
            # mosaik-api-v3 lets a failing init() crash the simulator (mosaik
            # then exits); ours replies with the error.
            checks.raises(
                'unexpected sim param',
                lambda: world.start('ExampleSim', step_size=1, foo=2),
                'TypeError', "ExampleSim.init() got an unexpected keyword argument 'foo'")
        sim = world.start('ExampleSim')
        checks.raises(
            'missing model param', lambda: sim.A.create(2),
            'TypeError', "ExampleSim.create() missing 1 required positional argument: 'init_val'")
        checks.same('extra method', sim.example_method(42), 42)
        checks.same('extra method keyword', sim.example_method(value=[1, 'x', None]),
                    [1, 'x', None])
        checks.same('infinity', sim.example_method(float('inf')), float('inf'))
        checks.same('-infinity', sim.example_method(float('-inf')), float('-inf'))
        checks.expect('nan', math.isnan(sim.example_method(float('nan'))))
        checks.raises(
            'extra method without argument', lambda: sim.example_method(),
            'TypeError', "ExampleSim.example_method() missing 1 required positional argument: 'value'")
        entities = sim.A.create(2, init_val=1)
        checks.same('created', [e.eid for e in entities], ['0.0', '0.1'])


def check_refused_async_request(checks, mas):
    """The MAS asks for data of entities connected without async_requests:
    mosaik refuses (ScenarioError); the MAS passes the error on, and mosaik
    aborts the simulation with the MAS's RemoteException."""
    errors = []
    logger.add(lambda message: errors.append(message.record['message']), level='ERROR')
    config = {
        'ExampleSim': mosaik_common.sim_config('sim', 'rust'),
        'ExampleMAS': mosaik_common.sim_config('mas', mas),
    }
    with mosaik.World(config) as world:
        b = world.start('ExampleSim').B.create(1, init_val=0)
        agents = world.start('ExampleMAS').Agent.create(1)
        world.connect(b[0], agents[0])  # related, but no async_requests
        world.run(until=2, print_progress=False)
    want = ('Simulator ExampleMAS-0 aborted the simulation with error ScenarioError('
            'No connection from ExampleSim-0 to ExampleMAS-0: You need to connect '
            'entities from both simulators and set `async_requests=True`.).')
    checks.expect('refused async request', any(e.startswith(want) for e in errors),
                  repr(errors))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--sim', choices=['python', 'rust'], required=True)
    parser.add_argument('--mas', choices=['rust'])
    opts = parser.parse_args()
    checks = Checks()
    check_sim(checks, opts.sim)
    if opts.mas:
        check_refused_async_request(checks, opts.mas)
    return checks.report()


if __name__ == '__main__':
    sys.exit(main())
