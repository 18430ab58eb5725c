"""Interop peer for the RPC layer (``aiomas.rpc``).

Usage::

    rpc_peer.py server ADDR --codec CODEC --service class|dict
    rpc_peer.py client ADDR --codec CODEC [--fail-kind KIND]

ADDR is HOST:PORT ('[::1]:PORT' for IPv6, port 0 picks a free port) or a Unix
socket path; CODEC is json, msgpack or msgpack-blosc.

The server prints ``READY <addr>`` once it listens and serves until stdin
closes or it gets SIGTERM (exit status 0).  Its root service is a class
(``router = aiomas.rpc.Service(['addition'])``) or a ``ServiceDict``; both
expose the same names:

- ``add(a, b=0)``: a + b
- ``echo(value)``: value
- ``fail(message)``: raises ``ValueError(message)``
- ``sleep(dt, value)``: value, after dt seconds (replies come out of order)
- ``boom()``: raises ``RuntimeError('kaboom')`` (what a Rust panic becomes)
- ``gather(first, *rest, **kw)``: ``[first, rest, kw]``
- ``maybe(x=None)``: x
- ``mul(a, b)``: a * b (a Rust server exposes its ``multiply`` under this name)
- ``point(x, y)``: ``{'x': x, 'y': y, 'label': 'P(x, y)'}`` (a struct in Rust)
- ``call_back(proxy, method, args)``: ``await getattr(proxy, method)(*args)``
  on a service reference received from the caller (bi-directional RPC)
- ``call_name(proxy)``: ``await proxy.name()`` (a typed proxy in Rust)
- ``addition.add(a, b)``: a sub-service
- ``secret``: exists but is not exposed

The client runs a self-checking scenario against a server with that
interface (ours, in Rust, or the class-based server above), serving
``ClientService`` on its connection so that the server can call it back
(``name()``, ``greet(who)``, ``fail(message)``, sub-service ``sub.name()``).
It prints ``OK <n> checks`` last (exit 0) or ``FAIL ...`` lines (exit 1).
``--fail-kind`` is the exception type the server's ``fail()`` produces
(``ValueError`` in Python; a Rust server names the error after its type).
"""
import argparse
import asyncio
import random
import sys

import aiomas_compat  # first: patches aiomas 2.0.1 for Python 3.11

import aiomas

from peer_common import (REQUEST_TIMEOUT, Checks, add_codec_option, call,
                         close_server, expect_error, expect_result,
                         is_exactly, serve_until_shutdown)


# --- server: a class-based root service --------------------------------------

def make_point(x, y):
    """What a Rust ``Point { x, y, label }`` looks like in Python."""
    return {'x': x, 'y': y, 'label': 'P({}, {})'.format(x, y)}


class Addition:
    """The sub-service ``addition``."""
    router = aiomas.rpc.Service()

    @aiomas.expose
    def add(self, a, b):
        return a + b


class Calculator:
    """The class-based root service."""
    router = aiomas.rpc.Service(['addition'])

    def __init__(self):
        self.addition = Addition()

    @aiomas.expose
    def add(self, a, b=0):
        return a + b

    @aiomas.expose
    def echo(self, value):
        return value

    @aiomas.expose
    def fail(self, message):
        raise ValueError(message)

    @aiomas.expose
    async def sleep(self, dt, value):
        await asyncio.sleep(dt)
        return value

    @aiomas.expose
    def boom(self):
        raise RuntimeError('kaboom')

    @aiomas.expose
    def gather(self, first, *rest, **kw):
        return [first, list(rest), kw]

    @aiomas.expose
    def maybe(self, x=None):
        return x

    @aiomas.expose
    def mul(self, a, b):
        return a * b

    @aiomas.expose
    def point(self, x, y):
        return make_point(x, y)

    def secret(self):
        return 'not for remote callers'

    @aiomas.expose
    async def call_back(self, proxy, method, args):
        return await getattr(proxy, method)(*args)

    @aiomas.expose
    async def call_name(self, proxy):
        return await proxy.name()


# --- server: the same as a ServiceDict ---------------------------------------

@aiomas.expose
def dict_add(a, b=0):
    return a + b


@aiomas.expose
def dict_echo(value):
    return value


@aiomas.expose
def dict_fail(message):
    raise ValueError(message)


@aiomas.expose
async def dict_sleep(dt, value):
    await asyncio.sleep(dt)
    return value


@aiomas.expose
def dict_boom():
    raise RuntimeError('kaboom')


@aiomas.expose
def dict_gather(first, *rest, **kw):
    return [first, list(rest), kw]


@aiomas.expose
def dict_maybe(x=None):
    return x


@aiomas.expose
def dict_mul(a, b):
    return a * b


@aiomas.expose
def dict_point(x, y):
    return make_point(x, y)


def dict_secret():
    return 'not for remote callers'


@aiomas.expose
async def dict_call_back(proxy, method, args):
    return await getattr(proxy, method)(*args)


@aiomas.expose
async def dict_call_name(proxy):
    return await proxy.name()


@aiomas.expose
def dict_addition_add(a, b):
    return a + b


def make_service_dict():
    """Return the ``ServiceDict`` root service."""
    return aiomas.rpc.ServiceDict({
        'add': dict_add,
        'echo': dict_echo,
        'fail': dict_fail,
        'sleep': dict_sleep,
        'boom': dict_boom,
        'gather': dict_gather,
        'maybe': dict_maybe,
        'mul': dict_mul,
        'point': dict_point,
        'secret': dict_secret,
        'call_back': dict_call_back,
        'call_name': dict_call_name,
        'addition': aiomas.rpc.ServiceDict({'add': dict_addition_add}),
    })


SERVICES = {
    'class': Calculator,
    'dict': make_service_dict,
}


async def run_server(addr, codec, service_kind):
    """Serve the root service on *addr* until shutdown is requested."""
    clients = []
    service = SERVICES[service_kind]()
    server = await aiomas.rpc.start_server(addr, service, clients.append,
                                           codec=codec)
    return await serve_until_shutdown(
        aiomas_compat.format_sockname(server.sockets[0]),
        lambda: close_server(server, clients, addr, return_exceptions=True))


# --- client --------------------------------------------------------------------

class ClientSub:
    """A sub-service of the client, to check that references keep paths."""
    router = aiomas.rpc.Service()

    @aiomas.expose
    def name(self):
        return 'sub of Monty'


class ClientService:
    """What the client serves on its connection, for the server to call."""
    router = aiomas.rpc.Service(['sub'])

    def __init__(self):
        self.sub = ClientSub()

    @aiomas.expose
    def name(self):
        return 'Monty'

    @aiomas.expose
    async def greet(self, who, punctuation='!'):
        await asyncio.sleep(0.001)
        return 'Hello, {}{}'.format(who, punctuation)

    @aiomas.expose
    def fail(self, message):
        raise ValueError(message)


def echo_values(codec_name):
    """Return (label, value) pairs that must survive an ``echo()`` call."""
    values = [
        ('nested', {'a': [1, 2, {'b': None}], 'c': {'d': 'e'}, 'f': [[[]]]}),
        ('unicode', 'äöü ✓ 日本 🦀'),
        ('unicode keys', {'schlüssel': 'wert', '🔑': ['ü']}),
        ('int 0', 0),
        ('int -1', -1),
        ('int 2**31', 2**31),
        ('int -2**63', -2**63),
        ('int 2**63-1', 2**63 - 1),
        ('int 2**63', 2**63),
        ('int 2**64-1', 2**64 - 1),
        ('float 1.0', 1.0),
        ('float -0.5', -0.5),
        ('float -1e300', -1e300),
        ('float pi', 3.141592653589793),
        ('true', True),
        ('false', False),
        ('none', None),
        ('empty string', ''),
        ('empty list', []),
        ('empty dict', {}),
        ('long list', list(range(10000))),
        ('long string', 'aiomas ' * 50000),
    ]
    if codec_name != 'json':
        values += [
            ('bytes', b'\x00\xff' * 100),
            ('int keys', {1: 'one', -2: [3]}),
        ]
    return values


async def check_calls(remote, checks):
    """Positional and keyword arguments, defaults, nested paths."""
    await expect_result(checks, 'add(3, 4)', remote.add(3, 4), 7)
    await expect_result(checks, 'add(3, b=4)', remote.add(3, b=4), 7)
    await expect_result(checks, 'add(b=4, a=3)', remote.add(b=4, a=3), 7)
    await expect_result(checks, 'add(a=1) uses the default',
                        remote.add(a=1), 1)
    await expect_result(checks, 'add(5) uses the default', remote.add(5), 5)
    await expect_result(checks, 'addition.add(1, 2)',
                        remote.addition.add(1, 2), 3)
    await expect_result(checks, 'addition.add(a=1, b=2)',
                        remote.addition.add(a=1, b=2), 3)
    await expect_result(checks, 'echo(value=...)',
                        remote.echo(value={'k': ['v', 1]}), {'k': ['v', 1]})
    await expect_result(checks, 'gather(1, 2, 3, x=4): *args, **kwargs',
                        remote.gather(1, 2, 3, x=4), [1, [2, 3], {'x': 4}])
    await expect_result(checks, 'gather(first=1)', remote.gather(first=1),
                        [1, [], {}])
    await expect_result(checks, 'maybe() leaves out an optional argument',
                        remote.maybe(), None)
    await expect_result(checks, 'maybe(5)', remote.maybe(5), 5)
    await expect_result(checks, 'maybe(x=None)', remote.maybe(x=None), None)
    await expect_result(checks, 'mul(6, 7): a renamed method',
                        remote.mul(6, 7), 42)
    await expect_result(checks, 'point(1, 2.5): a struct is a dict',
                        remote.point(1, 2.5), make_point(1, 2.5))
    await expect_result(checks, 'sleep(0, ...): an int for a float',
                        remote.sleep(0, 'int delay'), 'int delay')


async def check_echo(remote, checks, codec_name):
    """Values of all kinds come back unchanged."""
    for label, value in echo_values(codec_name):
        await expect_result(checks, 'echo ' + label, remote.echo(value), value)


async def check_errors(remote, checks, fail_kind):
    """Every kind of error arrives as an exception reply with Python's
    wording, and the server keeps serving."""
    want = 'LookupError: Name "nope" not found in ""'
    await expect_error(checks, 'unknown name', remote.nope(),
                       is_exactly(want), repr(want))
    want = 'LookupError: Name "nope" not found in "addition"'
    await expect_error(checks, 'unknown nested name', remote.addition.nope(),
                       is_exactly(want), repr(want))
    want = 'LookupError: Name "deeper" not found in "add"'
    await expect_error(checks, 'path below a function',
                       remote.add.deeper(), is_exactly(want), repr(want))
    suffix = 'Calculator.secret" is not exposed'
    await expect_error(
        checks, 'not exposed', remote.secret(),
        lambda l: l.startswith('LookupError: "') and l.endswith(suffix),
        'LookupError: "...{}'.format(suffix))
    want = "TypeError: 'Addition' object is not callable"
    await expect_error(checks, 'calling a service', remote.addition(),
                       is_exactly(want), repr(want))

    def names_add(line):
        return line.startswith('TypeError: ') and 'add()' in line

    await expect_error(checks, 'missing argument', remote.add(), names_add,
                       'a TypeError naming add()')
    await expect_error(checks, 'too many arguments', remote.add(1, 2, 3),
                       names_add, 'a TypeError naming add()')
    await expect_error(checks, 'unexpected keyword', remote.add(1, c=2),
                       names_add, 'a TypeError naming add()')
    await expect_error(checks, 'argument given twice', remote.add(1, a=2),
                       names_add, 'a TypeError naming add()')
    await expect_error(checks, 'missing nested argument',
                       remote.addition.add(1), names_add,
                       'a TypeError naming add()')
    await expect_error(checks, 'argument given twice after *args',
                       remote.gather(1, first=2),
                       lambda l: l.startswith('TypeError: ') and 'gather()' in l,
                       'a TypeError naming gather()')
    await expect_error(checks, 'wrong argument type', remote.add('x', 1),
                       lambda l: l.startswith('TypeError: '), 'a TypeError')

    msg = 'bad thing: ünïcødé "quoted"'
    want = '{}: {}'.format(fail_kind, msg)
    await expect_error(checks, 'application error', remote.fail(msg),
                       is_exactly(want), repr(want))
    await expect_error(checks, 'application error (keyword)',
                       remote.fail(message='kw'),
                       is_exactly(fail_kind + ': kw'),
                       repr(fail_kind + ': kw'))
    await expect_error(
        checks, 'panic', remote.boom(),
        lambda l: l.startswith('RuntimeError: ') and 'kaboom' in l,
        'RuntimeError: ...kaboom...')
    await expect_result(checks, 'still serving after the errors',
                        remote.add(20, 22), 42)


async def check_concurrent(remote, checks, n=200):
    """n concurrent calls with random delays get their own results."""
    rng = random.Random(2)
    results = await call(asyncio.gather(*(
        remote.sleep(rng.uniform(0, 0.05), i) for i in range(n))),
        3 * REQUEST_TIMEOUT)
    wrong = [(i, r) for i, r in enumerate(results) if r != i]
    checks.expect('{} concurrent sleeps'.format(n), not wrong,
                  '{} wrong results, e.g. {}'.format(len(wrong), wrong[:5]))


async def check_call_back(remote, service, checks):
    """The server calls back the service we passed it, on our connection."""
    await expect_result(checks, 'call_back name()',
                        remote.call_back(service, 'name', []), 'Monty')
    await expect_result(checks, 'call_back greet(who)',
                        remote.call_back(service, 'greet', ['Rust']),
                        'Hello, Rust!')
    await expect_result(checks, 'call_back with keywords',
                        remote.call_back(proxy=service, method='greet',
                                         args=['Rust', '?']),
                        'Hello, Rust?')
    await expect_result(checks, 'call_name(proxy)',
                        remote.call_name(service), 'Monty')
    await expect_result(checks, 'call_name(proxy=a sub-service)',
                        remote.call_name(proxy=service.sub), 'sub of Monty')
    await expect_error(
        checks, 'call_back on something that is no service',
        remote.call_back('no service', 'name', []),
        lambda l: l.startswith(('TypeError: ', 'AttributeError: ')),
        'a TypeError (AttributeError in Python)')
    await expect_error(
        checks, 'a proxy cannot be sent back to its own side',
        remote.echo(service),
        lambda l: 'SerializationError' in l, 'a SerializationError')
    await expect_result(checks, 'still serving after a failed reply',
                        remote.call_name(service), 'Monty')
    await expect_result(checks, 'call_back a sub-service',
                        remote.call_back(service.sub, 'name', []),
                        'sub of Monty')
    await expect_error(checks, 'call_back forwards our error',
                       remote.call_back(service, 'fail', ['from python']),
                       is_exactly('ValueError: from python'),
                       repr('ValueError: from python'))
    want = 'LookupError: Name "nope" not found in ""'
    await expect_error(checks, 'call_back an unknown name',
                       remote.call_back(service, 'nope', []),
                       is_exactly(want), repr(want))
    results = await call(asyncio.gather(*(
        remote.call_back(service, 'greet', [str(i)]) for i in range(50))))
    checks.expect('50 concurrent call_backs',
                  list(results) == ['Hello, {}!'.format(i) for i in range(50)],
                  'got {!r:.300}'.format(results))


async def check_close_mid_call(addr, codec, checks):
    """A second connection closes while a call is pending: the call fails
    with a ConnectionError, and the server goes on serving."""
    rpc_con = await aiomas.rpc.open_connection(addr, codec=codec)
    pending = asyncio.ensure_future(rpc_con.remote.sleep(2, 'too late'))
    await expect_result(checks, 'a second connection', rpc_con.remote.add(1, 2),
                        3)
    await rpc_con.close()
    try:
        got = await call(pending)
    except ConnectionError:
        checks.expect('close fails the pending call', True)
    except Exception as exc:
        checks.expect('close fails the pending call', False,
                      'raised {!r}'.format(exc))
    else:
        checks.expect('close fails the pending call', False,
                      'got {!r}'.format(got))


async def run_client(addr, codec, codec_name, fail_kind):
    """Run the scenario against the server at *addr*; return the exit code."""
    checks = Checks()
    service = ClientService()
    rpc_con = await aiomas.rpc.open_connection(addr, rpc_service=service,
                                               codec=codec)
    remote = rpc_con.remote
    try:
        await check_calls(remote, checks)
        await check_echo(remote, checks, codec_name)
        await check_errors(remote, checks, fail_kind)
        await check_concurrent(remote, checks)
        await check_call_back(remote, service, checks)
        await check_close_mid_call(addr, codec, checks)
        await expect_result(checks, 'still serving after a closed connection',
                            remote.add(2, 2), 4)
    except (asyncio.TimeoutError, ConnectionError) as exc:
        checks.expect('scenario', False, 'aborted: {!r}'.format(exc))
    await rpc_con.close()
    return checks.report()


# --- command line ----------------------------------------------------------

def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='aiomas RPC interop peer')
    parser.add_argument('role', choices=['server', 'client'])
    parser.add_argument('addr', type=aiomas_compat.parse_addr,
                        help='HOST:PORT, [V6HOST]:PORT or a Unix socket path')
    add_codec_option(parser)
    parser.add_argument('--service', default='class', choices=sorted(SERVICES),
                        help='server: the kind of root service')
    parser.add_argument('--fail-kind', default='ValueError',
                        help="client: the exception type of the server's "
                             'fail() (default: ValueError)')
    return parser.parse_args(argv)


def main(argv=None):
    """Run the server or the client; return the exit code."""
    args = parse_args(argv)
    codec = aiomas_compat.codec_by_name(args.codec)
    if args.role == 'server':
        return asyncio.run(run_server(args.addr, codec, args.service))
    return asyncio.run(run_client(args.addr, codec, args.codec,
                                  args.fail_kind))


if __name__ == '__main__':
    sys.exit(main())
