"""Small declarative checks on values: each says what was expected, what was received, and a hint."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


class CheckFailure(AssertionError):
    """A graded check failed; the message is what the student reads.

    ``mistake`` names the mistake (a name declared with the check, or a generic one of
    ``autograder.checks.mistakes``; None: the check's ``other``), ``kind`` the kind of
    failure (``wrong_answer``, ``crash``, ``time_limit``).
    """

    def __init__(self, message: str = "", mistake: str | None = None, kind: str = "wrong_answer"):
        super().__init__(message)
        self.mistake = mistake
        self.kind = kind


def _fmt(value: Any) -> str:
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=6, threshold=8, edgeitems=3):
            return f"array of shape {value.shape}, dtype {value.dtype}: {value}"
    if isinstance(value, float):
        return repr(value)
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def fail(what: str, expected: Any, received: Any, hint: str = "", mistake: str | None = None) -> None:
    """Raise CheckFailure in the kit's one format; ``mistake`` names what the hint says went wrong."""
    lines = [what, f"  expected: {expected}", f"  received: {received}"]
    if hint:
        lines.append(f"  hint: {hint}")
    raise CheckFailure("\n".join(lines), mistake=mistake)


def expect(condition: bool, what: str, expected: Any, received: Any, hint: str = "",
           mistake: str | None = None) -> None:
    """Fail with expected/received text unless ``condition`` holds."""
    if not condition:
        fail(what, expected, received, hint, mistake)


def type_name(cls: type) -> str:
    """A type as a student reads it: ``Python int``, ``numpy int64``, ``numpy ndarray``, ``History``."""
    module = str(getattr(cls, "__module__", ""))
    if module == "builtins":
        return f"Python {cls.__name__}"
    if module == "numpy" or module.startswith("numpy."):
        return f"numpy {cls.__name__}"
    return cls.__name__


def expect_type(value: Any, types: type | tuple[type, ...], what: str, hint: str = "",
                mistake: str | None = "wrong_type") -> None:
    """``value`` must be an instance of ``types`` (the message names the expected and the received type)."""
    names = " or ".join(type_name(t) for t in (types if isinstance(types, tuple) else (types,)))
    expect(isinstance(value, types), what, f"a {names}", f"{type_name(type(value))}: {_fmt(value)}", hint,
           mistake or "wrong_type")


def expect_finite(value: Any, what: str, hint: str = "", mistake: str | None = None) -> None:
    """Every number in ``value`` must be finite (no NaN, no inf); else the mistake is ``not_finite``.

    Not numbers at all is ``wrong_type``; ``mistake`` is accepted for symmetry and not used:
    a NaN tells more than the hint of the comparison that follows.
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        fail(what, "numbers", f"{type(value).__name__}: {_fmt(value)}", hint, "wrong_type")
    expect(bool(np.all(np.isfinite(arr))), what, "finite numbers (no NaN or inf)", _fmt(value), hint,
           "not_finite")


def expect_equal(received: Any, expected: Any, what: str, hint: str = "", mistake: str | None = None) -> None:
    """``received == expected`` (plain values: ints, tuples, strings)."""
    expect(received == expected, what, _fmt(expected), _fmt(received), hint, mistake)


def expect_close(received: Any, expected: Any, what: str, *, rtol: float = 1e-7,
                 atol: float = 0.0, hint: str = "", mistake: str | None = None) -> None:
    """A number (or array) within ``atol + rtol * |expected|`` of ``expected``."""
    expect_finite(received, what, hint)
    try:
        ok = np.allclose(np.asarray(received, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                         rtol=rtol, atol=atol)
    except ValueError:   # shapes that do not broadcast
        fail(what, _fmt(expected), _fmt(received), hint, "wrong_shape")
    tol = f" (tolerance {atol + rtol * float(np.max(np.abs(expected))):.2g})"
    expect(ok, what, _fmt(expected) + tol, _fmt(received), hint, mistake)


def expect_array(received: Any, what: str, *, shape: tuple | None = None,
                 dtype: Any = None, hint: str = "", mistake: str | None = None) -> np.ndarray:
    """A numpy array, of ``shape`` and ``dtype`` where given; returns it.

    Mistakes: not an array ``wrong_type``; a wrong shape or dtype ``mistake`` when given
    (what the hint says), else ``wrong_shape`` / ``wrong_dtype``.
    """
    expect_type(received, np.ndarray, what, hint or "return a numpy array")
    if shape is not None:
        expect(received.shape == tuple(shape), f"{what}: shape", shape, received.shape, hint,
               mistake or "wrong_shape")
    if dtype is not None:
        expect(received.dtype == np.dtype(dtype), f"{what}: dtype", np.dtype(dtype), received.dtype, hint,
               mistake or "wrong_dtype")
    return received


def call_student(function: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call a student's function; anything but NotImplementedError becomes a readable failure."""
    name = getattr(function, "__name__", "your function")
    try:
        return function(*args, **kwargs)
    except (NotImplementedError, CheckFailure):
        raise
    except Exception as exc:
        shown = ", ".join([_fmt(a) if not isinstance(a, np.ndarray) else f"array{a.shape}" for a in args]
                          + [f"{k}={_fmt(v)}" for k, v in kwargs.items()])
        raise CheckFailure(
            f"{name}({shown}) raised {type(exc).__name__}: {exc}\n"
            f"  hint: run it yourself with these arguments and read the traceback",
            mistake="crash", kind="crash",
        ) from exc
