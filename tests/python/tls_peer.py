"""Interop peer for TLS on the channel layer (``aiomas.channel`` with ``ssl=``).

Usage::

    tls_peer.py server ADDR --codec CODEC --ca CA --cert CERT --key KEY
    tls_peer.py client ADDR --codec CODEC --ca CA --cert CERT --key KEY
    tls_peer.py refused ADDR --codec CODEC --ca CA [--cert CERT --key KEY]

The SSL contexts come from ``aiomas.util.make_ssl_server_context`` and
``make_ssl_client_context`` (TLS 1.2, ``ECDH+AESGCM``, mutual authentication
against the CA in CA), with the PEM files given on the command line.

- ``server`` prints ``READY <addr>`` once it listens and serves until stdin
  closes or it gets SIGTERM.  Requests: ``"ohai"`` -> ``"cya"``,
  ``["echo", x]`` -> x, ``["tls"]`` -> ``[protocol version, cipher name]`` of
  the connection; anything else fails with ``LookupError``.
- ``client`` checks a server that answers ``"ohai"`` with ``"cya"`` and echoes
  anything else (ours), prints ``TLS <version> <cipher>`` and ``OK <n> checks``
  (exit 0), or ``FAIL ...`` lines (exit 1).
- ``refused`` expects the server to refuse the connection (during the
  handshake or, at the latest, on the first request).  It prints
  ``REFUSED <error>`` (exit 0), or ``ACCEPTED`` (exit 1) if it was served.
  Without ``--cert`` the client sends no certificate.
"""
import argparse
import asyncio
import ssl
import sys
import warnings

import aiomas_compat  # first: patches aiomas 2.0.1 for Python 3.11

import aiomas
from peer_common import (REQUEST_TIMEOUT, Checks, add_codec_option,
                         run_channel_server, same)

# ssl.PROTOCOL_TLSv1_2, used by aiomas' helpers, is deprecated since 3.10.
warnings.filterwarnings('ignore', category=DeprecationWarning)


def tls_info(channel):
    """Return ``[version, cipher name]`` of the TLS connection under
    *channel*."""
    ssl_object = channel.transport.get_extra_info('ssl_object')
    return [ssl_object.version(), ssl_object.cipher()[0]]


# --- server ----------------------------------------------------------------

async def handle(channel, request):
    """Answer one request."""
    content = request.content
    # msgpack decodes arrays as tuples
    command = list(content) if isinstance(content, (list, tuple)) else None
    try:
        if content == 'ohai':
            result = 'cya'
        elif command and command[0] == 'echo' and len(command) == 2:
            result = command[1]
        elif command == ['tls']:
            result = tls_info(channel)
        else:
            raise LookupError('unknown request {!r:.200}'.format(content))
    except Exception as exc:
        await request.fail(exc)
    else:
        await request.reply(result)


async def run_server(addr, codec, args):
    """Serve on *addr* with TLS until shutdown is requested."""
    ctx = aiomas.util.make_ssl_server_context(args.ca, args.cert, args.key)
    return await run_channel_server(addr, handle, codec=codec, ssl=ctx)


# --- clients ---------------------------------------------------------------

async def run_client(addr, codec, args):
    """Check a TLS server that answers "ohai" and echoes the rest."""
    ctx = aiomas.util.make_ssl_client_context(args.ca, args.cert, args.key)
    checks = Checks()
    channel = await asyncio.wait_for(
        aiomas.channel.open_connection(addr, codec=codec, ssl=ctx),
        REQUEST_TIMEOUT)
    version, cipher = tls_info(channel)
    print('TLS', version, cipher)
    checks.expect('TLS 1.2', version == 'TLSv1.2', version)
    checks.expect('ECDHE AES-GCM',
                  cipher.startswith('ECDHE-') and 'GCM' in cipher, cipher)
    reply = await asyncio.wait_for(channel.send('ohai'), REQUEST_TIMEOUT)
    checks.expect('ohai', reply == 'cya', repr(reply))
    value = {'a': [1, 2.5, None, True], 'b': 'äöü ✓', 'c': 'x' * 100000}
    reply = await asyncio.wait_for(channel.send(value), REQUEST_TIMEOUT)
    checks.expect('echo', same(value, reply), repr(reply)[:200])
    replies = await asyncio.wait_for(
        asyncio.gather(*(channel.send(i) for i in range(100))),
        REQUEST_TIMEOUT)
    checks.expect('100 concurrent', list(replies) == list(range(100)),
                  repr(replies)[:200])
    await channel.close()
    return checks.report()


async def run_refused(addr, codec, args):
    """Expect the server to refuse us; exit 0 if it does."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLSv1_2)
    ctx.set_ciphers('ECDH+AESGCM')
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cafile=args.ca)
    ctx.check_hostname = True
    if args.cert:
        ctx.load_cert_chain(certfile=args.cert, keyfile=args.key)
    try:
        channel = await asyncio.wait_for(
            aiomas.channel.open_connection(addr, codec=codec, ssl=ctx),
            REQUEST_TIMEOUT)
        try:
            await asyncio.wait_for(channel.send('ohai'), REQUEST_TIMEOUT)
        finally:
            await channel.close()
    except (ssl.SSLError, ConnectionError, asyncio.IncompleteReadError) as exc:
        print('REFUSED', repr(exc))
        return 0
    print('ACCEPTED')
    return 1


# --- command line ----------------------------------------------------------

def main(argv=None):
    """Run the chosen role; return the exit code."""
    parser = argparse.ArgumentParser(description='aiomas TLS interop peer')
    parser.add_argument('role', choices=['server', 'client', 'refused'])
    parser.add_argument('addr', type=aiomas_compat.parse_addr)
    add_codec_option(parser)
    parser.add_argument('--ca', required=True)
    parser.add_argument('--cert', default='')
    parser.add_argument('--key', default='')
    args = parser.parse_args(argv)
    codec = aiomas_compat.codec_by_name(args.codec)
    role = {'server': run_server, 'client': run_client,
            'refused': run_refused}[args.role]
    return asyncio.run(role(args.addr, codec, args))


if __name__ == '__main__':
    sys.exit(main())
