"""Notebook → module: what is graded from an exercise notebook.

A notebook is graded as the student ran it. The module graded holds the student's own
definitions from *every* code cell, in notebook order — what a top-to-bottom run leaves
defined for the exercise functions — and none of the demonstration code. The rule, for
each top-level statement of each code cell (``convert_notebook``):

- **graded**: ``import`` and ``from … import``; ``def``, ``async def`` and ``class``
  (whole: their decorators and default values are evaluated, as Python does); ``=``,
  annotated and augmented assignments of a *plain value* to names; bare strings
  (docstrings) and ``pass``.
- **not graded — demonstration code**: everything else. Calls at the top level (``print``,
  training, plots, ``time.sleep``), loops, ``if``/``with``/``try`` blocks (and what is
  defined inside them), assignments of anything but a plain value (``x_train = load_data()``:
  a call may load data, train or wait, and grading runs none of it), shell escapes
  (``!ls``), line magics (``%time``), and a whole cell that starts with a cell magic (``%%time``).
  A shell escape or magic inside a function does nothing at grading.

A **plain value** is an expression whose evaluation runs none of the student's code and
no I/O: literals; tuples, lists, sets and dicts of plain values; arithmetic, comparisons,
``and``/``or``/``not``, ``x if c else y``, subscripts and f-strings of plain values; a name
a graded statement above defined (or a builtin), and its attributes (``np.pi``); a
``lambda``; and calls of value constructors on plain arguments — the builtins ``int``,
``float``, ``complex``, ``str``, ``bytes``, ``bool``, ``tuple``, ``list``, ``set``,
``frozenset``, ``dict``, ``range``, ``slice``, and numpy's scalar types and array constructors
(``np.float32(0.1)``, ``np.array([1, 2])``, ``np.zeros``, ``np.ones``, ``np.full``,
``np.arange``, ``np.linspace``, ``np.dtype``). Any other call is not (``rng =
np.random.default_rng(0)`` is demonstration).

Settled cases, each for a reason:

- ``from __future__ import …`` in a later cell: Python allows it only at the top of a
  module, IPython per cell. It moves to the top of the graded module (after the
  docstring); the only feature that still does anything, ``annotations``, makes
  annotations lazy, which can only spare an error, never cause one.
- A cell that does not parse: in the kernel it defines nothing and the next cells run.
  An *exercise* cell (one the notebook marks ``{"dl3": {"module": true}}``: the provided
  module cell and each function to fill in) is graded as written, so the exercise
  scores 0 with the error's line, as a broken ``.py`` does; any other cell is left out.
- Imports of modules that only show things (``matplotlib``, ``seaborn``, ``plotly``,
  ``IPython``, ``ipywidgets``) are demonstration code: the grader shows nothing. An import
  of a module not installed where the notebook is graded is left out (in the kernel it
  would fail alone, the rest running on), and so is a relative import.
- A ``def`` or ``class`` whose decorators, defaults, bases (or annotations, without the
  ``annotations`` future) read a name no graded statement above defines is left out:
  executed, it would stop the whole module with a ``NameError``.

The kit's own check cells (nbgrader's graded test cells, ``run_check(...)``) check the
module and are not part of it. ``Conversion.notes`` says, in words, which cells were left
out and why; cells are counted from the top of the notebook, text cells included.
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

MODULE_KEY = "dl3"

DEMONSTRATION = "demonstration code"
UNPARSABLE = "does not parse"
MISSING_MODULE = "module not installed"
NEEDS_NAME = "needs a name"

DISPLAY_MODULES = frozenset({"matplotlib", "seaborn", "plotly", "IPython", "ipywidgets"})
BUILTIN_CONSTRUCTORS = frozenset({"int", "float", "complex", "str", "bytes", "bool", "tuple", "list", "set",
                                  "frozenset", "dict", "range", "slice"})
NUMPY_CONSTRUCTORS = frozenset(
    f"numpy.{name}" for name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                                 "uint16", "uint32", "uint64", "bool_", "complex64", "complex128", "dtype",
                                 "array", "asarray", "zeros", "ones", "full", "arange", "linspace"))
BUILTIN_NAMES = frozenset(dir(builtins))
PLAIN_NODES = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp, ast.BinOp, ast.BoolOp,
               ast.Compare, ast.IfExp, ast.Subscript, ast.Slice, ast.JoinedStr, ast.FormattedValue, ast.Starred)
# IPython syntax on one line: a shell escape or magic (`!ls`, `%time f()`, `x = !ls`), or help (`?f`, `f?`).
IPYTHON_LINE = re.compile(r"^\s*(?:[!%?]|[\w.]+\s*=\s*[!%]|[\w.]+\?{1,2}\s*$)")
EXCERPT_CHARS = 40


class NotebookError(ValueError):
    """The file is not a readable exercise notebook."""


@dataclass
class LeftOut:
    """Code of one cell that is not graded, and why."""

    cell: int                      # position in the notebook, from 1, text cells counted
    reason: str                    # DEMONSTRATION, UNPARSABLE, MISSING_MODULE or NEEDS_NAME
    excerpt: str                   # its first line
    detail: str = ""               # the parse error, the missing module, the name needed
    names: tuple[str, ...] = ()    # the names it would have defined
    exercise_cell: bool = False


@dataclass
class Conversion:
    """The graded module's source and what of the notebook it leaves out."""

    source: str
    left_out: list[LeftOut] = field(default_factory=list)

    def defined_only_in_left_out(self) -> dict[str, int]:
        """Each name that only left-out code defines, with the first cell that does."""
        found: dict[str, int] = {}
        for item in self.left_out:
            for name in item.names:
                found.setdefault(name, item.cell)
        return found

    def unparsable_exercise_cell(self) -> LeftOut | None:
        return next((i for i in self.left_out if i.reason == UNPARSABLE and i.exercise_cell), None)

    def notes(self, origin: str) -> list[str]:
        """What a student reads about the cells that were not graded."""
        demos = {}
        for item in self.left_out:
            if item.reason == DEMONSTRATION:
                demos.setdefault(item.cell, item.excerpt)
        notes = []
        if demos:
            cells = _and([f"{cell} (`{excerpt}`)" for cell, excerpt in sorted(demos.items())])
            notes.append(f"{origin}, cell{'s' if len(demos) > 1 else ''} {cells}: {DEMONSTRATION}, not graded")
        for item in self.left_out:
            if item.reason == UNPARSABLE:
                consequence = ("it is an exercise cell, so this exercise scores 0" if item.exercise_cell
                               else "not graded")
                notes.append(f"{origin}, cell {item.cell} does not parse ({item.detail}): {consequence}")
            elif item.reason in (MISSING_MODULE, NEEDS_NAME):
                notes.append(f"{origin}, cell {item.cell}: `{item.excerpt}` not graded: {item.detail}")
        return notes


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _excerpt(line: str) -> str:
    line = line.strip()
    return line if len(line) <= EXCERPT_CHARS else line[:EXCERPT_CHARS - 1].rstrip() + "…"


# --------------------------------------------------------------------------
# Reading


def is_module_cell(cell: dict) -> bool:
    metadata = _mapping(cell.get("metadata"))
    return cell.get("cell_type") == "code" and bool(_mapping(metadata.get(MODULE_KEY)).get("module"))


def is_check_cell(cell: dict) -> bool:
    """A graded test cell of the kit (nbgrader's "autograder tests"): it checks the module, it is not part of it."""
    nbgrader = _mapping(_mapping(cell.get("metadata")).get("nbgrader"))
    return bool(nbgrader.get("grade")) and not nbgrader.get("solution")


def _text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(str(line) for line in source) if isinstance(source, list) else str(source)


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def read_cells(path: Path) -> list[dict]:
    """The cells of the notebook at ``path``."""
    try:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise TypeError("'cells' is not a list")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise NotebookError(f"{Path(path).name} is not a readable notebook: {type(exc).__name__}: {exc}") from None
    return [c if isinstance(c, dict) else {} for c in cells]


# --------------------------------------------------------------------------
# One cell: parsed, with IPython's syntax taken out


@dataclass
class Cell:
    number: int
    exercise: bool
    raw: str                           # as the student wrote it
    text: str                          # IPython's lines replaced by `pass` (same line numbers)
    ipython_lines: set[int]            # the lines replaced
    tree: ast.Module | None = None
    error: str = ""                    # why it does not parse
    cell_magic: bool = False


def _without_ipython(text: str) -> tuple[str, set[int]]:
    lines, replaced = text.splitlines(), set()
    for index, line in enumerate(lines):
        if IPYTHON_LINE.match(line):
            lines[index] = line[:len(line) - len(line.lstrip())] + "pass"
            replaced.add(index + 1)
    return "\n".join(lines), replaced


def _compiles(text: str) -> SyntaxError | None:
    try:
        compile(text, "<cell>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc
    except ValueError as exc:   # a null byte
        return SyntaxError(str(exc))
    except (RecursionError, MemoryError):   # how CPython gives up on deeply nested code
        return SyntaxError("too deeply nested to compile")
    return None


def parse_cell(number: int, raw: str, exercise: bool) -> Cell:
    """A code cell as Python: IPython's own lines (only when the cell is not Python as it is) become ``pass``."""
    first = next((line for line in raw.splitlines() if line.strip()), "")
    if first.lstrip().startswith("%%"):
        return Cell(number, exercise, raw, raw, set(), cell_magic=True)
    text, replaced = raw, set()
    error = _compiles(raw)
    if error is not None:
        text, replaced = _without_ipython(raw)
        error = _compiles(text) if replaced else error
    if error is not None:
        where = f"line {error.lineno}: " if error.lineno else ""
        return Cell(number, exercise, raw, text, replaced, error=f"{where}{error.msg}")
    return Cell(number, exercise, raw, text, replaced, tree=ast.parse(text))


# --------------------------------------------------------------------------
# What a graded statement leaves defined


@dataclass
class Names:
    """The names the graded statements so far define; for imports, what they name."""

    defined: set[str] = field(default_factory=set)
    modules: dict[str, str] = field(default_factory=dict)   # name -> "numpy" or "numpy.float32"
    star: bool = False                                       # a `from x import *` was graded

    def knows(self, name: str) -> bool:
        return self.star or name in self.defined or name in BUILTIN_NAMES

    def bind(self, name: str, module: str | None = None) -> None:
        self.defined.add(name)
        if module is None:
            self.modules.pop(name, None)
        else:
            self.modules[name] = module

    def qualified(self, func: ast.expr) -> str | None:
        """What a call's function names: "numpy.float32", "builtins.float", or None."""
        if isinstance(func, ast.Name):
            if func.id in self.modules:
                return self.modules[func.id]
            return f"builtins.{func.id}" if func.id not in self.defined and func.id in BUILTIN_NAMES else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in self.modules:
            return f"{self.modules[func.value.id]}.{func.attr}"
        return None


def is_plain(node: ast.expr, names: Names) -> bool:
    """Whether evaluating ``node`` runs none of the student's code and no I/O (see the module's docstring)."""
    if isinstance(node, ast.Name):
        return names.knows(node.id)
    if isinstance(node, ast.Attribute):
        return is_plain(node.value, names)
    if isinstance(node, ast.Lambda):
        return all(is_plain(d, names) for d in node.args.defaults + [d for d in node.args.kw_defaults if d])
    if isinstance(node, ast.Call):
        qualified = names.qualified(node.func)
        constructor = qualified in NUMPY_CONSTRUCTORS or (
            qualified is not None and qualified.startswith("builtins.")
            and qualified.removeprefix("builtins.") in BUILTIN_CONSTRUCTORS)
        return constructor and all(is_plain(a, names) for a in node.args) and \
            all(is_plain(k.value, names) for k in node.keywords)
    if isinstance(node, PLAIN_NODES):
        return all(is_plain(child, names) for child in ast.iter_child_nodes(node)
                   if isinstance(child, ast.expr))
    return False


def _target_names(target: ast.expr) -> list[str] | None:
    """The names an assignment target binds; None when it is not only names (``a.b = …``, ``d[k] = …``)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        found = [_target_names(e) for e in target.elts]
        return None if any(f is None for f in found) else [n for f in found for n in f]
    return None


def _bound_names(statement: ast.stmt) -> tuple[str, ...]:
    """The module-level names a statement binds (for what left-out code would have defined)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return (statement.name,)
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return tuple((a.asname or a.name).split(".")[0] for a in statement.names if a.name != "*")
    found: list[str] = []
    stack: list[ast.AST] = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not statement:
            found.append(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.append(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found += _bound_names(node)
        stack.extend(ast.iter_child_nodes(node))
    return tuple(dict.fromkeys(found))


def _read_names(expressions: list[ast.expr]) -> list[str]:
    """The names read when ``expressions`` are evaluated (not inside a lambda's body, nor their own targets)."""
    loads, stores = [], set()
    stack: list[ast.AST] = list(expressions)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Lambda):
            stack += node.args.defaults + [d for d in node.args.kw_defaults if d]
            continue
        if isinstance(node, ast.Name):
            (stores.add(node.id) if isinstance(node.ctx, ast.Store) else loads.append(node.id))
        stack.extend(ast.iter_child_nodes(node))
    return [n for n in dict.fromkeys(loads) if n not in stores]


def definition_time_names(statement: ast.stmt, lazy_annotations: bool) -> list[str]:
    """The names a ``def`` or ``class`` statement reads when it runs (not when the function is called)."""
    expressions = list(statement.decorator_list)
    if isinstance(statement, ast.ClassDef):
        expressions += statement.bases + [k.value for k in statement.keywords]
    else:
        args = statement.args
        expressions += args.defaults + [d for d in args.kw_defaults if d]
        if not lazy_annotations:
            every = args.posonlyargs + args.args + args.kwonlyargs + [a for a in (args.vararg, args.kwarg) if a]
            expressions += [a.annotation for a in every if a.annotation]
            expressions += [statement.returns] if statement.returns else []
    return _read_names(expressions)


def _imported_module(statement: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(statement, ast.ImportFrom):
        return [statement.module or ""] if statement.level == 0 else []
    return [alias.name for alias in statement.names]


def _installed(top: str) -> bool:
    """Whether a top-level module can be imported here (found without running it)."""
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def _import_problem(statement: ast.Import | ast.ImportFrom) -> tuple[str, str] | None:
    """(reason, detail) when an import is not graded; None when it is."""
    if isinstance(statement, ast.ImportFrom) and statement.level:
        return MISSING_MODULE, "a relative import has no package to import from where notebooks are graded"
    tops = [name.split(".")[0] for name in _imported_module(statement)]
    if any(top in DISPLAY_MODULES for top in tops):
        return DEMONSTRATION, ""
    missing = [top for top in tops if not _installed(top)]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        return MISSING_MODULE, f"{_and(missing)} {verb} not installed where notebooks are graded"
    return None


def _bind_import(statement: ast.Import | ast.ImportFrom, names: Names) -> None:
    for alias in statement.names:
        if alias.name == "*":
            names.star = True
        elif isinstance(statement, ast.ImportFrom):
            names.bind(alias.asname or alias.name, f"{statement.module}.{alias.name}")
        elif alias.asname:
            names.bind(alias.asname, alias.name)
        else:
            top = alias.name.split(".")[0]
            names.bind(top, top)


def _is_future(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.ImportFrom) and statement.module == "__future__"


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
        and isinstance(statement.value.value, str)


def judge_statement(statement: ast.stmt, names: Names, lazy_annotations: bool) -> tuple[str, str] | None:
    """(reason, detail) when ``statement`` is not graded; None when it is (and ``names`` learns what it defines)."""
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        problem = None if _is_future(statement) else _import_problem(statement)
        if problem is None:
            _bind_import(statement, names)
        return problem
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        unknown = [n for n in definition_time_names(statement, lazy_annotations) if not names.knows(n)]
        if unknown:
            return NEEDS_NAME, f"its definition uses `{unknown[0]}`"
        names.bind(statement.name)
        return None
    if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        bound = [_target_names(t) for t in targets]
        if any(b is None for b in bound) or (statement.value is not None and not is_plain(statement.value, names)):
            return DEMONSTRATION, ""
        if isinstance(statement, ast.AugAssign) and not names.knows(statement.target.id):
            return DEMONSTRATION, ""
        for name in (n for b in bound for n in b):
            names.bind(name)
        return None
    if isinstance(statement, ast.Pass) or _is_docstring(statement):
        return None
    return DEMONSTRATION, ""


# --------------------------------------------------------------------------
# The whole notebook


def _statement_text(cell: Cell, statements: list[ast.stmt], index: int) -> str:
    """A statement's source with the comments that follow it (its exact text when it shares a line)."""
    lines = cell.text.splitlines()
    statement = statements[index]
    start = min([d.lineno for d in getattr(statement, "decorator_list", [])] + [statement.lineno])
    after = statements[index + 1].lineno if index + 1 < len(statements) else len(lines) + 1
    before = statements[index - 1].end_lineno if index else 0
    if after <= statement.end_lineno or before >= start:   # `a = 1; b = 2`
        return ast.get_source_segment(cell.text, statement) + "\n"
    return "\n".join(lines[(0 if index == 0 else start - 1):after - 1]) + "\n"


def _first_line(cell: Cell, statement: ast.stmt) -> str:
    line = cell.raw.splitlines()[statement.lineno - 1]
    return _excerpt(line if statement.lineno in cell.ipython_lines else line[statement.col_offset:])


def convert_cells(cells: list[dict]) -> Conversion:
    """The graded module of a notebook's cells, and what is left out (the rule: the module's docstring)."""
    parsed = [parse_cell(number, _text(cell), is_module_cell(cell))
              for number, cell in enumerate(cells, start=1)
              if cell.get("cell_type") == "code" and not is_check_cell(cell)]
    if not parsed:
        raise NotebookError("it has no code cells")
    lazy = any(_is_future(s) and any(a.name == "annotations" for a in s.names)
               for c in parsed if c.tree for s in c.tree.body)
    names, docstring, futures, chunks, left_out = Names(), [], [], [], []
    for cell in parsed:
        if cell.cell_magic:
            left_out.append(LeftOut(cell.number, DEMONSTRATION, _excerpt(cell.raw.lstrip().splitlines()[0]),
                                    exercise_cell=cell.exercise))
            continue
        if cell.tree is None:
            left_out.append(LeftOut(cell.number, UNPARSABLE, "", cell.error, exercise_cell=cell.exercise))
            if cell.exercise:   # graded as written: the exercise fails to import, with the error's line
                chunks.append(cell.text)
            continue
        kept = []
        for index, statement in enumerate(cell.tree.body):
            ipython = statement.lineno in cell.ipython_lines   # now a `pass`
            try:
                problem = (DEMONSTRATION, "") if ipython else judge_statement(statement, names, lazy)
            except RecursionError:   # an expression too deep to judge is not a plain value
                problem = (DEMONSTRATION, "")
            if problem is None:
                text = _statement_text(cell, cell.tree.body, index)
                if _is_future(statement):
                    futures.append(text)
                elif _is_docstring(statement) and not (docstring or kept or any(c.strip() for c in chunks)):
                    docstring.append(text)   # the module's docstring stays first
                else:
                    kept.append(text)
                continue
            reason, detail = problem
            if reason == NEEDS_NAME:
                detail += ", which no graded code defines above it"
            left_out.append(LeftOut(cell.number, reason, _first_line(cell, statement), detail,
                                    _bound_names(statement), cell.exercise))
        chunks.append("".join(kept))
    # `from __future__` imports go right after the docstring: Python allows them nowhere else.
    source = "\n\n\n".join(c.strip("\n") for c in docstring + futures + chunks if c.strip()) + "\n"
    return Conversion(source, left_out)


def convert_notebook(path: Path) -> Conversion:
    """The graded module of the notebook at ``path``, and what is left out."""
    cells = read_cells(path)
    try:
        return convert_cells(cells)
    except NotebookError as exc:
        raise NotebookError(f"{Path(path).name}: {exc}") from None
