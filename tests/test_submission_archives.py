"""A submission is read as it is: a zip is graded the same whichever common tool wrote it, and a member of an
exercise's name that is skipped is named with the reason, never "is not in your submission".

The zips are built the way the tools build them: Info-ZIP's ``zip``, ``git archive``, and, entry by entry
with the attributes they write, macOS's Archive Utility (Unix modes, ``__MACOSX/`` resource forks),
Windows' compressed folders (MS-DOS attributes only) and Python's ``ZipFile.writestr`` (a name: permissions
without a file type; a ``ZipInfo``: no attributes at all).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from autograder.grade.supervisor.submission import MAX_FILE_BYTES, read_submission
from autograder.specs import get_exercise
from tests.helpers.kit import ROOT, run_kit

GD = get_exercise("gradient_descent")
FILES = {"hw/gradient_descent.py": (ROOT / "solutions" / "gradient_descent.py").read_bytes(),
         "hw/notes/mnist_cnn.py": (ROOT / "exercises" / "mnist_cnn.py").read_bytes()}
MS_DOS_ARCHIVE, MS_DOS_DIRECTORY = 0x20, 0x10


def folder_of(files: dict[str, bytes], where: Path) -> Path:
    for name, data in files.items():
        (where / name).parent.mkdir(parents=True, exist_ok=True)
        (where / name).write_bytes(data)
    return where


def info_zip(folder: Path, out: Path) -> None:
    subprocess.run(["zip", "-qr", str(out), "."], cwd=folder, check=True)


def git_archive(folder: Path, out: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@example", "GIT_COMMITTER_NAME": "s",
           "GIT_COMMITTER_EMAIL": "s@example"}
    for command in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "hand-in"],
                    ["git", "archive", "--format=zip", "-o", str(out), "HEAD"]):
        subprocess.run(command, cwd=folder, check=True, env=env, capture_output=True)


def entries(out: Path, files: dict[str, bytes], attributes, directories: bool = True, extra=()) -> None:
    """A zip written entry by entry: ``attributes(name, is_dir)`` gives (create_system, external_attr)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        folders = sorted({f"{parent}/" for n in files for parent in Path(n).parents if parent != Path(".")})
        for name in (folders if directories else []):
            info = zipfile.ZipInfo(name)
            info.create_system, info.external_attr = attributes(name, True)
            archive.writestr(info, b"")
        for name, data in [*files.items(), *extra]:
            info = zipfile.ZipInfo(name)
            info.create_system, info.external_attr = attributes(name, False)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def macos(folder: Path, out: Path) -> None:
    forks = [(f"__MACOSX/{Path(n).parent}/._{Path(n).name}", b"\x00\x05\x16\x07resource fork") for n in FILES]
    entries(out, FILES, lambda name, is_dir: (3, ((0o40755 << 16) if is_dir else (0o100644 << 16))), extra=forks)


def windows(folder: Path, out: Path) -> None:
    entries(out, FILES, lambda name, is_dir: (0, MS_DOS_DIRECTORY if is_dir else MS_DOS_ARCHIVE))


def writestr_names(folder: Path, out: Path) -> None:
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in FILES.items():
            archive.writestr(name, data)   # mode 0o600, no file type bits


def writestr_zipinfo(folder: Path, out: Path) -> None:
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in FILES.items():
            archive.writestr(zipfile.ZipInfo(name), data)   # no attributes at all


TOOLS = {"info-zip": info_zip, "git-archive": git_archive, "macos-archive-utility": macos,
         "windows-compressed-folder": windows, "writestr-name": writestr_names, "writestr-zipinfo": writestr_zipinfo}


def parts(sub) -> dict[str, tuple[str, bytes | None, str | None]]:
    return {m: (p.origin, p.source, p.problem) for m, p in sub.parts.items()}


@pytest.mark.parametrize("tool", TOOLS)
def test_a_zip_is_read_as_the_folder_it_came_from(tool, tmp_path):
    folder = folder_of(FILES, tmp_path / "folder")
    TOOLS[tool](folder, tmp_path / "submission.zip")
    from_folder, from_zip = read_submission(folder), read_submission(tmp_path / "submission.zip")
    assert parts(from_zip) == parts(from_folder)
    assert from_zip.parts["gradient_descent"].source == FILES["hw/gradient_descent.py"]
    assert not from_zip.notes and not from_zip.problem


def member(out: Path, name: str, mode: int, data: bytes = b"x = 1\n") -> Path:
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo(name)
        info.create_system, info.external_attr = 3, mode << 16
        archive.writestr(info, data)
    return out


@pytest.mark.parametrize("name, mode, reason", [
    ("hw/gradient_descent.py", stat.S_IFLNK | 0o777, "hw/gradient_descent.py is a symbolic link"),
    ("hw/gradient_descent.py", stat.S_IFIFO | 0o644, "hw/gradient_descent.py is a special file"),
    ("../gradient_descent.py", 0o100644, "../gradient_descent.py has an unsafe name"),
    ("/tmp/gradient_descent.py", 0o100644, "/tmp/gradient_descent.py has an unsafe name"),
    ("__MACOSX/gradient_descent.py", 0o100644, "lies in __MACOSX/, a folder the grader ignores"),
    (".git/gradient_descent.py", 0o100644, "lies in a hidden folder (.git/)"),
], ids=["symlink", "fifo", "dot-dot", "absolute", "macosx", "hidden"])
def test_a_skipped_member_of_an_exercises_name_is_named_with_the_reason(tmp_path, name, mode, reason):
    sub = read_submission(member(tmp_path / "s.zip", name, mode))
    assert reason in sub.parts["gradient_descent"].problem and "so it was not graded" in sub.parts["gradient_descent"].problem
    assert sub.parts["gradient_descent"].source is None


def test_a_skipped_member_beside_a_graded_one_is_a_note(tmp_path):
    with zipfile.ZipFile(tmp_path / "s.zip", "w") as archive:
        archive.writestr("hw/gradient_descent.py", FILES["hw/gradient_descent.py"])
        archive.writestr(".ipynb_checkpoints/gradient_descent.py", b"old = 1\n")
    sub = read_submission(tmp_path / "s.zip")
    assert sub.parts["gradient_descent"].source == FILES["hw/gradient_descent.py"]
    assert sub.notes == ["gradient_descent: also skipped .ipynb_checkpoints/gradient_descent.py lies in "
                         ".ipynb_checkpoints/, a folder the grader ignores"]


def test_a_member_too_big_is_named_with_its_size(tmp_path):
    sub = read_submission(member(tmp_path / "s.zip", "gradient_descent.py", 0o600, b"#" * (MAX_FILE_BYTES + 1)))
    assert "over the limit" in sub.parts["gradient_descent"].problem


def test_a_folder_names_a_symlink_and_a_hidden_copy_and_grades_the_regular_file(tmp_path):
    folder = folder_of({"deep/er/gradient_descent.py": FILES["hw/gradient_descent.py"],
                        ".hidden/mnist_cnn.py": b"x = 1\n"}, tmp_path / "sub")
    (folder / "gradient_descent.py").symlink_to(ROOT / "solutions" / "gradient_descent.py")
    sub = read_submission(folder)
    assert sub.parts["gradient_descent"].origin == "deep/er/gradient_descent.py"
    assert sub.parts["gradient_descent"].source == FILES["hw/gradient_descent.py"]
    assert "gradient_descent: also skipped gradient_descent.py is a symbolic link" in sub.notes
    assert sub.parts["mnist_cnn"].problem == ".hidden/mnist_cnn.py lies in a hidden folder (.hidden/), so it was not graded"


@pytest.mark.slow
def test_a_writestr_zip_scores_what_its_folder_scores_and_a_link_is_never_missing(tmp_path):
    folder = folder_of({"gradient_descent.py": FILES["hw/gradient_descent.py"]}, tmp_path / "folder")
    writestr_names(folder, tmp_path / "writestr.zip")
    scores = {}
    for name, sub in {"folder": folder, "zip": tmp_path / "writestr.zip",
                      "link": member(tmp_path / "link.zip", "gradient_descent.py", stat.S_IFLNK | 0o777)}.items():
        done = run_kit("-m", "autograder", "grade", str(sub), "--results", str(tmp_path / f"{name}.json"), "--quiet",
                       "--no-training", timeout=900)
        assert done.returncode == 0, done.stderr[-2000:]
        scores[name] = json.loads((tmp_path / f"{name}.json").read_text())
    gd = {name: [t for t in data["tests"] if t["tags"][0] == GD.name] for name, data in scores.items()}
    assert sum(t["score"] for t in gd["zip"]) == sum(t["score"] for t in gd["folder"]) == GD.points
    assert all("is a symbolic link, so it was not graded" in t["output"] for t in gd["link"])
    assert not any("is not in your submission" in t["output"] for t in gd["link"])
