"""Interop peer for the agent layer (``aiomas.agent``, ``aiomas.subproc``).

Usage::

    agent_peer.py client AGENT_URL --listen ADDR --codec CODEC
                  [--external-clock START_DATE] [--tls CA CERT KEY] [--stop]
    agent_peer.py server ADDR --codec CODEC [--tls CA CERT KEY]
    agent_peer.py master CONTAINER_BIN --codec CODEC [--container-addr ADDR]
                  [--listen ADDR]

ADDR is HOST:PORT ('[::1]:PORT' for IPv6; port 0 picks a free port) or a Unix
socket path; CODEC is json, msgpack or msgpack-blosc.

Every mode runs a Python aiomas container with a ``PyAgent`` (agent 0), which
exposes:

- ``greet(who, punctuation='!')``: ``'Hello, <who><punctuation>'``
- ``add(a, b=0)``: a + b
- ``fail(message)``: raises ``ValueError(message)``
- ``echo(value)``: value
- ``tomorrow(date)``: the Arrow date one day later
- ``utcnow()``: the container clock's date (an Arrow date)
- ``ping()``: increments the agent's counter and returns it
- ``call_back(proxy, method, args)``: ``await getattr(proxy, method)(*args)``
  on a service reference received from the caller

``client`` checks the agent at AGENT_URL, an ``Echo`` agent of
``examples/interop_peer.rs`` (the Rust container binary), from the Python
container on ``--listen``: every exposed method, keyword arguments, errors,
the proxy's name, dates, callbacks into the Python agent (through a reference
and through its URL), and with ``--external-clock`` (the date interop_peer was
given) the external clock instead of the real-time one.  With ``--stop`` it
calls ``stop()`` last.  It prints ``OK <n> checks`` (exit 0) or ``FAIL ...``
lines (exit 1).

``server`` prints ``READY <PyAgent's URL>`` once its container listens and
serves until stdin closes or it gets SIGTERM (exit status 0).

``master`` is the master process of ``aiomas.subproc``'s container CLI: it
starts CONTAINER_BIN (``examples/container.rs``) as a child process with
``--start-date 2016-01-01T00:00:00+00:00``, connects to its manager agent,
spawns agents in it, sets its clock, stops it and checks that it exits 0.
Output as for ``client``.
"""
import argparse
import asyncio
import socket
import sys
import warnings

import aiomas_compat  # first: patches aiomas 2.0.1 for Python 3.11

import aiomas
import arrow
from aiomas.exceptions import RemoteException

from peer_common import (REQUEST_TIMEOUT, Checks, add_codec_option, call,
                         expect_error, expect_result, is_exactly, last_line,
                         remove_socket_file, run_role, run_scenario,
                         serve_until_shutdown)
from rpc_peer import echo_values

START_DATE = '2016-01-01T00:00:00+00:00'  # the container CLI's start date

# ssl.PROTOCOL_TLSv1_2, used by aiomas' TLS helpers, is deprecated since 3.10.
warnings.filterwarnings('ignore', category=DeprecationWarning)


# --- the Python agent --------------------------------------------------------

class PyAgent(aiomas.Agent):
    """The agent that Rust agents call (and that calls them back)."""

    def __init__(self, container):
        super().__init__(container)
        self.pings = 0

    @aiomas.expose
    def greet(self, who, punctuation='!'):
        return 'Hello, {}{}'.format(who, punctuation)

    @aiomas.expose
    def add(self, a, b=0):
        return a + b

    @aiomas.expose
    def fail(self, message):
        raise ValueError(message)

    @aiomas.expose
    def echo(self, value):
        return value

    @aiomas.expose
    def tomorrow(self, date):
        if not isinstance(date, arrow.Arrow):
            raise TypeError('expected an Arrow date, got {!r}'.format(date))
        return date.shift(days=1)

    @aiomas.expose
    def utcnow(self):
        return self.container.clock.utcnow()

    @aiomas.expose
    def ping(self):
        self.pings += 1
        return self.pings

    @aiomas.expose
    async def call_back(self, proxy, method, args):
        return await getattr(proxy, method)(*args)


# --- helpers -------------------------------------------------------------------

def bind_addr(text):
    """Parse ADDR for a Python container.  Python's containers put the port
    they were given into their agents' URLs, so port 0 is replaced by a free
    port here."""
    addr = aiomas_compat.parse_addr(text)
    if isinstance(addr, tuple) and addr[1] == 0:
        family = socket.AF_INET6 if ':' in addr[0] else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.bind((addr[0], 0))
            addr = (addr[0], sock.getsockname()[1])
    return addr


def ssl_certs(tls):
    """``SSLCerts(ca, cert, key)`` from ``--tls``, or None."""
    return aiomas.agent.SSLCerts(*tls) if tls else None


async def create_container(addr, codec, tls=None):
    """A Python container on *addr* with a PyAgent (agent 0)."""
    container = await aiomas.Container.create(
        addr, codec=codec, ssl=ssl_certs(tls), as_coro=True)
    return container, PyAgent(container)


async def shutdown(container, addr):
    """Shut *container* down and remove its socket file."""
    await container.shutdown(as_coro=True)
    remove_socket_file(addr)


def is_date(expected):
    """A check for an Arrow date equal to *expected* (same offset, too)."""
    return lambda got: (isinstance(got, arrow.Arrow) and got == expected
                        and got.utcoffset() == expected.utcoffset())


async def expect_date(checks, label, coro, expected):
    """The call *coro* returns an ``arrow.Arrow`` equal to *expected*."""
    try:
        got = await call(coro)
    except RemoteException as exc:
        checks.expect(label, False, 'raised: ' + repr(last_line(exc)))
        return
    checks.expect(label, is_date(expected)(got),
                  'expected {!r}, got {!r}'.format(expected, got))


async def wait_for_sleepers(checks, label, echo, n):
    """Wait until *n* ``sleep()`` calls of *echo* are registered with its
    clock (the Rust container handles requests in parallel tasks, so a request
    sent after a ``sleep()`` may be handled before it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REQUEST_TIMEOUT
    while True:
        sleeping = await call(echo.sleeping())
        if sleeping >= n or loop.time() > deadline:
            break
        await asyncio.sleep(0.01)
    checks.expect(label, sleeping == n,
                  'expected {} registered sleeps, got {}'.format(n, sleeping))


# --- client: a Python agent calls our Echo agent ---------------------------------

async def check_connect(container, url, checks):
    """Connecting to the Echo agent (and to one that does not exist)."""
    echo = await call(container.connect(url, timeout=5))
    want = "EchoProxy('{}')".format(url)
    checks.expect('str(proxy)', str(echo) == want,
                  'expected {!r}, got {!r}'.format(want, str(echo)))
    missing = url.rsplit('/', 1)[0] + '/7'
    try:
        await call(container.connect(missing))
    except ConnectionError as exc:
        checks.expect('connect to a missing agent',
                      'Agent "7" does not exist in Container(' in str(exc),
                      'got {!r}'.format(str(exc)))
    else:
        checks.expect('connect to a missing agent', False, 'no error')
    return echo


async def check_methods(echo, checks, codec_name):
    """Values, arguments by position and keyword, errors."""
    for label, value in echo_values(codec_name):
        await expect_result(checks, 'echo ' + label, echo.echo(value), value)
    await expect_result(checks, 'echo(value=...)', echo.echo(value=[1, 'a']),
                        [1, 'a'])
    for text in ['2016-01-01T00:00:00+01:00',
                 '2016-02-29T12:34:56.789012-05:30']:
        date = arrow.get(text)
        await expect_date(checks, 'echo an Arrow date ' + text,
                          echo.echo(date), date)
    await expect_result(checks, 'add(1, 2)', echo.add(1, 2), 3, True)
    await expect_result(checks, 'add(1, b=2)', echo.add(1, b=2), 3, True)
    await expect_result(checks, 'add(b=2, a=1)', echo.add(b=2, a=1), 3, True)
    await expect_result(checks, 'add(5) uses the default b=0', echo.add(5), 5,
                        True)
    await expect_result(checks, 'add(2**40, 2**40) stays an int',
                        echo.add(2**40, 2**40), 2**41, True)
    await expect_result(checks, 'add(1.5, 2) is a float', echo.add(1.5, 2),
                        3.5, True)
    await expect_result(checks, "add('a', 'b')", echo.add('a', 'b'), 'ab')
    await expect_error(checks, "add('x', 1)", echo.add('x', 1),
                       lambda l: l.startswith('TypeError: '), 'a TypeError')
    await expect_error(checks, 'add() without arguments', echo.add(),
                       lambda l: l.startswith('TypeError: ') and 'add()' in l,
                       'a TypeError naming add()')
    msg = 'boom from Python: ünïcødé'
    await expect_error(checks, 'fail(message)', echo.fail(msg),
                       lambda l: l.endswith(msg) and l.startswith('ValueError'),
                       repr('ValueError: ' + msg))
    await expect_error(checks, 'fail(message=...)', echo.fail(message='kw'),
                       lambda l: l.endswith('kw'), "a line ending in 'kw'")
    await expect_error(checks, 'an unknown method', echo.nope(),
                       lambda l: l.startswith('LookupError: ')
                       and '"nope"' in l, 'a LookupError naming "nope"')
    await expect_result(checks, 'count() 1', echo.count(), 1, True)
    await expect_result(checks, 'count() 2', echo.count(), 2, True)
    results = await call(asyncio.gather(*(echo.add(i, i) for i in range(100))))
    checks.expect('100 concurrent calls',
                  list(results) == [2 * i for i in range(100)],
                  'got {!r:.300}'.format(results))


async def check_references(echo, agent, checks):
    """Service references both ways: ``myself()`` and callbacks."""
    try:
        me = await call(echo.myself())
        await expect_result(checks, 'myself().count()', me.count(), 3, True)
        await expect_result(checks, 'myself().echo()', me.echo('via myself'),
                            'via myself')
    except RemoteException as exc:
        checks.expect('myself()', False, 'raised: ' + repr(last_line(exc)))
    await expect_result(checks, 'count() after myself().count()',
                        echo.count(), 4, True)
    await expect_result(checks, 'call(agent, greet, [who])',
                        echo.call(agent, 'greet', ['Rust']), 'Hello, Rust!')
    await expect_result(checks, 'call(agent, greet, [who, punctuation])',
                        echo.call(proxy=agent, method='greet',
                                  args=['Rust', '?']), 'Hello, Rust?')
    pings = agent.pings
    await expect_result(checks, 'call(agent, ping, [])',
                        echo.call(agent, 'ping', []), pings + 1, True)
    await expect_result(checks, 'call(agent, add, [1, 2])',
                        echo.call(agent, 'add', [1, 2]), 3, True)
    await expect_error(checks, 'call forwards our error',
                       echo.call(agent, 'fail', ['from python']),
                       is_exactly('ValueError: from python'),
                       repr('ValueError: from python'))
    url = agent.addr
    await expect_result(checks, 'call_url(our url, greet, [who])',
                        echo.call_url(url, 'greet', ['Rust']), 'Hello, Rust!')
    await expect_result(checks, 'call_url(our url, ping, [])',
                        echo.call_url(url, 'ping', []), pings + 2, True)
    checks.expect('our agent was pinged twice', agent.pings == pings + 2,
                  'pings: {}'.format(agent.pings))
    date = arrow.get('2016-01-01T00:00:00+01:00')
    await expect_date(checks, 'call_url(our url, tomorrow, [date])',
                      echo.call_url(url, 'tomorrow', [date]),
                      arrow.get('2016-01-02T00:00:00+01:00'))
    await expect_error(checks, 'call_url forwards our error',
                       echo.call_url(url, 'fail', ['via url']),
                       is_exactly('ValueError: via url'),
                       repr('ValueError: via url'))
    missing = url.rsplit('/', 1)[0] + '/7'
    await expect_error(checks, 'call_url to a missing agent',
                       echo.call_url(missing, 'ping', []),
                       lambda l: l.startswith('ConnectionError: ')
                       and 'Agent "7" does not exist' in l,
                       'ConnectionError: Agent "7" does not exist ...')
    await expect_error(checks, 'call_url with a bad URL',
                       echo.call_url('no url', 'ping', []),
                       lambda l: l.startswith('ValueError: Cannot parse '
                                              'agent URL "no url"'),
                       'ValueError: Cannot parse agent URL "no url": ...')


async def check_realtime_clock(echo, checks):
    """The default clock runs in real time."""
    loop = asyncio.get_running_loop()
    t0 = await call(echo.time())
    started = loop.time()
    await expect_result(checks, 'sleep(0.05)', echo.sleep(0.05), 0.05)
    elapsed = loop.time() - started
    checks.expect('sleep(0.05) took 0.05 s', elapsed >= 0.049,
                  'took {:.3f} s'.format(elapsed))
    t1 = await call(echo.time())
    checks.expect('time() moves on', isinstance(t1, float) and t1 - t0 >= 0.049,
                  'time() went from {!r} to {!r}'.format(t0, t1))
    now = await call(echo.utcnow())
    checks.expect('utcnow() is an Arrow date', isinstance(now, arrow.Arrow),
                  'got {!r}'.format(now))
    if isinstance(now, arrow.Arrow):
        drift = abs((now - arrow.utcnow()).total_seconds())
        checks.expect('utcnow() is now', drift < 60,
                      'off by {} s: {!r}'.format(drift, now))
        checks.expect('utcnow() is in UTC', now.utcoffset().total_seconds() == 0,
                      'offset {}'.format(now.utcoffset()))
    await expect_error(checks, 'set_time() on a real-time clock',
                       echo.set_time(10),
                       lambda l: l.startswith('ValueError: '), 'a ValueError')
    delays = [0.001 * (20 - i) for i in range(20)]
    results = await call(asyncio.gather(*(echo.sleep(d) for d in delays)))
    checks.expect('20 concurrent sleeps', list(results) == delays,
                  'got {!r}'.format(results))


async def check_external_clock(echo, start, checks):
    """An ExternalClock moves only when set_time() is called."""
    start = arrow.get(start)
    await expect_result(checks, 'time() starts at 0', echo.time(), 0.0)
    await expect_date(checks, 'utcnow() is the start date', echo.utcnow(),
                      start)
    sleeper = asyncio.ensure_future(echo.sleep(5))
    await wait_for_sleepers(checks, 'sleep(5) is registered', echo, 1)
    await asyncio.sleep(0.1)
    checks.expect('sleep(5) waits for the clock', not sleeper.done(),
                  'done already: {!r}'.format(sleeper))
    await expect_result(checks, 'set_time(3)', echo.set_time(3), None)
    await asyncio.sleep(0.1)
    checks.expect('sleep(5) still waits at 3', not sleeper.done(),
                  'done already: {!r}'.format(sleeper))
    await expect_result(checks, 'set_time(10)', echo.set_time(10), None)
    await expect_result(checks, 'sleep(5) ends after set_time(10)', sleeper, 5)
    await expect_result(checks, 'no sleeps left', echo.sleeping(), 0, True)
    await expect_result(checks, 'time() == 10', echo.time(), 10.0)
    await expect_date(checks, 'utcnow() == start + 10 s', echo.utcnow(),
                      start.shift(seconds=10))
    await expect_error(checks, 'set_time(5) goes back',
                       echo.set_time(5),
                       lambda l: l.startswith('ValueError: Time must be > 10'),
                       'ValueError: Time must be > 10...')
    await expect_error(checks, 'sleep(0)', echo.sleep(0),
                       lambda l: l.startswith('ValueError: '), 'a ValueError')
    await expect_result(checks, 'set_time(12.25)', echo.set_time(12.25), None)
    await expect_date(checks, 'utcnow() == start + 12.25 s', echo.utcnow(),
                      start.shift(seconds=12.25))
    sleepers = [asyncio.ensure_future(echo.sleep(d)) for d in (3, 1, 2)]
    await wait_for_sleepers(checks, 'three sleeps are registered', echo, 3)
    await expect_result(checks, 'set_time(20)', echo.set_time(20), None)
    results = await call(asyncio.gather(*sleepers))
    checks.expect('three sleepers wake up', list(results) == [3, 1, 2],
                  'got {!r}'.format(results))
    await expect_result(checks, 'no sleeps left at the end', echo.sleeping(),
                        0, True)


async def client_scenario(args, container, agent, checks):
    echo = await check_connect(container, args.url, checks)
    await check_methods(echo, checks, args.codec)
    await check_references(echo, agent, checks)
    if args.external_clock:
        await check_external_clock(echo, args.external_clock, checks)
    else:
        await check_realtime_clock(echo, checks)
    if args.stop:
        await expect_result(checks, 'stop()', echo.stop(), None)


async def run_client(args):
    """Run the scenario against the Echo agent at ``args.url``."""
    checks = Checks()
    codec = aiomas_compat.codec_by_name(args.codec)
    addr = bind_addr(args.listen)
    container, agent = await create_container(addr, codec, args.tls)
    return await run_scenario(
        checks, client_scenario(args, container, agent, checks),
        lambda: shutdown(container, addr), (ConnectionError, RemoteException))


# --- server: Rust agents call our PyAgent ------------------------------------------

async def run_server(args):
    """Serve a PyAgent until shutdown is requested."""
    codec = aiomas_compat.codec_by_name(args.codec)
    addr = bind_addr(args.addr)
    container, agent = await create_container(addr, codec, args.tls)
    return await serve_until_shutdown(agent.addr,
                                      lambda: shutdown(container, addr))


# --- master: drive the Rust container CLI ---------------------------------------

async def master_scenario(args, proc, container, agent, checks):
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    line = line.decode().strip()
    checks.expect('the container prints READY', line.startswith('READY '),
                  'got {!r}'.format(line))
    manager_url = line.split()[-1]
    base = manager_url[:-len('0')]
    checks.expect('the manager is agent 0', manager_url.endswith('/0'),
                  'got {!r}'.format(manager_url))
    manager = await call(container.connect(manager_url, timeout=10))
    want = "ManagerProxy('{}')".format(manager_url)
    checks.expect('str(manager)', str(manager) == want,
                  'expected {!r}, got {!r}'.format(want, str(manager)))

    proxy, addr = await call(manager.spawn('echo:Echo'))
    checks.expect('spawn() returns the address of agent 1', addr == base + '1',
                  'got {!r}'.format(addr))
    await expect_result(checks, 'call through the proxy from spawn()',
                        proxy.echo('spawned'), 'spawned')
    echo = await call(container.connect(addr))
    want = "EchoProxy('{}')".format(addr)
    checks.expect('str(connect(addr))', str(echo) == want,
                  'expected {!r}, got {!r}'.format(want, str(echo)))
    await expect_result(checks, 'count() through connect(addr)', echo.count(),
                        1, True)
    await expect_result(checks, 'count() through the spawn() proxy',
                        proxy.count(), 2, True)

    start = arrow.get(START_DATE)
    await expect_result(checks, 'time() starts at init_time -1', echo.time(),
                        -1.0)
    await expect_date(checks, 'utcnow() is start - 1 s', echo.utcnow(),
                      start.shift(seconds=-1))
    await expect_result(checks, 'manager.set_time(10)', manager.set_time(10),
                        None)
    await expect_result(checks, "the spawned agent's time() is 10",
                        echo.time(), 10.0)
    await expect_date(checks, 'utcnow() is start + 10 s', echo.utcnow(),
                      start.shift(seconds=10))
    sleeper = asyncio.ensure_future(echo.sleep(5))
    await wait_for_sleepers(checks, 'sleep(5) is registered', echo, 1)
    await asyncio.sleep(0.1)
    checks.expect('sleep(5) waits for the clock', not sleeper.done(),
                  'done already: {!r}'.format(sleeper))
    await expect_result(checks, 'manager.set_time(20)', manager.set_time(20),
                        None)
    await expect_result(checks, 'sleep(5) ends after set_time(20)', sleeper, 5)
    await expect_error(checks, 'manager.set_time(15) goes back',
                       manager.set_time(15),
                       lambda l: l.startswith('ValueError: Time must be > 20'),
                       'ValueError: Time must be > 20...')

    counter, counter_addr = await call(manager.spawn('echo:Counter', 10,
                                                     step=5))
    checks.expect('spawn(Counter) is agent 2', counter_addr == base + '2',
                  'got {!r}'.format(counter_addr))
    await expect_result(checks, 'Counter(10, step=5).next()', counter.next(),
                        10, True)
    await expect_result(checks, 'Counter(10, step=5).next() again',
                        counter.next(), 15, True)
    counter, _ = await call(manager.spawn('echo:Counter', start=3))
    await expect_result(checks, 'spawn with a keyword only',
                        counter.next(), 3, True)
    await expect_error(checks, 'spawn by the class name of another module',
                       manager.spawn('whatever:Counter'),
                       lambda l: 'whatever:Counter' in l,
                       'an error naming whatever:Counter')
    await expect_error(checks, 'spawn by the bare class name',
                       manager.spawn('Counter'),
                       lambda l: "'Counter'" in l or '"Counter"' in l,
                       'an error naming Counter')
    await expect_error(checks, 'spawn an unknown type',
                       manager.spawn('echo:Nope'),
                       lambda l: 'Nope' in l, 'an error naming Nope')
    await expect_error(checks, 'spawn(Echo) with an argument',
                       manager.spawn('echo:Echo', 1),
                       lambda l: l.startswith('TypeError: '), 'a TypeError')
    await expect_error(checks, 'spawn(Counter) with a bad argument',
                       manager.spawn('echo:Counter', start='x'),
                       lambda l: l.startswith('TypeError: '), 'a TypeError')
    proxy, addr = await call(manager.spawn('echo:Echo'))
    spawned = await call(container.connect(addr))
    await expect_result(checks, 'a later agent works', spawned.count(), 1,
                        True)
    await expect_result(checks, 'the spawned agent calls our agent back',
                        echo.call(agent, 'greet', ['container']),
                        'Hello, container!')
    await expect_result(checks, 'the spawned agent calls our agent by URL',
                        echo.call_url(agent.addr, 'ping', []), 1, True)

    await expect_result(checks, 'manager.stop()', manager.stop(), None)
    try:
        status = await asyncio.wait_for(proc.wait(), 20)
    except asyncio.TimeoutError:
        checks.expect('the container exits after stop()', False,
                      'still running after 20 s')
    else:
        checks.expect('the container exits 0 after stop()', status == 0,
                      'exit status {}'.format(status))


async def run_master(args):
    """Start the container CLI and drive it through its manager agent."""
    checks = Checks()
    codec = aiomas_compat.codec_by_name(args.codec)
    proc = await asyncio.create_subprocess_exec(
        args.container_bin, '--start-date', START_DATE, '--codec', args.codec,
        '--log-level', 'info', args.container_addr,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE)
    addr = bind_addr(args.listen)
    container, agent = await create_container(addr, codec)

    async def cleanup():
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await shutdown(container, addr)

    return await run_scenario(
        checks, master_scenario(args, proc, container, agent, checks),
        cleanup, (ConnectionError, RemoteException))


# --- command line ----------------------------------------------------------

def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='aiomas agent interop peer')
    sub = parser.add_subparsers(dest='role', required=True)

    client = sub.add_parser('client', help="check a Rust container's Echo agent")
    client.add_argument('url', help='the Echo agent, e.g. tcp://127.0.0.1:5555/0')
    client.add_argument('--listen', default='127.0.0.1:0',
                        help='ADDR of the Python container')
    client.add_argument('--external-clock', metavar='START_DATE',
                        help='the Rust container has ExternalClock(START_DATE)')
    client.add_argument('--stop', action='store_true',
                        help='call stop() at the end')

    server = sub.add_parser('server', help='serve a PyAgent')
    server.add_argument('addr', help='ADDR of the Python container')

    master = sub.add_parser('master', help='drive the Rust container CLI')
    master.add_argument('container_bin', help='path of examples/container')
    master.add_argument('--container-addr', default='127.0.0.1:0',
                        help='ADDR for the container CLI')
    master.add_argument('--listen', default='127.0.0.1:0',
                        help='ADDR of the Python container')

    for p in (client, server, master):
        add_codec_option(p)
    for p in (client, server):
        p.add_argument('--tls', nargs=3, metavar=('CA', 'CERT', 'KEY'),
                       help='mutual TLS with SSLCerts(CA, CERT, KEY)')
    return parser.parse_args(argv)


def main(argv=None):
    """Run the chosen role; return the exit code."""
    roles = {'client': run_client, 'server': run_server,
             'master': run_master}
    return run_role(roles, parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
