"""Interop peer for data types and call rules: bytes, NumPy arrays through an
extension type, Python's argument-binding errors, and routers that change
while they are served.

Usage::

    types_peer.py client --types URL --arrays URL --router ADDR

``--types`` is a Rust agent (``tests/tests/types_interop.rs``) exposing

- ``count(data, byte)``: how often *byte* occurs in *data* (a ``Vec<u8>``)
- ``echo(data)``: *data* back (``aiomas::Bytes`` both ways)
- ``plain(n)``: ``[0, 1, ..., n - 1]`` as a plain ``Vec<u8>``
- ``add(a, b)``, ``greet(who, punctuation='!')``, ``tagged(first, *rest, tag)``

``--arrays`` is an ``ArrayAgent`` (``examples/shared/ndarray.rs``) exposing
``scale(array, factor)`` and ``shape(array)``; the Python container registers
the docs' NumPy serializer (``extra_serializers=[get_np_serializer]``), with
``tobytes``/``frombuffer`` in place of ``tostring``/``fromstring``, which
NumPy 2 no longer has.

``--router`` is a Rust RPC server (JSON) whose root ``ServiceMap`` exposes
``plug()`` and ``unplug()``, which add and remove the child ``extra`` (with
``add(a, b)``) while it is served.

Every expected error text comes from Python itself: the same call of a local
function with the same signature, or a local ``ServiceDict``.  Prints
``OK <n> checks`` (exit 0) or ``FAIL ...`` lines (exit 1).
"""
import argparse
import sys

import aiomas_compat  # first: patches aiomas 2.0.1 for Python 3.11

import aiomas
import numpy as np
from aiomas.exceptions import RemoteException

from peer_common import (Checks, expect_error, expect_result, is_exactly,
                         run_role, run_scenario)


# --- the docs' NumPy serializer ------------------------------------------------

def get_np_serializer():
    """Return a tuple *(type, serialize(), deserialize())* for NumPy arrays
    for usage with an :class:`aiomas.codecs.MsgPack` codec."""
    return np.ndarray, _serialize_ndarray, _deserialize_ndarray


def _serialize_ndarray(obj):
    return {
        'type': obj.dtype.str,
        'shape': obj.shape,
        'data': obj.tobytes(),
    }


def _deserialize_ndarray(obj):
    array = np.frombuffer(obj['data'], dtype=np.dtype(obj['type']))
    return array.reshape(obj['shape'])


# --- reference signatures: what Python says for the same calls ---------------

def add(a, b):
    pass


def greet(who, punctuation='!'):
    pass


def tagged(first, *rest, tag):
    pass


BINDING_CASES = [
    (add, (1,), {'c': 2}),
    (add, (), {}),
    (add, (1, 2, 3), {}),
    (add, (1,), {'a': 2}),
    (add, (1, 2), {'c': 3}),
    (add, (1,), {'c': 3, 'a': 2}),
    (greet, (), {}),
    (greet, ('a', 'b', 'c'), {}),
    (greet, ('a',), {'volume': 11}),
    (tagged, (1,), {}),
    (tagged, (), {'tag': 'x'}),
    (tagged, (1, 2), {'tag': 'x', 'other': 1}),
]


def python_says(func, args, kwargs):
    """The last traceback line Python gives for ``func(*args, **kwargs)``."""
    try:
        func(*args, **kwargs)
    except TypeError as exc:
        return 'TypeError: {}'.format(exc)
    raise AssertionError('{} accepted {} {}'.format(func.__name__, args, kwargs))


def python_lookup_error(path):
    """What a Python ServiceDict router says for an unknown *path*."""
    try:
        aiomas.rpc.ServiceDict({}).router.resolve(path)
    except LookupError as exc:
        return 'LookupError: {}'.format(exc)
    raise AssertionError('resolved ' + path)


# --- checks --------------------------------------------------------------------

async def check_bytes(types, checks):
    await expect_result(checks, 'bytes into Vec<u8>',
                        types.count(b'\x07\x00\x07\xff', 7), 2, exact_type=True)
    payload = bytes(range(256)) * 4096  # 1 MiB
    got = await expect_result(checks, 'Bytes round trip', types.echo(payload),
                              payload)
    checks.expect('Bytes arrive as bytes', type(got) is bytes,
                  'got {}'.format(type(got).__name__))
    await expect_result(checks, 'empty bytes', types.echo(b''), b'')
    # A list of ints fills the byte type too; it comes back as bytes.
    await expect_result(checks, 'ints into Bytes', types.echo([1, 2, 255]),
                        b'\x01\x02\xff')
    # Documented: a plain Vec<u8> result is a list of ints (a tuple here).
    got = await expect_result(checks, 'plain Vec<u8> result', types.plain(3),
                              [0, 1, 2])
    checks.expect('plain Vec<u8> arrives as a tuple', type(got) is tuple,
                  'got {}'.format(type(got).__name__))
    await expect_error(checks, 'a byte above 255', types.count([256], 1),
                       lambda line: line.startswith('TypeError: count() '),
                       'a TypeError naming count()')


async def check_arrays(arrays, checks):
    a = np.arange(6, dtype='<f8').reshape(2, 3)
    try:
        got = await arrays.scale(a, 2.5)
    except RemoteException as exc:
        checks.expect('scale()', False, 'raised: ' + exc.remote_traceback)
    else:
        checks.expect('scale() returns an ndarray',
                      isinstance(got, np.ndarray), repr(got))
        checks.expect('scale() keeps shape and dtype',
                      got.shape == (2, 3) and got.dtype == np.float64,
                      '{} {}'.format(getattr(got, 'shape', None),
                                     getattr(got, 'dtype', None)))
        checks.expect('scale() computes', np.array_equal(got, a * 2.5),
                      repr(got))
    big = np.linspace(0.0, 1.0, 128 * 1024)  # 1 MiB of float64
    got = await arrays.scale(big, -1.0)
    checks.expect('a large array', np.array_equal(got, -big), repr(got))
    await expect_result(checks, 'shape() of a Value', arrays.shape(a), [2, 3])
    await expect_error(checks, 'unsupported dtype',
                       arrays.scale(np.arange(3), 2.0),
                       lambda line: line.startswith(
                           'TypeError: unsupported dtype "<i8"'),
                       'TypeError: unsupported dtype "<i8" ...')
    want = 'TypeError: expected an ndarray, got 5'
    await expect_error(checks, 'shape() of a non-array', arrays.shape(5),
                       is_exactly(want), repr(want))


async def check_binding_errors(types, checks):
    for func, args, kwargs in BINDING_CASES:
        want = python_says(func, args, kwargs)
        call = getattr(types, func.__name__)(*args, **kwargs)
        label = '{}(*{!r}, **{!r})'.format(func.__name__, args, kwargs)
        await expect_error(checks, label, call, is_exactly(want), repr(want))
    await expect_result(checks, 'keywords bind', types.add(b=2, a=1), 3)
    await expect_result(checks, 'defaults bind', types.greet('Rust'),
                        'Hello, Rust!')
    await expect_result(checks, '*rest and a keyword-only parameter',
                        types.tagged(1, 2, 3, tag='t'), 't: 1 [2, 3]')


async def check_router(router_addr, checks):
    rpc_con = await aiomas.rpc.open_connection(router_addr)
    try:
        remote = rpc_con.remote
        want = python_lookup_error('extra/add')
        await expect_error(checks, 'before plug()', remote.extra.add(1, 2),
                           is_exactly(want), repr(want))
        await expect_result(checks, 'plug()', remote.plug(), True)
        await expect_result(checks, 'added while served',
                            remote.extra.add(1, 2), 3)
        await expect_result(checks, 'unplug()', remote.unplug(), True)
        await expect_error(checks, 'after unplug()', remote.extra.add(1, 2),
                           is_exactly(want), repr(want))
    finally:
        await rpc_con.close()


async def client_scenario(args, container, checks):
    types = await container.connect(args.types)
    arrays = await container.connect(args.arrays)
    await check_bytes(types, checks)
    await check_arrays(arrays, checks)
    await check_binding_errors(types, checks)
    await check_router(aiomas_compat.parse_addr(args.router), checks)


async def run_client(args):
    checks = Checks()
    addr = ('127.0.0.1', 0)
    container = await aiomas.Container.create(
        addr, codec=aiomas.MsgPack, extra_serializers=[get_np_serializer],
        as_coro=True)
    return await run_scenario(
        checks, client_scenario(args, container, checks),
        lambda: container.shutdown(as_coro=True),
        (ConnectionError, RemoteException))


def parse_args(argv):
    parser = argparse.ArgumentParser(description='aiomas types interop peer')
    sub = parser.add_subparsers(dest='role', required=True)
    client = sub.add_parser('client', help='check the Rust agents')
    client.add_argument('--types', required=True, help='URL of the Types agent')
    client.add_argument('--arrays', required=True,
                        help='URL of the ArrayAgent')
    client.add_argument('--router', required=True,
                        help='HOST:PORT of the run-time router')
    return parser.parse_args(argv)


def main(argv=None):
    return run_role({'client': run_client}, parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
