"""Make aiomas 2.0.1 (2017) run on Python 3.11 with msgpack 1.x and arrow 1.x.

Every Python peer script imports this module before it uses aiomas.  The
patches are applied at import time, in memory only: the installed package is
never edited.  They are scoped to aiomas where possible: aiomas modules get
their own view of ``asyncio`` and ``msgpack``, the real modules stay untouched.

What breaks without them, and where:

- ``asyncio.gather(..., loop=...)``, ``asyncio.sleep(..., loop=...)`` and
  ``asyncio.Queue(loop=...)``: the ``loop`` argument was removed in 3.10
  (``Container.shutdown``, ``LocalQueueServer.wait_closed``,
  ``AsyncioClock.sleep``/``sleep_until``, ``local_queue.create_connection``).
- ``asyncio.get_event_loop()`` outside a running loop: raises RuntimeError
  once ``asyncio.run()`` has run in the thread (3.10+), warns in 3.12+
  (``Container.create``, clocks, ``aiomas.run``).
- msgpack 1.x ``unpackb()`` has no ``encoding=`` (all msgpack codecs).
- arrow 1.x ``Arrow.replace(seconds=...)`` is ``shift(seconds=...)``
  (``ExternalClock.utcnow``).

Also provides small helpers shared by the peer scripts: :func:`codec_by_name`,
:func:`parse_addr` and :func:`format_sockname`.
"""
import asyncio
import socket
import types
import warnings

import aiomas
import aiomas.agent
import aiomas.channel
import aiomas.clocks
import aiomas.codecs
import aiomas.local_queue
import aiomas.util

__all__ = ['CODECS', 'codec_by_name', 'parse_addr', 'format_sockname']


def _event_loop():
    """Return the running event loop, else the thread's current one, creating
    and setting a new loop if there is none (the Python 3.5 behaviour of
    ``asyncio.get_event_loop()`` that aiomas relies on)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    policy = asyncio.get_event_loop_policy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', DeprecationWarning)
            return policy.get_event_loop()
    except RuntimeError:  # asyncio.run() has unset the thread's loop
        loop = policy.new_event_loop()
        policy.set_event_loop(loop)
        return loop


class _Queue(asyncio.Queue):
    """``asyncio.Queue`` that accepts (and ignores) the ``loop`` argument
    removed in Python 3.10 (``aiomas.local_queue.create_connection``)."""

    def __init__(self, maxsize=0, *, loop=None):
        super().__init__(maxsize)


class _AsyncioForAiomas(types.ModuleType):
    """The ``asyncio`` module as aiomas 2.0.1 expects it: everything is
    forwarded to the real module except the functions overridden here."""

    def __init__(self):
        super().__init__('asyncio', self.__doc__)

    def __getattr__(self, name):
        return getattr(asyncio, name)

    Queue = _Queue

    @staticmethod
    def gather(*aws, loop=None, return_exceptions=False):
        """``asyncio.gather`` without the ``loop`` argument (removed in 3.10;
        ``Container.shutdown``, ``LocalQueueServer.wait_closed``)."""
        return asyncio.gather(*aws, return_exceptions=return_exceptions)

    @staticmethod
    def sleep(delay, result=None, *, loop=None):
        """``asyncio.sleep`` without the ``loop`` argument (removed in 3.10;
        ``AsyncioClock.sleep`` and ``sleep_until``)."""
        return asyncio.sleep(delay, result)

    @staticmethod
    def get_event_loop():
        """``asyncio.get_event_loop`` that never fails nor warns outside a
        running loop (``open_connection``/``start_server``/``Container.create``
        and the clocks when no ``loop`` is passed)."""
        return _event_loop()


class _MsgpackForAiomas(types.ModuleType):
    """The ``msgpack`` module as aiomas 2.0.1 expects it (written for msgpack
    0.4/0.5): everything is forwarded to msgpack 1.x except ``unpackb``."""

    def __init__(self, msgpack):
        super().__init__('msgpack', self.__doc__)
        self._msgpack = msgpack

    def __getattr__(self, name):
        return getattr(self._msgpack, name)

    def unpackb(self, packed, *, encoding=None, **kwargs):
        """``msgpack.unpackb`` with msgpack 0.5 semantics.

        msgpack 1.0 removed ``encoding=`` (aiomas passes 'utf-8'); its
        equivalent is ``raw=False`` (str -> str, bin -> bytes).  msgpack 1.0
        also started to reject map keys other than str/bytes by default
        (``strict_map_key=True``); msgpack 0.5 accepted any key, so a peer's
        integer-keyed map must still decode.
        """
        if encoding is not None:
            kwargs['raw'] = False
        kwargs.setdefault('strict_map_key', False)
        return self._msgpack.unpackb(packed, **kwargs)


def _external_clock_utcnow(self):
    """``ExternalClock.utcnow`` for arrow 1.x, where the relative
    ``replace(seconds=...)`` of arrow < 0.14 is ``shift(seconds=...)``."""
    return self._utc_start.shift(seconds=self._time)


def _run(until=None, loop=None):
    """``aiomas.util.run`` with a ``get_event_loop()`` that works after
    ``asyncio.run()`` (see :func:`_event_loop`)."""
    loop = _event_loop() if loop is None else loop
    if until is None:
        return loop.run_forever()
    return loop.run_until_complete(until)


def _apply_patches():
    """Install the replacements into the aiomas modules that need them."""
    # gather/sleep/Queue(loop=...) and get_event_loop(), see the classes above.
    asyncio_view = _AsyncioForAiomas()
    for module in (aiomas.agent, aiomas.channel, aiomas.clocks,
                   aiomas.local_queue):
        module.asyncio = asyncio_view
    # unpackb(encoding=...); aiomas.codecs holds the module in a global.
    if aiomas.codecs.msgpack is not None:
        aiomas.codecs.msgpack = _MsgpackForAiomas(aiomas.codecs.msgpack)
    # arrow's replace(seconds=...) -> shift(seconds=...).
    aiomas.clocks.ExternalClock.utcnow = _external_clock_utcnow
    # aiomas.run() / util.run() without a loop after asyncio.run().
    aiomas.util.run = aiomas.run = _run


_apply_patches()


CODECS = {
    'json': aiomas.codecs.JSON,
    'msgpack': aiomas.codecs.MsgPack,
    'msgpack-blosc': aiomas.codecs.MsgPackBlosc,
}


def codec_by_name(name):
    """Return the aiomas codec class for 'json', 'msgpack' or
    'msgpack-blosc'."""
    try:
        return CODECS[name]
    except KeyError:
        raise ValueError('unknown codec {!r}, expected one of {}'.format(
            name, ', '.join(CODECS))) from None


def parse_addr(text):
    """Parse a peer address: 'HOST:PORT' (IPv6 as '[::1]:PORT') becomes a
    ``(host, port)`` tuple, anything containing '/' a Unix socket path."""
    if '/' in text:
        return text
    host, sep, port = text.rpartition(':')
    if not sep or not host or not port.isdigit():
        raise ValueError('bad address {!r}: expected HOST:PORT or a socket '
                         'path'.format(text))
    if host.startswith('[') and host.endswith(']'):
        host = host[1:-1]
    return host, int(port)


def format_sockname(sock):
    """Return the bound address of a listening socket in the form that
    :func:`parse_addr` reads: 'host:port', '[v6host]:port' or the path."""
    name = sock.getsockname()
    if sock.family == socket.AF_UNIX:
        return name
    host, port = name[:2]
    if sock.family == socket.AF_INET6:
        host = '[{}]'.format(host)
    return '{}:{}'.format(host, port)
