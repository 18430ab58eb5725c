"""Interop peer for the channel layer (``aiomas.channel``, no RPC).

Usage::

    channel_peer.py server ADDR --codec CODEC
    channel_peer.py client ADDR --codec CODEC

ADDR is HOST:PORT ('[::1]:PORT' for IPv6, port 0 picks a free port) or a Unix
socket path; CODEC is json, msgpack or msgpack-blosc.

The server prints ``READY <addr>`` once it listens and serves until stdin
closes or it gets SIGTERM (exit status 0).  Every request's content is a list
``[command, *args]``, handled concurrently, each in its own task:

- ``["echo", x]``: reply x
- ``["fail", msg]``: fail with ``ValueError(msg)``
- ``["sleep", dt, x]``: reply x after dt seconds (replies come out of order)
- ``["close"]``: close the connection without replying
- ``["call_back", x]``: send request x back over the same channel and reply
  ``["called_back", reply]``, or ``["remote_error", traceback]`` if it failed
- anything else: fail with ``LookupError``

The client runs a self-checking scenario against a server that implements
these commands, answering ``["echo", x]`` requests itself, and prints
``OK <n> checks`` (exit 0) or the mismatches (exit 1).
"""
import argparse
import asyncio
import os
import random
import signal
import sys
import threading

import aiomas_compat  # first: patches aiomas 2.0.1 for Python 3.11

import aiomas
from aiomas.exceptions import RemoteException

REQUEST_TIMEOUT = 10  # seconds; a missing reply is a failed check, not a hang


# --- serving: used by the server and by the client (for call_back) ---------

class NoReply(Exception):
    """Raised by a command that deliberately sends no reply."""


async def cmd_echo(channel, x):
    """Reply with *x* unchanged."""
    return x


async def cmd_fail(channel, msg):
    """Fail; the peer gets a traceback whose last line is 'ValueError: msg'."""
    raise ValueError(msg)


async def cmd_sleep(channel, dt, x):
    """Reply with *x* after *dt* seconds."""
    await asyncio.sleep(dt)
    return x


async def cmd_close(channel):
    """Close the connection while the request is pending."""
    await channel.close()
    raise NoReply()


async def cmd_call_back(channel, request):
    """Send *request* to the peer and report its reply (or its error)."""
    try:
        return ['called_back', await channel.send(request)]
    except RemoteException as exc:
        return ['remote_error', str(exc.remote_traceback)]


COMMANDS = {
    'echo': cmd_echo,
    'fail': cmd_fail,
    'sleep': cmd_sleep,
    'close': cmd_close,
    'call_back': cmd_call_back,
}


def lookup_command(content):
    """Return the command function and the arguments in *content*."""
    if isinstance(content, (list, tuple)) and content \
            and isinstance(content[0], str) and content[0] in COMMANDS:
        return COMMANDS[content[0]], content[1:]
    raise LookupError('unknown command {!r:.200}'.format(content))


async def handle_request(channel, request):
    """Run the command in *request* and send its result or its error."""
    try:
        command, args = lookup_command(request.content)
        result = await command(channel, *args)
    except NoReply:
        return
    except Exception as exc:
        send, result = request.fail, exc
    else:
        send = request.reply
    try:
        await send(result)
    except ConnectionError:
        pass  # the peer went away while we were busy


async def serve_channel(channel):
    """Answer the requests arriving on *channel* until it closes."""
    tasks = set()  # the loop keeps only weak references to tasks
    try:
        while True:
            request = await channel.recv()
            task = asyncio.ensure_future(handle_request(channel, request))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    except ConnectionError:
        pass
    except Exception as exc:  # bad message type, undecodable frame, ...
        print('connection dropped: {!r}'.format(exc), file=sys.stderr)


# --- server ----------------------------------------------------------------

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


async def run_server(addr, codec):
    """Serve the commands on *addr* until shutdown is requested."""
    channels = set()

    async def serve_client(channel):
        channels.add(channel)
        try:
            await serve_channel(channel)
        finally:
            channels.discard(channel)

    server = await aiomas.channel.start_server(addr, serve_client,
                                               codec=codec)
    print('READY', aiomas_compat.format_sockname(server.sockets[0]),
          flush=True)
    try:
        await wait_for_shutdown()
    finally:
        server.close()
        # Close connections before asyncio.run() cancels aiomas' writer
        # tasks, which assert that their connection is gone.
        await asyncio.gather(*(channel.close() for channel in channels))
        await server.wait_closed()
        if isinstance(addr, str) and os.path.exists(addr):
            os.unlink(addr)
    return 0


# --- client ----------------------------------------------------------------

def echo_values(codec_name):
    """Return (label, value) pairs that must survive an echo round-trip."""
    values = [
        ('nested', {'a': [1, 2, {'b': None}], 'c': {'d': 'e'}, 'f': [[[]]]}),
        ('unicode', 'äöü ✓ 日本 🦀'),
        ('int 0', 0),
        ('int -1', -1),
        ('int 2**31', 2**31),
        ('int -2**63', -2**63),
        ('int 2**63-1', 2**63 - 1),
        ('int 2**64-1', 2**64 - 1),
        ('float 0.5', 0.5),
        ('float -1e300', -1e300),
        ('float pi', 3.141592653589793),
        ('true', True),
        ('false', False),
        ('none', None),
        ('empty list', []),
        ('empty dict', {}),
        ('long string', 'aiomas ' * 50000),
    ]
    if codec_name != 'json':
        values.append(('bytes', b'\x00\xff' * 100))
    return values


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


async def request(channel, content, timeout=REQUEST_TIMEOUT):
    """Send *content* and return its reply, failing after *timeout*."""
    return await asyncio.wait_for(channel.send(content), timeout)


async def check_echo(channel, checks, codec_name):
    """(a) Values of all kinds come back unchanged."""
    for label, value in echo_values(codec_name):
        try:
            got = await request(channel, ['echo', value])
        except RemoteException as exc:
            got = exc
        checks.expect('echo ' + label, same(value, got),
                      'sent {!r:.200}, got {!r:.300}'.format(value, got))


async def check_fail(channel, checks):
    """(b) A failing request raises RemoteException with the traceback."""
    msg = 'boom from python client'
    try:
        got = await request(channel, ['fail', msg])
    except RemoteException as exc:
        tb = exc.remote_traceback
        last = tb.strip().splitlines()[-1] if tb.strip() else ''
        checks.expect('fail message', msg in tb, 'traceback: ' + repr(tb))
        checks.expect('fail last line', last.startswith('ValueError: '),
                      'last line: ' + repr(last))
    else:
        checks.expect('fail raises', False, 'got reply {!r}'.format(got))


async def check_concurrent(channel, checks, n=1000):
    """(c) n concurrent requests with random delays get their own replies."""
    rng = random.Random(1)
    replies = await asyncio.wait_for(asyncio.gather(*(
        channel.send(['sleep', rng.uniform(0, 0.05), i]) for i in range(n)
    )), 3 * REQUEST_TIMEOUT)
    wrong = [(i, r) for i, r in enumerate(replies) if r != i]
    checks.expect('{} concurrent sleeps'.format(n), not wrong,
                  '{} wrong replies, e.g. {}'.format(len(wrong), wrong[:5]))


async def check_call_back(channel, checks):
    """(d) The server calls us back on the same channel during a request."""
    got = await request(channel, ['call_back', ['echo', 'ping']])
    checks.expect('call_back', same(['called_back', 'ping'], got),
                  'got {!r}'.format(got))


async def check_close(addr, codec, checks):
    """The server closing the connection fails the pending request."""
    channel = await aiomas.channel.open_connection(addr, codec=codec)
    try:
        got = await request(channel, ['close'])
    except ConnectionError:
        checks.expect('close fails request', True)
    else:
        checks.expect('close fails request', False, 'got {!r}'.format(got))
    finally:
        await channel.close()


async def close_mid_request(channel):
    """(e) Close while a request is pending.  The echo after the sleep request
    proves the server has received it (frames are handled in order)."""
    channel.send(['sleep', 5, 0])
    await request(channel, ['echo', 'last'])
    await channel.close()


async def run_client(addr, codec, codec_name):
    """Run the scenario against the server at *addr*; return the exit code."""
    checks = Checks()
    channel = await aiomas.channel.open_connection(addr, codec=codec)
    serving = asyncio.ensure_future(serve_channel(channel))
    try:
        await check_echo(channel, checks, codec_name)
        await check_fail(channel, checks)
        await check_concurrent(channel, checks)
        await check_call_back(channel, checks)
        await check_close(addr, codec, checks)
        await close_mid_request(channel)
    except (asyncio.TimeoutError, ConnectionError) as exc:
        checks.expect('scenario', False, 'aborted: {!r}'.format(exc))
    await channel.close()
    await serving
    if checks.failed:
        print('FAILED {} of {} checks'.format(
            checks.failed, checks.failed + checks.passed))
        return 1
    print('OK {} checks'.format(checks.passed))
    return 0


# --- command line ----------------------------------------------------------

def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='aiomas channel-layer interop peer')
    parser.add_argument('role', choices=['server', 'client'])
    parser.add_argument('addr', type=aiomas_compat.parse_addr,
                        help='HOST:PORT, [V6HOST]:PORT or a Unix socket path')
    parser.add_argument('--codec', default='json',
                        choices=sorted(aiomas_compat.CODECS))
    return parser.parse_args(argv)


def main(argv=None):
    """Run the server or the client; return the exit code."""
    args = parse_args(argv)
    codec = aiomas_compat.codec_by_name(args.codec)
    if args.role == 'server':
        return asyncio.run(run_server(args.addr, codec))
    return asyncio.run(run_client(args.addr, codec, args.codec))


if __name__ == '__main__':
    sys.exit(main())
