"""``python -m autograder pack``: zip exactly the files the LMS grades, one per exercise.

For each exercise a student may have worked in the module (``exercises/<module>.py``) or
in the notebook (``release/dl3/<module>.ipynb``). The grader takes one file per exercise,
so the pack takes the one with fewer functions still raising ``NotImplementedError``
(on a tie, the one changed last) and stores it at the top of the zip as ``<module>.py``
or ``<module>.ipynb``. It warns for each function that still raises
``NotImplementedError`` and refuses when an exercise has neither file. Nothing is run:
the check is on the source text.
"""

from __future__ import annotations

import ast
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.notebooks import NotebookError, notebook_to_module
from autograder.specs import all_exercises

NOTEBOOK_DIR = Path("release") / "dl3"


class PackError(ValueError):
    """The submission cannot be packed (an exercise's file is missing or unreadable)."""


@dataclass
class Choice:
    """The file packed for one exercise and the functions it leaves unimplemented."""

    module: str
    path: Path
    unimplemented: list[str] = field(default_factory=list)


def _raises_not_implemented(function: ast.FunctionDef) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name) and target.id == "NotImplementedError":
                return True
    return False


def unimplemented_functions(source: str, functions: tuple[str, ...]) -> list[str]:
    """The exercise functions in ``source`` that still raise NotImplementedError (or are absent)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise PackError(f"line {exc.lineno}: {exc.msg} — fix it before you submit") from None
    defined = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    return [name for name in functions if name not in defined or _raises_not_implemented(defined[name])]


def _module_source(path: Path) -> str:
    if path.suffix == ".ipynb":
        try:
            return notebook_to_module(path)
        except NotebookError as exc:
            raise PackError(str(exc)) from None
    return path.read_text(encoding="utf-8")


def choose(root: Path, module: str, functions: tuple[str, ...]) -> Choice:
    """The file of ``module`` to submit: the module or the notebook, whichever is further along."""
    candidates = [p for p in (root / "exercises" / f"{module}.py", root / NOTEBOOK_DIR / f"{module}.ipynb")
                  if p.is_file()]
    if not candidates:
        raise PackError(f"neither exercises/{module}.py nor {NOTEBOOK_DIR.as_posix()}/{module}.ipynb exists "
                        f"under {root}: run `pack` from the folder you unzipped")
    choices = []
    for path in candidates:
        try:
            choices.append(Choice(module, path, unimplemented_functions(_module_source(path), functions)))
        except PackError as exc:
            raise PackError(f"{path.relative_to(root)}: {exc}") from None
    return min(choices, key=lambda c: (len(c.unimplemented), -c.path.stat().st_mtime))


def pack(root: Path, out: Path) -> list[Choice]:
    """Write ``out`` with one file per exercise; return what was packed."""
    chosen = [choose(root, e.module, e.functions) for e in all_exercises().values()]
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for choice in chosen:
            archive.write(choice.path, choice.path.name)
    return chosen
