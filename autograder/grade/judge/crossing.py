"""The in-process route, made to see what the sandbox sees: every value a student's function
returns passes through the sandbox's codec (encode, then decode with the same safe model rebuild).

``pytest --target DIR`` (no ``--sandbox``) imports the student's module in the test process.
The sandbox (``grade``) carries each returned value through ``codec.py``. For the two routes to
give one verdict, the in-process ``submission`` fixture wraps the module in a ``CrossingModule``:
each call's result is encoded and decoded exactly as a sandbox answer would be, so a numpy
scalar stays a numpy scalar on both routes, and what the codec cannot carry (a set, an arbitrary
object: an inert stand-in named after its type; a model of the student's own class or with a
``Lambda`` layer: "your model could not be rebuilt for grading") gets the same verdict on both.

A value the function returns that is one of its own arguments stays that very object (as the
sandbox hands back the judge's own object). Arguments are passed as they are: the student's
function works on the judge's objects directly, which is what the sandbox's write-back imitates.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable

from autograder.checks.values import CheckFailure
from autograder.grade.child import codec


def _engine() -> tuple[Callable, Callable]:
    """The sandbox's safe model rebuild and its call description (imported when first needed)."""
    from autograder.grade.judge.manager import short_args
    from autograder.grade.judge.models import rebuild_model

    return rebuild_model, short_args


def cross(value: Any, args: tuple, kwargs: dict, function: str) -> Any:
    """``value`` as the sandbox would hand it back from ``function(*args, **kwargs)``."""
    rebuild_model, short_args = _engine()
    targets = list(args) + list(kwargs.values())
    what = f"{function}({short_args(args, kwargs)})"
    encoder = codec.Encoder({id(v): i for i, v in enumerate(targets)})
    try:
        tree = encoder.encode(value)
    except codec.CodecError as exc:
        raise CheckFailure(f"the grader could not read what {what} returned: CodecError: {exc}",
                           mistake="unreadable_answer", kind="crash") from None
    decoder = codec.Decoder(encoder.blobs, args=targets, rebuild_model=rebuild_model)
    try:
        return codec.resolve_refs(decoder.decode(tree), targets)   # the in-process state is already in them
    except codec.CodecError as exc:
        raise CheckFailure(f"the grader could not read what {what} returned: {exc}",
                           mistake="unreadable_answer", kind="crash") from None


class CrossingFunction:
    """A student's function whose results cross the codec, as in the sandbox."""

    def __init__(self, function: Callable, name: str):
        self._function = function
        self.__name__ = self.__qualname__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return cross(self._function(*args, **kwargs), args, kwargs, self.__name__)

    def __repr__(self) -> str:
        return f"<student function {self.__name__}>"


class CrossingModule(ModuleType):
    """The student's module as a test sees it through the sandbox: public functions only, results crossed."""

    def __init__(self, module: ModuleType, short_name: str):
        super().__init__(short_name)
        self.__file__ = getattr(module, "__file__", None)
        self._module = module
        self._functions: dict[str, CrossingFunction] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        value = getattr(self._module, name, None)
        if name.startswith("_") or not callable(value):
            raise CheckFailure(f"{self.__name__}.py has no function `{name}`\n"
                               f"  hint: keep the function names of the exercise file",
                               mistake="missing_function", kind="crash")
        # One object per function, like a module's attribute (the kit caches on it).
        if name not in self._functions:
            self._functions[name] = CrossingFunction(value, name)
        return self._functions[name]
