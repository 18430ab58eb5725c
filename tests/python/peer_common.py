"""What the peer scripts share (import it after :mod:`aiomas_compat`).

- The server life cycle: :func:`serve_until_shutdown` prints ``READY <addr>``
  and serves until stdin closes or SIGTERM/SIGINT arrives
  (:func:`wait_for_shutdown`); :func:`close_server` and
  :func:`remove_socket_file` clean up after a channel or RPC server.
  :func:`run_channel_server` is all of that for a channel server whose
  requests :func:`serve_requests` hands to a function.
- Self-checks: :class:`Checks` counts them, prints ``FAIL <label>: <detail>``
  for each failed one and the final ``OK <n> checks`` (exit 0) or
  ``FAILED <f> of <n> checks`` (exit 1); :func:`run_scenario` runs a
  scenario of checks in time; :func:`same` compares values.
- Checks of remote calls (RPC and agents): :func:`call`,
  :func:`expect_result`, :func:`expect_error` with :func:`is_exactly`, and
  :func:`last_line`.
- :func:`add_codec_option` and :func:`run_role` for the command lines.
"""
import asyncio
import os
import signal
import sys
import threading

import aiomas_compat  # first: patches aiomas 2.0.1 for Python 3.11

import aiomas
from aiomas.exceptions import RemoteException

REQUEST_TIMEOUT = 10  # seconds; a missing reply is a failed check, not a hang
SCENARIO_TIMEOUT = 60  # seconds for a whole scenario


# --- servers -----------------------------------------------------------------

async def wait_for_shutdown():
    """Return when stdin reaches EOF (also: /dev/null, closed) or on SIGTERM
    or SIGINT."""
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)

    def drain_stdin():
        """Read stdin to EOF, then request shutdown.  A thread, because
        asyncio cannot watch every kind of stdin (e.g. /dev/null); raw reads,
        because a daemon thread must hold no lock of sys.stdin at exit."""
        try:
            while os.read(0, 65536):
                pass
        except OSError:  # stdin closed: as good as EOF
            pass
        loop.call_soon_threadsafe(done.set)

    threading.Thread(target=drain_stdin, daemon=True).start()
    await done.wait()


async def serve_until_shutdown(addr, cleanup):
    """Print ``READY <addr>``, wait for shutdown (:func:`wait_for_shutdown`),
    then await ``cleanup()``; return the exit code 0."""
    print('READY', addr, flush=True)
    try:
        await wait_for_shutdown()
    finally:
        await cleanup()
    return 0


async def close_server(server, connections, addr, return_exceptions=False):
    """Close a channel or RPC *server* on *addr* and its open *connections*
    (channels or RPC clients), then remove its socket file."""
    server.close()
    # Close connections before asyncio.run() cancels aiomas' writer tasks,
    # which assert that their connection is gone.
    await asyncio.gather(*(c.close() for c in connections),
                         return_exceptions=return_exceptions)
    await server.wait_closed()
    remove_socket_file(addr)


def remove_socket_file(addr):
    """Remove the socket file of *addr* if it is a Unix socket path."""
    if isinstance(addr, str) and os.path.exists(addr):
        os.unlink(addr)


async def serve_requests(channel, handle):
    """Run ``handle(channel, request)`` for each request arriving on
    *channel*, each in a task of its own, until the channel closes."""
    tasks = set()  # the loop keeps only weak references to tasks
    try:
        while True:
            request = await channel.recv()
            task = asyncio.ensure_future(handle(channel, request))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    except ConnectionError:
        pass
    except Exception as exc:  # bad message type, undecodable frame, ...
        print('connection dropped: {!r}'.format(exc), file=sys.stderr)


async def run_channel_server(addr, handle, **options):
    """A channel server on *addr* (``aiomas.channel.start_server`` with
    *options*) whose requests go to ``handle(channel, request)``
    (:func:`serve_requests`), until shutdown; return the exit code 0."""
    channels = set()

    async def serve_client(channel):
        channels.add(channel)
        try:
            await serve_requests(channel, handle)
        finally:
            channels.discard(channel)

    server = await aiomas.channel.start_server(addr, serve_client, **options)
    return await serve_until_shutdown(
        aiomas_compat.format_sockname(server.sockets[0]),
        lambda: close_server(server, channels, addr))


# --- self-checks ---------------------------------------------------------------

def same(expected, got):
    """Compare recursively, types included; tuples count as lists (msgpack
    decodes arrays as tuples)."""
    def kind(x):
        return list if isinstance(x, tuple) else type(x)

    if kind(expected) is not kind(got):
        return False
    if isinstance(expected, (list, tuple)):
        return len(expected) == len(got) and all(
            same(e, g) for e, g in zip(expected, got))
    if isinstance(expected, dict):
        return expected.keys() == got.keys() and all(
            same(v, got[k]) for k, v in expected.items())
    return expected == got


class Checks:
    """Counts passed checks and prints failed ones."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def expect(self, label, ok, detail=''):
        """Record one check; *detail* explains a failure."""
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print('FAIL {}: {}'.format(label, detail))

    def report(self):
        """Print the summary line; return the exit code."""
        if self.failed:
            print('FAILED {} of {} checks'.format(
                self.failed, self.failed + self.passed))
            return 1
        print('OK {} checks'.format(self.passed))
        return 0


async def run_scenario(checks, scenario, cleanup, errors):
    """Await *scenario*, a coroutine that records *checks*, for at most
    :data:`SCENARIO_TIMEOUT`: a timeout or one of the exception types
    *errors* aborts it, a failed check ``scenario``.  Then await
    ``cleanup()``; return the exit code of :meth:`Checks.report`."""
    try:
        await asyncio.wait_for(scenario, SCENARIO_TIMEOUT)
    except (asyncio.TimeoutError,) + errors as exc:
        checks.expect('scenario', False, 'aborted: {!r}'.format(exc))
    finally:
        await cleanup()
    return checks.report()


# --- checks of remote calls ------------------------------------------------------

def last_line(exc):
    """The last line of a remote traceback: 'Kind: message'."""
    lines = exc.remote_traceback.strip().splitlines()
    return lines[-1] if lines else ''


async def call(coro, timeout=REQUEST_TIMEOUT):
    """Await a remote call, failing after *timeout*."""
    return await asyncio.wait_for(coro, timeout)


async def expect_result(checks, label, coro, expected, exact_type=False):
    """The call *coro* returns *expected* (of exactly its type with
    *exact_type*, e.g. an int and not a float); returns what it got."""
    try:
        got = await call(coro)
    except RemoteException as exc:
        checks.expect(label, False, 'raised: ' + repr(last_line(exc)))
        return None
    ok = same(expected, got) if not exact_type else (
        type(got) is type(expected) and got == expected)
    checks.expect(label, ok, 'expected {!r:.200} ({}), got {!r:.300} ({})'.format(
        expected, type(expected).__name__, got, type(got).__name__))
    return got


async def expect_error(checks, label, coro, test, wanted):
    """The call *coro* raises a RemoteException whose last traceback line
    passes ``test(line)``; *wanted* describes it for the failure message."""
    try:
        got = await call(coro)
    except RemoteException as exc:
        line = last_line(exc)
        checks.expect(label, test(line),
                      'expected {}, got {!r}'.format(wanted, line))
    else:
        checks.expect(label, False, 'no error, got {!r:.200}'.format(got))


def is_exactly(expected):
    """A test for :func:`expect_error`: the line is *expected*."""
    return lambda line: line == expected


# --- command lines ---------------------------------------------------------------

def add_codec_option(parser):
    """``--codec json|msgpack|msgpack-blosc`` (default: json)."""
    parser.add_argument('--codec', default='json',
                        choices=sorted(aiomas_compat.CODECS))


def run_role(roles, args):
    """Run ``roles[args.role](args)`` in a fresh event loop; return its exit
    code."""
    return asyncio.run(roles[args.role](args))
