"""The student's module as a test sees it in the judge: a proxy whose calls run in the sandbox.

``pytest --sandbox`` (see ``autograder/plugin.py``) makes the ``submission`` fixture a
``SubmissionProxy``: ``submission.predict(X, 2.0, -1.0)`` sends the arguments to the
student's process through the safe codec, waits for the answer within the test's
limits, and returns the decoded result. The judge never imports the student's code, so
nothing the student's process does to numpy, Keras, pytest or the kit changes the
judge's checks.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

from autograder.grade.judge.lifetime import bind_to_supervisor
from autograder.grade.judge.manager import SandboxFailure, SandboxManager


class RemoteFunction:
    def __init__(self, manager: SandboxManager, module: str, name: str):
        self._manager, self._module, self.__name__ = manager, module, name
        self.__qualname__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._manager.call(self._module, self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<student function {self._module}.{self.__name__} (sandboxed)>"


class SubmissionProxy(ModuleType):
    """Looks like the student's module to a test; every function call runs in the sandbox."""

    def __init__(self, manager: SandboxManager, module: str):
        super().__init__(module)
        self.__file__ = str(manager.root / f"{module}.py")
        self._manager = manager
        self._module = module

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        child = self._manager.child(self._module)
        if name not in child.functions:
            raise SandboxFailure(f"{self._module}.py has no function `{name}`\n"
                                 f"  hint: keep the function names of the exercise file", mistake="missing_function")
        # One object per function for the session, like a module's attribute (the kit caches on it).
        key = (self._module, name)
        if key not in self._manager.functions:
            self._manager.functions[key] = RemoteFunction(self._manager, self._module, name)
        return self._manager.functions[key]


_MANAGERS: dict[int, SandboxManager] = {}


def outlive_no_supervisor() -> None:
    """This judge ends with its supervisor, closing every sandbox it has open (``lifetime.py``)."""
    def close_all() -> None:
        for manager in list(_MANAGERS.values()):
            manager.close()

    bind_to_supervisor(close_all)


def session_manager(config) -> SandboxManager | None:
    """The sandbox of this pytest session, if one was opened."""
    return _MANAGERS.get(id(config))


@contextlib.contextmanager
def open_submission(config, exercise, target: Path, check_key: str | None = None,
                    modules: set[str] | None = None) -> Iterator[SubmissionProxy]:
    """The ``submission`` fixture's sandboxed branch: a proxy for ``exercise``'s module during one test.

    ``modules``: the exercise modules this judge grades (their processes may start early).
    """
    manager = _MANAGERS.get(id(config))
    if manager is None:
        manager = _MANAGERS[id(config)] = SandboxManager(target)
        manager.prestart(modules)

        def close():
            _MANAGERS.pop(id(config), None)
            manager.close()

        config.add_cleanup(close)
    manager.begin_test(check_key)
    try:
        yield SubmissionProxy(manager, exercise.module)
    finally:
        manager.end_test()
