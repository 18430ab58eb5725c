"""Interop peer for TLS between containers (``Container.create(..., ssl=...)``).

Usage::

    tls_agent_peer.py server ADDR --codec CODEC --ca CA --cert CERT --key KEY
    tls_agent_peer.py client AGENT_URL --codec CODEC --ca CA --cert CERT --key KEY
                      [--listen ADDR] [--peer-cn NAME] [--stop]
    tls_agent_peer.py refused AGENT_URL --codec CODEC --ca CA --cert CERT --key KEY
                      [--listen ADDR] [--expect verify|alert]

ADDR is HOST:PORT ('[::1]:PORT' for IPv6; port 0 picks a free port); CODEC
is json, msgpack or msgpack-blosc.  Every mode runs a Python aiomas container
created with ``ssl=aiomas.SSLCerts(CA, CERT, KEY)`` (TLS 1.2, ``ECDH+AESGCM``,
mutual authentication against CA, host names checked) and a ``TlsAgent``
(agent 0): ``agent_peer.PyAgent`` (greet, add, fail, echo, tomorrow, utcnow,
ping, call_back) plus

- ``call_url(url, method, args)``: connects from this container to the agent
  at *url* and returns ``await getattr(agent, method)(*args)``;
- ``tls_connections()``: ``[direction, TLS version, cipher, peer's common
  name]`` for each open connection of this container (direction ``'in'``:
  accepted by its server socket, ``'out'``: opened by ``connect()``).

``server`` prints ``READY <TlsAgent's URL>`` once its container listens and
serves until stdin closes or it gets SIGTERM (exit status 0).

``client`` checks the ``Echo`` agent (``examples/shared/echo.rs``) of a Rust
TLS container at AGENT_URL with ``agent_peer``'s scenario (values, keywords,
errors, references and callbacks both ways, ``call_url`` back into this
container), then that both connections between the containers (ours to it, its
``call_url`` connection to us) are TLS 1.2 with an ECDHE AES-GCM cipher, that
the Rust container's certificate is valid for its host and, with
``--peer-cn``, has that common name on both connections.  With ``--stop`` it
calls ``stop()`` last.  It prints ``OK <n> checks`` (exit 0) or ``FAIL ...``
lines (exit 1).

``refused`` expects ``connect(AGENT_URL)`` to fail in the TLS handshake: it
prints ``REFUSED <exception type>: <message>`` and ``OK <n> checks`` (exit 0)
if it does, ``FAIL ...`` lines (exit 1) if the connection was served.  With
``--expect verify`` the failure must be our own check of the peer's
certificate (``ssl.SSLCertVerificationError``), with ``--expect alert`` the
peer's refusal of our certificate (an ``ssl.SSLError`` that is no verification
error, or the connection dropped during the handshake).
"""
import argparse
import asyncio
import ipaddress
import ssl
import sys
import warnings

import aiomas_compat  # first: patches aiomas 2.0.1 for Python 3.11

import aiomas
from aiomas.exceptions import RemoteException

from agent_peer import (PyAgent, bind_addr, check_connect, check_methods,
                        check_references, shutdown)
from peer_common import (Checks, add_codec_option, call, expect_result,
                         run_role, run_scenario, serve_until_shutdown)

CONNECT_TIMEOUT = 10  # seconds; a hanging handshake is a failure, not a hang

# ssl.PROTOCOL_TLSv1_2, used by aiomas' TLS helpers, is deprecated since 3.10.
warnings.filterwarnings('ignore', category=DeprecationWarning)


# --- the Python agent --------------------------------------------------------

def common_name(cert):
    """The subject's common name of a decoded peer certificate, or None."""
    for rdn in (cert or {}).get('subject', ()):
        for key, value in rdn:
            if key == 'commonName':
                return value
    return None


def tls_info(rpc_con):
    """``[version, cipher, peer CN]`` of an RPC connection, or None if it is
    closed or not TLS."""
    transport = rpc_con.channel.transport
    if transport is None or transport.is_closing():
        return None
    ssl_object = transport.get_extra_info('ssl_object')
    if ssl_object is None:
        return None
    return [ssl_object.version(), ssl_object.cipher()[0],
            common_name(ssl_object.getpeercert())]


def peer_cert(rpc_con):
    """The decoded certificate of the peer of *rpc_con* (or None)."""
    ssl_object = rpc_con.channel.transport.get_extra_info('ssl_object')
    return ssl_object.getpeercert() if ssl_object is not None else None


class TlsAgent(PyAgent):
    """PyAgent plus calls by URL and a report on the container's TLS."""

    @aiomas.expose
    async def call_url(self, url, method, args):
        agent = await asyncio.wait_for(self.container.connect(url),
                                       CONNECT_TIMEOUT)
        return await getattr(agent, method)(*args)

    @aiomas.expose
    def tls_connections(self):
        return connections(self.container)


def connections(container):
    """``[direction, version, cipher, peer CN]`` of the open connections of
    *container*, incoming first."""
    outgoing = list(container._connections_out.values())
    incoming = [c for c in container._rpc_cons if c not in outgoing]
    result = []
    for direction, cons in (('in', incoming), ('out', outgoing)):
        for con in cons:
            info = tls_info(con)
            if info is not None:
                result.append([direction] + info)
    return result


# --- helpers -----------------------------------------------------------------

async def create_container(args):
    """A Python TLS container on ``args.listen`` with a TlsAgent (agent 0)."""
    codec = aiomas_compat.codec_by_name(args.codec)
    addr = bind_addr(args.listen)
    certs = aiomas.SSLCerts(args.ca, args.cert, args.key)
    container = await aiomas.Container.create(addr, codec=codec, ssl=certs,
                                              as_coro=True)
    return container, TlsAgent(container), addr


def is_strong(version, cipher):
    """What aiomas' contexts allow: TLS 1.2 with ECDHE and AES-GCM."""
    return version == 'TLSv1.2' and cipher.startswith('ECDHE-') and \
        'GCM' in cipher


# --- client: our agent calls the Rust container's Echo agent -------------------

def check_outgoing_tls(container, url, peer_cn, checks):
    """Our connection to the Rust container is TLS 1.2, ECDHE AES-GCM, and
    its certificate is the expected one."""
    addr, _ = container._parse_url(url)
    con = container._connections_out.get(addr)
    checks.expect('a cached connection to ' + url, con is not None,
                  'cached: {!r}'.format(list(container._connections_out)))
    if con is None:
        return
    info = tls_info(con)
    checks.expect('the connection is TLS', info is not None, 'no ssl_object')
    if info is None:
        return
    version, cipher, cn = info
    print('TLS out', version, cipher, cn)
    checks.expect('TLS 1.2 with ECDHE AES-GCM', is_strong(version, cipher),
                  '{} {}'.format(version, cipher))
    if peer_cn:
        checks.expect('the Rust container presents its certificate',
                      cn == peer_cn,
                      'expected CN {!r}, got {!r}'.format(peer_cn, cn))
    # check_hostname has passed: the SANs hold the host of the URL.
    host = addr[0]
    sans = (peer_cert(con) or {}).get('subjectAltName', ())
    checks.expect('its certificate is valid for ' + host,
                  any(same_name(host, value) for _, value in sans),
                  'subjectAltName: {!r}'.format(sans))


def same_name(host, name):
    """Whether *name* from a subjectAltName is *host* (IP addresses compared
    as addresses: OpenSSL writes ::1 as 0:0:0:0:0:0:0:1)."""
    try:
        return ipaddress.ip_address(host) == ipaddress.ip_address(name)
    except ValueError:
        return host.lower() == name.lower()


def check_incoming_tls(container, peer_cn, checks):
    """The Rust container's own connection to us (``call_url``) is TLS 1.2
    with its client certificate."""
    incoming = [c for c in connections(container) if c[0] == 'in']
    for direction, version, cipher, cn in incoming:
        print('TLS', direction, version, cipher, cn)
    checks.expect('the Rust container connected to us', len(incoming) >= 1,
                  'connections: {!r}'.format(connections(container)))
    for _, version, cipher, cn in incoming:
        checks.expect('incoming: TLS 1.2 with ECDHE AES-GCM',
                      is_strong(version, cipher),
                      '{} {}'.format(version, cipher))
        if peer_cn:
            checks.expect('incoming: the Rust container presents its '
                          'certificate', cn == peer_cn,
                          'expected CN {!r}, got {!r}'.format(peer_cn, cn))


async def client_scenario(args, container, agent, checks):
    echo = await check_connect(container, args.url, checks)
    check_outgoing_tls(container, args.url, args.peer_cn, checks)
    await check_methods(echo, checks, args.codec)
    await check_references(echo, agent, checks)
    check_incoming_tls(container, args.peer_cn, checks)
    # The connection is still good after all of that.
    await expect_result(checks, 'echo at the end', echo.echo('bye'), 'bye')
    if args.stop:
        await expect_result(checks, 'stop()', echo.stop(), None)


async def run_client(args):
    """Run the scenario against the Echo agent at ``args.url``."""
    checks = Checks()
    container, agent, addr = await create_container(args)
    # OSError: ConnectionError and ssl.SSLError
    return await run_scenario(
        checks, client_scenario(args, container, agent, checks),
        lambda: shutdown(container, addr), (OSError, RemoteException))


# --- refused: the Rust container and we do not trust each other ----------------

async def run_refused(args):
    """Expect connecting to ``args.url`` to fail during the TLS handshake."""
    checks = Checks()
    container, _, addr = await create_container(args)
    try:
        # One attempt only: aiomas 2.0.1 leaves a failed attempt's future in
        # its cache, so a second connect() to the same address would hang.
        agent = await asyncio.wait_for(container.connect(args.url),
                                       CONNECT_TIMEOUT)
    except asyncio.TimeoutError:
        checks.expect('connect() fails', False,
                      'no answer within {} s'.format(CONNECT_TIMEOUT))
    except (ssl.SSLError, ConnectionError, asyncio.IncompleteReadError) as exc:
        print('REFUSED {}: {}'.format(type(exc).__name__, exc))
        checks.expect('connect() fails', True)
        verify = isinstance(exc, ssl.SSLCertVerificationError)
        if args.expect == 'verify':
            checks.expect('we refuse the peer\'s certificate', verify,
                          'got {!r}'.format(exc))
        elif args.expect == 'alert':
            checks.expect('the peer refuses our certificate', not verify,
                          'got {!r}'.format(exc))
    else:
        checks.expect('connect() fails', False,
                      'connected to {}'.format(agent))
        try:
            reply = await call(agent.echo('served'))
            checks.expect('no request is served', False,
                          'echo() returned {!r}'.format(reply))
        except (OSError, RemoteException, asyncio.TimeoutError) as exc:
            print('request failed: {!r}'.format(exc))
    finally:
        await shutdown(container, addr)
    return checks.report()


# --- server: Rust agents call our TlsAgent -------------------------------------

async def run_server(args):
    """Serve a TlsAgent until shutdown is requested."""
    container, agent, addr = await create_container(args)
    return await serve_until_shutdown(agent.addr,
                                      lambda: shutdown(container, addr))


# --- command line ----------------------------------------------------------

def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='aiomas TLS container peer')
    sub = parser.add_subparsers(dest='role', required=True)

    server = sub.add_parser('server', help='serve a TlsAgent')
    server.add_argument('listen', metavar='ADDR',
                        help='ADDR of the Python container')

    client = sub.add_parser('client', help="check a Rust container's Echo "
                                           "agent over TLS")
    refused = sub.add_parser('refused', help='expect a refused handshake')
    for p in (client, refused):
        p.add_argument('url', help='the agent, e.g. tcp://127.0.0.1:5555/0')
        p.add_argument('--listen', default='127.0.0.1:0',
                       help='ADDR of the Python container')
    client.add_argument('--peer-cn', metavar='NAME',
                        help="the common name of the Rust container's "
                             "certificate")
    client.add_argument('--stop', action='store_true',
                        help='call stop() at the end')
    refused.add_argument('--expect', choices=['verify', 'alert'],
                         help='which side refuses: we (verify) or the peer '
                              '(alert)')

    for p in (server, client, refused):
        add_codec_option(p)
        p.add_argument('--ca', required=True, help='SSLCerts.cafile')
        p.add_argument('--cert', required=True, help='SSLCerts.certfile')
        p.add_argument('--key', required=True, help='SSLCerts.keyfile')
    return parser.parse_args(argv)


def main(argv=None):
    """Run the chosen role; return the exit code."""
    roles = {'client': run_client, 'server': run_server,
             'refused': run_refused}
    return run_role(roles, parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
