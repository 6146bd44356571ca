"""Find the exercise files in a submission: a directory or a ``.zip``, searched to any depth.

Only ``<module>.py`` and ``<module>.ipynb`` of the kit's exercises are taken (a notebook
is converted with ``autograder.notebooks.convert_notebook``, and the notes say which of its
cells were not graded); everything else —
``conftest.py``, ``pytest.ini``, ``sitecustomize.py``, other modules, symlinks — is
ignored. Nothing is extracted: files are read one by one with a size cap.

A zip member is a file unless its mode says otherwise (a directory, a symbolic link, another
special type): the mode's type bits are absent where a tool writes permissions alone (Python's
``ZipFile.writestr``) or MS-DOS attributes alone (Windows' compressed folders), and such a member
is a file. A member or file that carries an exercise's name but is skipped — a symbolic link, a
special file, too big, an unsafe name, in an ignored or hidden folder — is named with the reason:
"is not in your submission" is said only where nothing of that name exists.
"""

from __future__ import annotations

import os
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.notebooks import NotebookError, convert_notebook
from autograder.specs import all_exercises

MAX_FILE_BYTES = 20 * 2**20
SKIP_PARTS = ("__MACOSX", ".ipynb_checkpoints", "__pycache__")
# Why a file or member that carries an exercise's name was not graded ("<name> <reason>").
SYMLINK = "is a symbolic link"
SPECIAL = "is a special file, not a regular file"
UNSAFE_NAME = "has an unsafe name (absolute, or with '..')"


class SubmissionError(Exception):
    """The submission cannot be read at all (bad path): the grader cannot run."""


@dataclass
class Part:
    """One exercise's file in the submission: its source, or why it cannot be graded."""

    module: str
    origin: str = ""            # where it was found, relative to the submission
    source: bytes | None = None
    problem: str | None = None  # set when the part was found but cannot be graded
    notes: list[str] = field(default_factory=list)   # a notebook's cells that were not graded


@dataclass
class SubmittedFiles:
    """The exercise files found in a submission (the supervisor's view; the class report has its ``GradingRecord``)."""

    parts: dict[str, Part] = field(default_factory=dict)   # by module name; absent parts are missing
    notes: list[str] = field(default_factory=list)
    problem: str | None = None                              # the whole submission is unreadable


Skipped = dict[str, list[tuple[str, str]]]   # module -> (name, why it was skipped)


def _candidates(names: list[str], modules: set[str]) -> tuple[dict[str, list[str]], Skipped]:
    """For each module, the matching paths, best first (shallowest, then .py before .ipynb); and those of
    its name that are skipped, with the reason."""
    found: dict[str, list[str]] = {}
    skipped: Skipped = {}
    for name in names:
        module = _exercise_module(name, modules)
        if module is None:
            continue
        reason = _unsafe_or_ignored(PurePosixPath(name))
        if reason:
            skipped.setdefault(module, []).append((name, reason))
        else:
            found.setdefault(module, []).append(name)
    for paths in found.values():
        paths.sort(key=lambda p: (len(PurePosixPath(p).parts), PurePosixPath(p).suffix != ".py", p))
    return found, skipped


def _exercise_module(name: str, modules: set[str]) -> str | None:
    """The module whose file ``name`` would be (``<module>.py`` or ``<module>.ipynb``), if any."""
    path = PurePosixPath(name)
    return path.stem if path.suffix in (".py", ".ipynb") and path.stem in modules else None


def _unsafe_or_ignored(path: PurePosixPath) -> str | None:
    if path.is_absolute() or ".." in path.parts:
        return UNSAFE_NAME
    return _ignored_folder(path.parts[:-1])


def _ignored_folder(folders: tuple[str, ...]) -> str | None:
    """Why a file in ``folders`` (a path's folder names) is skipped, if it is."""
    for folder in folders:
        if folder in SKIP_PARTS:
            return f"lies in {folder}/, a folder the grader ignores"
        if folder.startswith("."):
            return f"lies in a hidden folder ({folder}/)"
    return None


def _note_skipped(sub: SubmittedFiles, skipped: Skipped) -> None:
    """A module with nothing graded but something skipped gets a part whose problem says why; others a note."""
    for module, entries in sorted(skipped.items()):
        said = "; ".join(f"{name} {reason}" for name, reason in entries)
        if module in sub.parts:
            sub.notes.append(f"{module}: also skipped {said}")
        else:
            sub.parts[module] = Part(module, entries[0][0], problem=f"{said}, so it was not graded")


def _convert(module: str, origin: str, data: bytes) -> Part:
    if not origin.endswith(".ipynb"):
        return Part(module, origin, source=data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{module}.ipynb"
        path.write_bytes(data)
        try:
            conversion = convert_notebook(path)
        except NotebookError as exc:
            return Part(module, origin, problem=f"{origin} could not be graded: {exc}")
    return Part(module, origin, source=conversion.source.encode("utf-8"), notes=conversion.notes(origin))


def _too_big(module: str, origin: str, size: int) -> Part:
    return Part(module, origin, problem=f"{origin} is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,}")


def read_submission(path: Path) -> SubmittedFiles:
    """The exercise files in ``path`` (a directory, a ``.zip`` or a single exercise file)."""
    sub = _read(Path(path))
    sub.notes += [note for part in sub.parts.values() for note in part.notes]
    return sub


def _read(path: Path) -> SubmittedFiles:
    modules = {e.module for e in all_exercises().values()}
    if not os.path.lexists(path):
        raise SubmissionError(f"{path}: no such file or directory")
    if path.is_dir():
        return _from_directory(path, modules)
    if not path.is_file():
        raise SubmissionError(f"{path}: not a directory, a .zip or an exercise file")
    if path.suffix in (".py", ".ipynb") and path.stem in modules:
        return _from_files({path.name: path}, modules)
    if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        return _from_zip(path, modules)
    raise SubmissionError(f"{path}: not a directory, a .zip or an exercise file "
                          f"({', '.join(sorted(m + '.py' for m in modules))})")


def _from_directory(root: Path, modules: set[str]) -> SubmittedFiles:
    files: dict[str, Path] = {}
    try:
        # Ignored and hidden folders are walked too (a file of an exercise's name there is named as skipped);
        # what cannot be read there is left out.
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=_raise_unless_ignored(root)):
            for name in filenames:
                full = Path(dirpath) / name
                files[full.relative_to(root).as_posix()] = full
    except OSError as exc:
        raise SubmissionError(f"{root}: cannot be read: {exc.strerror or exc}") from None
    sub = _from_files(files, modules)
    # An uploaded zip that was not unpacked (one level): search it for the parts still missing.
    zips = sorted((rel for rel in files if rel.lower().endswith(".zip") and not _unsafe_or_ignored(PurePosixPath(rel))),
                  key=lambda r: (r.count("/"), r))
    for rel in zips:
        if all(m in sub.parts for m in modules):
            break
        if files[rel].is_symlink():
            continue
        inner = _from_zip(files[rel], modules)
        for module, part in inner.parts.items():
            if module not in sub.parts:
                part.origin = f"{rel}:{part.origin}"
                sub.parts[module] = part
        sub.notes += inner.notes
        if inner.problem and not sub.parts:
            sub.notes.append(inner.problem)
    return sub


def _raise_unless_ignored(root: Path):
    def check(exc: OSError) -> None:
        where = Path(exc.filename or root)
        if where == root or not _ignored_folder(where.relative_to(root).parts):
            raise exc
    return check


def _from_files(files: dict[str, Path], modules: set[str]) -> SubmittedFiles:
    sub = SubmittedFiles()
    found, skipped = _candidates(list(files), modules)
    for module, paths in found.items():
        regular: list[tuple[str, int]] = []   # (origin, size)
        for origin in paths:
            try:
                info = os.lstat(files[origin])
            except OSError as exc:
                sub.parts.setdefault(module, Part(module, origin,
                                                  problem=f"{origin} could not be read: {exc.strerror or exc}"))
                continue
            if stat.S_ISREG(info.st_mode):
                regular.append((origin, info.st_size))
            else:
                skipped.setdefault(module, []).append((origin, SYMLINK if stat.S_ISLNK(info.st_mode) else SPECIAL))
        if regular:
            (origin, size), others = regular[0], [o for o, _ in regular[1:]]
            sub.parts[module] = _read_file(module, origin, files[origin], size)
            if others:
                sub.notes.append(f"{module}: graded {origin}; ignored {', '.join(others)}")
    _note_skipped(sub, skipped)
    return sub


def _read_file(module: str, origin: str, full: Path, size: int) -> Part:
    if size > MAX_FILE_BYTES:
        return _too_big(module, origin, size)
    try:
        data = full.read_bytes()
    except OSError as exc:
        return Part(module, origin, problem=f"{origin} could not be read: {exc.strerror or exc}")
    return _convert(module, origin, data)


def _zip_member_problem(info: zipfile.ZipInfo) -> str | None:
    """None for a file; the reason it is skipped otherwise ("" for a directory: skipped silently)."""
    kind = stat.S_IFMT(info.external_attr >> 16)
    if info.is_dir() or kind == stat.S_IFDIR:
        return ""
    if kind in (0, stat.S_IFREG):
        return None
    return SYMLINK if kind == stat.S_IFLNK else SPECIAL


def _from_zip(path: Path, modules: set[str]) -> SubmittedFiles:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        return SubmittedFiles(problem=f"the submission {path.name} is not a readable zip file ({exc})")
    except OSError as exc:
        raise SubmissionError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    sub = SubmittedFiles()
    with archive:
        infos: dict[str, zipfile.ZipInfo] = {}
        skipped: Skipped = {}
        for info in archive.infolist():
            problem = _zip_member_problem(info)
            name = info.filename.replace("\\", "/")   # a few Windows tools write backslashes
            if problem is None:
                infos[name] = info
            elif problem and _exercise_module(name, modules):
                skipped.setdefault(_exercise_module(name, modules), []).append((name, problem))
        found, ignored = _candidates(list(infos), modules)
        for module, reasons in ignored.items():
            skipped.setdefault(module, []).extend(reasons)
        for module, paths in found.items():
            sub.parts[module] = _read_member(archive, module, paths[0], infos[paths[0]])
            if len(paths) > 1:
                sub.notes.append(f"{module}: graded {paths[0]}; ignored {', '.join(paths[1:])}")
    _note_skipped(sub, skipped)
    return sub


def _read_member(archive: zipfile.ZipFile, module: str, origin: str, info: zipfile.ZipInfo) -> Part:
    if info.file_size > MAX_FILE_BYTES:
        return _too_big(module, origin, info.file_size)
    try:
        with archive.open(info) as member:
            data = member.read(MAX_FILE_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError,
            OSError, RuntimeError) as exc:
        return Part(module, origin, problem=f"{origin} could not be read from the zip ({type(exc).__name__}: {exc})")
    if len(data) > MAX_FILE_BYTES:
        return _too_big(module, origin, len(data))
    return _convert(module, origin, data)
