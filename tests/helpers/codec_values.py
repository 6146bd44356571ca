"""Values a check passes in or a student's function returns, and the test of their coming back unchanged."""

from __future__ import annotations

import numpy as np


def identical(a, b) -> bool:
    """Same type, and for numpy values the same dtype, shape and bytes; containers element by element."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return (a.dtype == b.dtype and a.shape == b.shape and a.flags.writeable == b.flags.writeable
                and (a.dtype == object and all(identical(x, y) for x, y in zip(a.ravel(), b.ravel()))
                     or a.dtype != object and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()))
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and np.asarray(a).tobytes() == np.asarray(b).tobytes()
    if isinstance(a, float):
        return repr(a) == repr(b)  # nan, -0.0, inf
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(identical(a[k], b[k]) for k in a)
    return a == b


def _structured():
    return np.array([(1, 2.5, b"ab"), (-3, np.nan, b"")], dtype=[("i", "<i4"), ("f", "<f8"), ("s", "S2")])


NUMPY_SCALARS = [
    np.bool_(True), np.bool_(False), np.int8(-8), np.int16(300), np.int32(-7), np.int64(2**62), np.uint8(255),
    np.uint16(9), np.uint32(2**31), np.uint64(2**64 - 1), np.float16(0.1), np.float32(1 / 3), np.float64(-0.0),
    np.float64(np.nan), np.float64(np.inf), np.longdouble(1) / 3, np.complex64(1 - 2j), np.complex128(np.nan + 1j),
    np.clongdouble(1 + 1j), np.datetime64("2026-11-26T08:40"), np.datetime64("NaT"), np.timedelta64(5, "ms"),
    np.str_("ü text"), np.bytes_(b"\x00raw"), _structured()[0], np.void(b"\x01\x02\x03"),
]

ARRAYS = [
    np.arange(6, dtype=np.float32).reshape(2, 3),
    np.asfortranarray(np.arange(12.0).reshape(3, 4)),
    np.arange(20)[::3],                                 # not contiguous
    np.arange(24.0).reshape(2, 3, 4).transpose(2, 0, 1),
    np.zeros((0, 3)), np.array([], dtype=np.int64), np.zeros((2, 0, 5), dtype=np.uint8),
    np.array(3.5), np.array(7, dtype=np.int16), np.array(True),  # 0-d arrays stay 0-d
    np.array([np.nan, np.inf, -np.inf, -0.0]), np.array([1, 2], dtype=">f8"),  # big-endian kept
    np.array([[True, False]]), np.array([1 + 2j, 3j], dtype=np.complex64),
    np.array(["2020-01-01", "NaT"], dtype="datetime64[D]"), np.array([1, 2], dtype="timedelta64[h]"),
    np.array(["a", "bcd"]), np.array([b"x", b"yz"]), _structured(),
    np.array([1.0, 2.0], dtype=np.float16), np.ones(3, dtype=np.longdouble) / 3,
]

PYTHON = [
    0, -1, 2**100, -(2**70), 1.5, -0.0, float("nan"), float("inf"), float("-inf"), True, False, None, "", "ü text",
    b"bytes\x00", (), (1,), [], [1, (2, [3.0, None])], {"a": 1, 2: (3,), (4, "k"): [5]},
    (np.float64(0.3), np.float64(0.2)),                 # what mse_gradients often returns
    [(np.float64(0.1), 0.2), (0.3, np.float32(0.4))],   # a log of (m, b) pairs
    {"val_loss": [np.float32(0.5), 0.4]},
]
