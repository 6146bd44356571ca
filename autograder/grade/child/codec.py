"""The safe codec between the judge and the sandboxed student process.

Nothing here ever unpickles. A message is a JSON header plus raw binary blobs;
values are JSON primitives, tagged containers, numpy arrays and numpy scalars saved with
``np.save(allow_pickle=False)`` (a 0-d array stays 0-d, a numpy scalar comes back as the
same numpy scalar type), ``bytes``, numpy Generators as their bit generator's state,
Keras ``History`` objects as ``history``/``epoch``, and Keras models as
``to_json()`` + weights + compile config (rebuilt on the judge's side in Keras'
safe mode, never from the student's classes). Anything else crosses as an
"opaque" stand-in that only carries its type name and a short repr.

This module is self-contained (numpy, json, struct; Keras imported lazily): the
sandbox sends its source to the child, which cannot import ``autograder.grade``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import sys

import numpy as np

HEADER = struct.Struct(">QQ")  # header length, total blob length
MAX_DEPTH = 64
OPAQUE_REPR = 200


class CodecError(ValueError):
    """A value could not be encoded, or a message could not be decoded."""


# --------------------------------------------------------------------------
# Framing


def write_message(fd: int, header: dict, blobs: list) -> None:
    head = json.dumps({**header, "blobs": [len(b) for b in blobs]}).encode()
    data = HEADER.pack(len(head), sum(len(b) for b in blobs)) + head
    _write_all(fd, data)
    for blob in blobs:
        for part in blob_parts(blob):
            _write_all(fd, part)


def blob_parts(blob) -> tuple:
    """The pieces to write for one blob (an ``ArrayBlob`` is written from the array's own memory)."""
    return blob.parts if isinstance(blob, ArrayBlob) else (blob,)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def parse_header(data: bytes, max_bytes: int) -> tuple[int, int]:
    head_len, blob_len = HEADER.unpack(data)
    if head_len + blob_len > max_bytes:
        raise CodecError(f"a message of {head_len + blob_len:,} bytes (over the limit of {max_bytes:,})")
    return head_len, blob_len


def split_message(head: bytes, body: bytes) -> tuple[dict, list[bytes]]:
    try:
        header = json.loads(head.decode("utf-8"))
        lengths = header["blobs"]
        if not isinstance(lengths, list) or not all(isinstance(n, int) and n >= 0 for n in lengths):
            raise CodecError("bad blob table")
        if sum(lengths) != len(body):
            raise CodecError("blob table does not match the message")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise CodecError(f"unreadable message: {exc}") from None
    # Views, not copies: a 50 MB answer stays 50 MB in the judge. A bytearray keeps the arrays
    # decoded from it writable, as arrays passed in-process are.
    view = memoryview(body if isinstance(body, bytearray) else bytearray(body))
    blobs, at = [], 0
    for n in lengths:
        blobs.append(view[at:at + n])
        at += n
    return header, blobs


# --------------------------------------------------------------------------
# Values


def _keras():
    return sys.modules.get("keras")


def _is_keras_model(value) -> bool:
    keras = _keras()
    return keras is not None and isinstance(value, keras.Model)


def _is_history(value) -> bool:
    keras = _keras()
    return keras is not None and isinstance(value, keras.callbacks.History)


class ArrayBlob:
    """An array in ``.npy`` format (as ``np.save`` writes it), sent from the array's own memory.

    Keeps 0-d arrays 0-d and Fortran order as it is (``np.ascontiguousarray`` would make a
    0-d array 1-d, turning every numpy scalar into a one-element array); copies the data
    only when the array is neither C- nor Fortran-contiguous.
    """

    def __init__(self, arr: np.ndarray):
        self.array = arr
        fortran = arr.ndim > 1 and not arr.flags.c_contiguous and arr.flags.f_contiguous
        data = arr.T if fortran else (arr if arr.flags.c_contiguous else np.ascontiguousarray(arr))
        header = {"descr": np.lib.format.dtype_to_descr(arr.dtype), "fortran_order": fortran,
                  "shape": arr.shape}
        buf = io.BytesIO()
        try:
            np.lib.format.write_array_header_1_0(buf, header)
        except ValueError:
            np.lib.format.write_array_header_2_0(buf, header)
        self.parts = (buf.getvalue(), memoryview(data.reshape(-1).view(np.uint8)))

    def __len__(self) -> int:
        return len(self.parts[0]) + self.parts[1].nbytes


def _array_blob(arr: np.ndarray) -> ArrayBlob:
    return ArrayBlob(arr)


def read_array(blob) -> np.ndarray:
    """An array from its ``.npy`` bytes, sharing their memory (no copy); never unpickles."""
    if isinstance(blob, ArrayBlob):   # in-process: a copy, as the sandbox would hand back
        return np.array(blob.array, copy=True, order="K")
    view = memoryview(blob)
    head = io.BytesIO(bytes(view[:min(len(view), 1 << 16)]))
    version = np.lib.format.read_magic(head)
    shape, fortran, dtype = (np.lib.format.read_array_header_1_0(head) if version == (1, 0)
                             else np.lib.format.read_array_header_2_0(head))
    if dtype.hasobject:
        raise CodecError("an array of Python objects")
    count = int(np.prod(shape, dtype=np.int64))
    offset = head.tell()
    if len(view) - offset != count * dtype.itemsize:
        raise CodecError("an array whose data does not match its header")
    if count == 0:
        return np.empty(shape, dtype=dtype, order="F" if fortran else "C")
    flat = np.frombuffer(view, dtype=dtype, count=count, offset=offset)
    return flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)


def _plain_dtype(dtype: np.dtype) -> bool:
    """Whether np.save can write arrays of ``dtype`` without pickle (no Python objects inside)."""
    return not dtype.hasobject and dtype.kind in "biufcSUMmV?"


class Encoder:
    """Encode a value tree into (JSON-able tree, blobs)."""

    def __init__(self, refs: dict[int, int] | None = None):
        self.blobs: list[bytes] = []
        self.refs = refs or {}  # id(object) -> argument index, for "returns its argument"

    def blob(self, data: bytes) -> int:
        self.blobs.append(data)
        return len(self.blobs) - 1

    def encode(self, value, depth: int = 0, top: bool = False):
        if depth > MAX_DEPTH:
            raise CodecError("a value nested too deeply")
        if not top and id(value) in self.refs and not isinstance(value, (bool, int, float, str, type(None))):
            return {"$": "argref", "index": self.refs[id(value)], "state": self.state_of(value, depth + 1)}
        # Exact types only: np.str_ is a str and np.float64 a float, but they must come back as themselves.
        if value is None or type(value) in (bool, int, str):
            return value
        if type(value) is bytes:
            return {"$": "bytes", "blob": self.blob(value)}
        if type(value) is float:
            if value != value or value in (float("inf"), float("-inf")):
                return {"$": "float", "value": repr(value)}
            return value
        if isinstance(value, np.generic) and type(value).__module__ == "numpy":
            if not _plain_dtype(value.dtype):
                return self.opaque(value)
            return {"$": "npscalar", "blob": self.blob(_array_blob(np.asarray(value)))}
        if type(value) is np.ndarray:
            if value.dtype == object:
                return {"$": "objarray", "shape": list(value.shape),
                        "items": [self.encode(v, depth + 1) for v in value.reshape(-1).tolist()]}
            if not _plain_dtype(value.dtype):
                return self.opaque(value)
            tree = {"$": "ndarray", "blob": self.blob(_array_blob(value))}
            if not value.flags.writeable:
                tree["readonly"] = True  # writing into it fails on both sides, as in-process
            return tree
        if isinstance(value, np.random.Generator):
            return {"$": "generator", "state": _json_safe(value.bit_generator.state)}
        if type(value) is list:
            return [self.encode(v, depth + 1) for v in value]
        if type(value) is tuple:
            return {"$": "tuple", "items": [self.encode(v, depth + 1) for v in value]}
        if type(value) is dict:
            return {"$": "dict", "items": [[self.encode(k, depth + 1), self.encode(v, depth + 1)]
                                           for k, v in value.items()]}
        if _is_history(value):
            return {"$": "history", "history": self.encode(dict(getattr(value, "history", {}) or {}), depth + 1),
                    "epoch": self.encode(list(getattr(value, "epoch", []) or []), depth + 1)}
        if _is_keras_model(value):
            return self.model(value)
        return self.opaque(value)

    def state_of(self, value, depth: int = 0):
        """What a call left in one of its arguments. A model argument's state is its compile
        settings (the judge reads nothing else back), so its weights do not travel twice."""
        if _is_keras_model(value):
            return self.model(value, weights=False)
        return self.encode(value, depth, top=True)

    def model(self, model, weights: bool = True):
        try:
            config = model.to_json()
            weights = [self.blob(_array_blob(np.asarray(w))) for w in model.get_weights()] if weights else []
        except Exception as exc:  # noqa: BLE001 - the student's model, anything may fail
            return self.opaque(model, note=f"its to_json() failed: {type(exc).__name__}: {str(exc)[:200]}")
        try:
            compiled = model.get_compile_config() if getattr(model, "compiled", False) else None
            compiled = json.loads(json.dumps(compiled, default=str)) if compiled else None
        except Exception:  # noqa: BLE001
            compiled = None
        return {"$": "model", "json": config, "weights": weights, "compile": compiled}

    def opaque(self, value, note: str = ""):
        try:
            text = repr(value)
        except Exception:  # noqa: BLE001
            text = "<unprintable>"
        return {"$": "opaque", "type": type(value).__name__, "module": str(type(value).__module__)[:100],
                "repr": text[:OPAQUE_REPR], "note": note}


def _json_safe(state):
    """A bit generator's state as JSON (it is dicts, strings and ints already)."""
    return json.loads(json.dumps(state))


class Opaque:
    """Stand-in for a value that cannot cross the boundary (its class is renamed to the original's)."""

    def __init__(self, text: str, note: str = ""):
        self._text = text
        self._note = note

    def __repr__(self) -> str:
        return self._text

    __str__ = __repr__


def opaque(type_name: str, text: str, note: str = "", module: str = "") -> Opaque:
    """A stand-in named like the original type (and its module, so messages name it the same way)."""
    name = type_name if str(type_name).isidentifier() else "object"
    cls = type(name, (Opaque,), {"__module__": str(module)[:100] or __name__})
    return cls(str(text)[:OPAQUE_REPR], str(note))


class Decoder:
    """Decode a tree from ``Encoder``; ``models`` says how Keras models are rebuilt (judge side only)."""

    def __init__(self, blobs: list[bytes], args: list | None = None, rebuild_model=None, max_items: int = 50_000_000):
        self.blobs = blobs
        self.args = args or []
        self.rebuild_model = rebuild_model
        self.budget = max_items

    def array(self, index) -> np.ndarray:
        if not isinstance(index, int) or not 0 <= index < len(self.blobs):
            raise CodecError("bad blob reference")
        try:
            return read_array(self.blobs[index])
        except CodecError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise CodecError(f"unreadable array: {exc}") from None

    def decode(self, tree, depth: int = 0):
        self.budget -= 1
        if depth > MAX_DEPTH or self.budget < 0:
            raise CodecError("a value nested too deeply or too large")
        if tree is None or isinstance(tree, (bool, int, float, str)):
            return tree
        if isinstance(tree, list):
            return [self.decode(v, depth + 1) for v in tree]
        if not isinstance(tree, dict) or not isinstance(tree.get("$"), str):
            raise CodecError("unknown value")
        tag = tree["$"]
        if tag == "float":
            if tree.get("value") not in ("nan", "inf", "-inf"):
                raise CodecError("bad float")
            return float(tree["value"])
        if tag == "tuple":
            return tuple(self.decode(v, depth + 1) for v in _list(tree.get("items")))
        if tag == "dict":
            out = {}
            for pair in _list(tree.get("items")):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise CodecError("bad dict")
                key = self.decode(pair[0], depth + 1)
                try:
                    out[key] = self.decode(pair[1], depth + 1)
                except TypeError:
                    raise CodecError("unhashable dict key") from None
            return out
        if tag == "ndarray":
            arr = self.array(tree.get("blob"))
            if tree.get("readonly") is True:
                arr.setflags(write=False)
            return arr
        if tag == "npscalar":
            scalar = self.array(tree.get("blob"))
            if scalar.shape != ():
                raise CodecError("bad numpy scalar")
            return scalar[()]
        if tag == "bytes":
            index = tree.get("blob")
            if not isinstance(index, int) or not 0 <= index < len(self.blobs):
                raise CodecError("bad blob reference")
            return bytes(self.blobs[index])
        if tag == "objarray":
            shape = tuple(_list(tree.get("shape")))
            items = [self.decode(v, depth + 1) for v in _list(tree.get("items"))]
            if not all(isinstance(n, int) and n >= 0 for n in shape) or int(np.prod(shape)) != len(items):
                raise CodecError("bad object array")
            arr = np.empty(len(items), dtype=object)
            for i, item in enumerate(items):  # one by one: equal-length lists must stay list objects
                arr[i] = item
            return arr.reshape(shape)
        if tag == "generator":
            return make_generator(tree.get("state"))
        if tag == "history":
            return make_history(self.decode(tree.get("history"), depth + 1), self.decode(tree.get("epoch"), depth + 1))
        if tag == "model":
            if self.rebuild_model is None:
                raise CodecError("a Keras model cannot be sent here")
            weights = [self.array(i) for i in _list(tree.get("weights"))]
            return self.rebuild_model(tree.get("json"), weights, tree.get("compile"))
        if tag == "opaque":
            return opaque(str(tree.get("type")), str(tree.get("repr")), str(tree.get("note", "")),
                          str(tree.get("module", "")))
        if tag == "argref":
            index = tree.get("index")
            if not isinstance(index, int) or not 0 <= index < len(self.args):
                raise CodecError("bad argument reference")
            return ArgRef(index, tree.get("state"))
        raise CodecError(f"unknown value tag {tag!r}")


class ArgRef:
    """The function returned (the new state of) one of its own arguments."""

    def __init__(self, index: int, state):
        self.index = index
        self.state = state


def resolve_refs(value, targets: list, restore=None, depth: int = 0):
    """``value`` with each ``ArgRef`` replaced by the argument it names (after ``restore(argument, ref)``)."""
    if depth > MAX_DEPTH:
        raise CodecError("a value nested too deeply")
    if isinstance(value, ArgRef):
        if restore is not None:
            restore(targets[value.index], value)
        return targets[value.index]
    if type(value) is list:
        return [resolve_refs(v, targets, restore, depth + 1) for v in value]
    if type(value) is tuple:
        return tuple(resolve_refs(v, targets, restore, depth + 1) for v in value)
    if type(value) is dict:
        return {k: resolve_refs(v, targets, restore, depth + 1) for k, v in value.items()}
    return value


def _list(value) -> list:
    if not isinstance(value, list):
        raise CodecError("expected a list")
    return value


def make_generator(state) -> np.random.Generator:
    if not isinstance(state, dict) or not isinstance(state.get("bit_generator"), str):
        raise CodecError("bad generator state")
    cls = getattr(np.random, state["bit_generator"], None)
    if cls is None or not isinstance(cls, type) or not issubclass(cls, np.random.BitGenerator):
        raise CodecError("unknown bit generator")
    bit = cls()
    try:
        bit.state = state
    except Exception as exc:  # noqa: BLE001
        raise CodecError(f"bad generator state: {exc}") from None
    return np.random.Generator(bit)


def make_history(history, epoch):
    import keras

    if not isinstance(history, dict) or not isinstance(epoch, list):
        raise CodecError("bad History")
    out = keras.callbacks.History()
    out.history = history
    out.epoch = epoch
    return out


def digest(tree, blobs: list[bytes]) -> str:
    """A fingerprint of an encoded value (to see whether a call changed its argument)."""
    h = hashlib.blake2b(json.dumps(tree, sort_keys=True).encode(), digest_size=16)
    for b in blobs:
        one = hashlib.blake2b(digest_size=16)
        for part in blob_parts(b):
            one.update(part)
        h.update(one.digest())
    return h.hexdigest()
