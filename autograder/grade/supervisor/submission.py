"""Find the exercise files in a submission: a directory or a ``.zip``, searched to any depth.

Only ``<module>.py`` and ``<module>.ipynb`` of the kit's exercises are taken (a notebook
is converted with ``autograder.notebooks.convert_notebook``, and the notes say which of its
cells were not graded); everything else —
``conftest.py``, ``pytest.ini``, ``sitecustomize.py``, other modules, symlinks — is
ignored. Nothing is extracted: files are read one by one with a size cap.
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


def _candidates(names: list[str], modules: set[str]) -> dict[str, list[str]]:
    """For each module, the matching paths, best first (shallowest, then .py before .ipynb)."""
    found: dict[str, list[str]] = {}
    for name in names:
        path = PurePosixPath(name)
        if any(part in SKIP_PARTS or part.startswith(".") for part in path.parts):
            continue
        if path.suffix not in (".py", ".ipynb") or path.stem not in modules:
            continue
        found.setdefault(path.stem, []).append(name)
    for paths in found.values():
        paths.sort(key=lambda p: (len(PurePosixPath(p).parts), PurePosixPath(p).suffix != ".py", p))
    return found


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
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=_raise):
            dirnames[:] = [d for d in dirnames if d not in SKIP_PARTS and not d.startswith(".")]
            for name in filenames:
                full = Path(dirpath) / name
                files[full.relative_to(root).as_posix()] = full
    except OSError as exc:
        raise SubmissionError(f"{root}: cannot be read: {exc.strerror or exc}") from None
    sub = _from_files(files, modules)
    # An uploaded zip that was not unpacked (one level): search it for the parts still missing.
    zips = sorted((rel for rel in files if rel.lower().endswith(".zip")), key=lambda r: (r.count("/"), r))
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


def _raise(exc: OSError) -> None:
    raise exc


def _from_files(files: dict[str, Path], modules: set[str]) -> SubmittedFiles:
    sub = SubmittedFiles()
    for module, paths in _candidates(list(files), modules).items():
        origin = paths[0]
        full = files[origin]
        try:
            info = os.lstat(full)
            if not stat.S_ISREG(info.st_mode):
                sub.parts[module] = Part(module, origin, problem=f"{origin} is not a regular file (a link?)")
                continue
            if info.st_size > MAX_FILE_BYTES:
                sub.parts[module] = _too_big(module, origin, info.st_size)
                continue
            data = full.read_bytes()
        except OSError as exc:
            sub.parts[module] = Part(module, origin, problem=f"{origin} could not be read: {exc.strerror or exc}")
            continue
        sub.parts[module] = _convert(module, origin, data)
        if len(paths) > 1:
            sub.notes.append(f"{module}: graded {origin}; ignored {', '.join(paths[1:])}")
    return sub


def _from_zip(path: Path, modules: set[str]) -> SubmittedFiles:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        return SubmittedFiles(problem=f"the submission {path.name} is not a readable zip file ({exc})")
    except OSError as exc:
        raise SubmissionError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    sub = SubmittedFiles()
    with archive:
        infos = {}
        for info in archive.infolist():
            mode = info.external_attr >> 16
            if info.is_dir() or (mode and not stat.S_ISREG(mode)):
                continue
            infos[info.filename] = info
        for module, paths in _candidates(list(infos), modules).items():
            origin = paths[0]
            info = infos[origin]
            if info.file_size > MAX_FILE_BYTES:
                sub.parts[module] = _too_big(module, origin, info.file_size)
                continue
            try:
                with archive.open(info) as member:
                    data = member.read(MAX_FILE_BYTES + 1)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError,
                    OSError, RuntimeError) as exc:
                sub.parts[module] = Part(module, origin, problem=f"{origin} could not be read from the zip "
                                                                 f"({type(exc).__name__}: {exc})")
                continue
            if len(data) > MAX_FILE_BYTES:
                sub.parts[module] = _too_big(module, origin, len(data))
                continue
            sub.parts[module] = _convert(module, origin, data)
            if len(paths) > 1:
                sub.notes.append(f"{module}: graded {origin}; ignored {', '.join(paths[1:])}")
    return sub
