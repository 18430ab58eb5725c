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
import math
import random
import sys

import aiomas_compat  # first: patches aiomas 2.0.1 for Python 3.11

import aiomas
from aiomas.exceptions import RemoteException

from peer_common import (REQUEST_TIMEOUT, Checks, add_codec_option,
                         run_channel_server, same, serve_requests)


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


# --- server ----------------------------------------------------------------

async def run_server(addr, codec):
    """Serve the commands on *addr* until shutdown is requested."""
    return await run_channel_server(addr, handle_request, codec=codec)


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
    if codec_name == 'json':
        # Issue 8: these bent before (big ints became floats, '\x00NaN' became NaN).
        values += [
            ('big ints', [2**64, -2**63 - 1, 2**100, -10**40, {'k': 2**64}]),
            ('infinities and marker lookalikes',
             [float('inf'), '\x00NaN', '\x00Infinity', '\x00-Infinity',
              -float('inf'), '\\u0000NaN', 'NaN']),
        ]
    else:
        values.append(('bytes', b'\x00\xff' * 100))
    return values


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
    if codec_name == 'json':
        got = await request(channel, ['echo', [float('nan'), '\x00NaN']])
        checks.expect('echo NaN next to its old marker',
                      isinstance(got[0], float) and math.isnan(got[0])
                      and got[1] == '\x00NaN', 'got {!r}'.format(got))


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
    serving = asyncio.ensure_future(serve_requests(channel, handle_request))
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
    return checks.report()


# --- command line ----------------------------------------------------------

def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='aiomas channel-layer interop peer')
    parser.add_argument('role', choices=['server', 'client'])
    parser.add_argument('addr', type=aiomas_compat.parse_addr,
                        help='HOST:PORT, [V6HOST]:PORT or a Unix socket path')
    add_codec_option(parser)
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
