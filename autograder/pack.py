"""``python -m autograder pack``: zip exactly the files the LMS grades, one per exercise.

For each exercise a student may have worked in the module (``exercises/<module>.py``) or
in the notebook (``release/dl3/<module>.ipynb``). The grader takes one file per exercise,
so the pack takes the one with fewer functions still raising ``NotImplementedError``
(on a tie, the one changed last), says why when both files are there, and stores it at the
top of the zip as ``<module>.py`` or ``<module>.ipynb``. A notebook is read as the grader
reads it (``autograder.notebooks.convert_notebook``: what it leaves out is noted). It warns
for each function that still raises ``NotImplementedError``, and for each name an exercise
function uses (itself or through the file's own helpers) that the file never defines, or
defines only in code that is not graded; names it cannot resolve without running the code
(builtins, after a ``from … import *``, or with ``globals()``/``exec``/``vars()`` about)
raise no warning. It refuses when an exercise has neither file. Nothing is run: every check
is on the source text.
"""

from __future__ import annotations

import ast
import builtins
import symtable
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.notebooks import Conversion, NotebookError, convert_notebook
from autograder.specs import all_exercises

NOTEBOOK_DIR = Path("release") / "dl3"
KNOWN_NAMES = frozenset(dir(builtins)) | {"__name__", "__file__", "__doc__", "__spec__", "__loader__",
                                          "__package__", "__builtins__", "__annotations__"}
DYNAMIC_NAMES = frozenset({"globals", "exec", "vars"})   # a module using them may define any name


class PackError(ValueError):
    """The submission cannot be packed (an exercise's file is missing or unreadable)."""


@dataclass
class Choice:
    """The file packed for one exercise and the functions it leaves unimplemented."""

    module: str
    path: Path
    unimplemented: list[str] = field(default_factory=list)
    undefined: list[str] = field(default_factory=list)   # "`mse` uses `_mean_square`, which … never defines"
    notes: list[str] = field(default_factory=list)       # a notebook's cells that are not graded
    reason: str = ""                                     # why this file and not the other one


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


def _tables(table: symtable.SymbolTable) -> list[symtable.SymbolTable]:
    """``table`` and every scope inside it (nested functions, classes, lambdas, comprehensions)."""
    return [table] + [t for child in table.get_children() for t in _tables(child)]


def _global_uses(function: symtable.SymbolTable) -> list[str]:
    """The global names a function's code reads, its nested scopes included."""
    return [s.get_name() for t in _tables(function) for s in t.get_symbols() if s.is_global() and s.is_referenced()]


def undefined_uses(source: str, functions: tuple[str, ...]) -> list[tuple[str, tuple[str, ...], str]]:
    """(exercise function, the helpers it goes through, name) for each name used and never defined
    (once, with the first function that uses it)."""
    top = symtable.symtable(source, "module", "exec")
    every = _tables(top)
    dynamic = any(s.get_name() in DYNAMIC_NAMES for t in every for s in t.get_symbols() if s.is_referenced())
    star = any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names)
               for n in ast.walk(ast.parse(source)))
    if dynamic or star:
        return []
    defined = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    defined |= {s.get_name() for t in every[1:] for s in t.get_symbols() if s.is_declared_global() and s.is_assigned()}
    bodies = {t.get_name(): t for t in top.get_children()}   # the last definition of a name wins
    found: dict[str, tuple[str, tuple[str, ...], str]] = {}   # each name once: its first user
    for function in (f for f in functions if f in bodies):
        seen, queue = {function}, [(function, ())]
        while queue:
            name, via = queue.pop(0)
            for used in dict.fromkeys(_global_uses(bodies[name])):
                if used in KNOWN_NAMES or used in seen:
                    continue
                seen.add(used)
                if used not in defined:
                    found.setdefault(used, (function, via, used))
                elif used in bodies:
                    queue.append((used, via + (used,)))
    return list(found.values())


def undefined_warnings(source: str, functions: tuple[str, ...], filename: str,
                       conversion: Conversion | None = None) -> list[str]:
    """The warning for each name an exercise function uses that ``filename`` never defines."""
    elsewhere = conversion.defined_only_in_left_out() if conversion else {}
    try:
        uses = undefined_uses(source, functions)
    except (SyntaxError, RecursionError):   # unimplemented_functions says what cannot be parsed
        return []
    warnings = []
    for function, via, name in uses:
        through = f" (through {', '.join(f'`{v}`' for v in via)})" if via else ""
        where = (f"defines only in code that is not graded (cell {elsewhere[name]})" if name in elsewhere
                 else "never defines")
        warnings.append(f"`{function}` uses `{name}`{through}, which {filename} {where}: "
                        "a NameError when it is graded")
    return warnings


def _read(path: Path) -> tuple[str, Conversion | None]:
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8"), None
    try:
        conversion = convert_notebook(path)
    except NotebookError as exc:
        raise PackError(str(exc)) from None
    broken = conversion.unparsable_exercise_cell()
    if broken is not None:
        raise PackError(f"cell {broken.cell} does not parse ({broken.detail}) — fix it before you submit")
    return conversion.source, conversion


def _examine(root: Path, module: str, path: Path, functions: tuple[str, ...]) -> Choice:
    try:
        source, conversion = _read(path)
        return Choice(module, path, unimplemented_functions(source, functions),
                      undefined_warnings(source, functions, path.name, conversion),
                      conversion.notes(path.relative_to(root).as_posix()) if conversion else [])
    except PackError as exc:
        raise PackError(f"{path.relative_to(root)}: {exc}") from None


def _saved(path: Path) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(path.stat().st_mtime))


def _reason(chosen: Choice, other: Choice, root: Path, functions: int) -> str:
    names = chosen.path.relative_to(root).as_posix(), other.path.relative_to(root).as_posix()
    left = len(chosen.unimplemented), len(other.unimplemented)
    if left[0] == left[1] == functions:
        return ""   # two untouched stubs: nothing to choose between
    if left[0] != left[1]:
        return (f"packed {names[0]} rather than {names[1]}: fewer functions still raise NotImplementedError "
                f"({left[0]} against {left[1]})")
    state = "are both complete" if not left[0] else f"have as many functions left to implement ({left[0]})"
    return (f"{names[0]} and {names[1]} {state}: packed {names[0]}, saved last "
            f"({_saved(chosen.path)} against {_saved(other.path)})")


def choose(root: Path, module: str, functions: tuple[str, ...]) -> Choice:
    """The file of ``module`` to submit: the module or the notebook, whichever is further along."""
    candidates = [p for p in (root / "exercises" / f"{module}.py", root / NOTEBOOK_DIR / f"{module}.ipynb")
                  if p.is_file()]
    if not candidates:
        raise PackError(f"neither exercises/{module}.py nor {NOTEBOOK_DIR.as_posix()}/{module}.ipynb exists "
                        f"under {root}: run `pack` from the folder you unzipped")
    choices = sorted((_examine(root, module, path, functions) for path in candidates),
                     key=lambda c: (len(c.unimplemented), -c.path.stat().st_mtime))
    if len(choices) > 1:
        choices[0].reason = _reason(choices[0], choices[1], root, len(functions))
    return choices[0]


def pack(root: Path, out: Path) -> list[Choice]:
    """Write ``out`` with one file per exercise; return what was packed."""
    chosen = [choose(root, e.module, e.functions) for e in all_exercises().values()]
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for choice in chosen:
            archive.write(choice.path, choice.path.name)
    return chosen
