"""Hidden stays hidden, and a submission touches nothing but its own files (docs/isolation.md).

Two halves:

- the pieces, for real: the visible output of results, the spec split, the student kit,
  the seccomp network filter and the Landlock file filter in real child processes, the
  sandbox users (real user-database entries, a Python they can run);
- the catalogue's isolation cases (``tests/bad_submissions/*/isolation.json``), each graded
  by ``python -m autograder grade`` — or, for batch cases, by ``grade-batch --workers 2``
  beside an honest submission holding a secret — and checked for: a valid results file,
  no points unearned, the expected checks failed with the expected message, nothing
  hidden in any visible field nor on the grading command's stdout, the honest
  submission's grade unchanged.

Cheap on purpose: gradient-descent submissions only, no training.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder.grade.child import enter, fsguard, netguard
from autograder.grade.isolation import privileges, users
from autograder.grade.supervisor.results import Results, gradescope_json, summary_text, validate_gradescope
from autograder.grade.supervisor.results import TestResult as Entry
from autograder.specs import HIDDEN_SPECS, SpecError, all_exercises, get_exercise, with_hidden
from tests.helpers.kit import ROOT, run_kit

CATALOGUE = Path(__file__).parent / "bad_submissions"
CASES = sorted(p.name for p in CATALOGUE.iterdir() if (p / "isolation.json").is_file())
GD = get_exercise("gradient_descent")
ARGS = ["--time-limit", "10", "--memory-mb", "2048"]
PORT_PLACEHOLDER = "__DL3_TEST_PORT__"
TAG_PLACEHOLDER = "__DL3_TEST_TAG__"
IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="sandbox users need a root grader")


def hidden_markers() -> list[str]:
    """Text that names a hidden check: its description always, its name where the name is not an everyday word.

    A name that also occurs in the reference solutions (``accuracy``: the metric's name) says
    nothing by itself; its description and its notebook call still do.
    """
    solutions = " ".join(p.read_text() for p in (ROOT / "solutions").glob("*.py"))
    markers = []
    for exercise in all_exercises().values():
        for check in exercise.checks:
            if check.hidden:
                markers += [check.describe, f'run_check("{exercise.name}", "{check.name}"']
                if not re.search(rf"\b{re.escape(check.name)}\b", solutions):
                    markers.append(check.name)
    hidden_extra = set(getattr(_hidden_module(), "HIDDEN", {}).get("gradient_descent", {}).get("extra", {}))
    return markers + sorted(hidden_extra)


def _hidden_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("hidden_specs_for_tests", HIDDEN_SPECS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def leaks(text: str) -> list[str]:
    return [m for m in hidden_markers() if m in text]


def visible_fields(data: dict) -> str:
    """Everything of a results.json a student sees before the due date."""
    parts = [str(data.get("output", ""))]
    for test in data.get("tests", []):
        if test.get("visibility") == "visible":
            parts += [str(test.get("name", "")), str(test.get("output", ""))]
    return "\n".join(parts)


# ---------------------------------------------------------------------------- results and specs


def failing_results() -> Results:
    """Every check of every exercise failed, each message naming its own check."""
    results = Results()
    for exercise in all_exercises().values():
        for index, check in enumerate(exercise.checks, start=1):
            results.tests.append(Entry(
                exercise=exercise.name, check=check.name, name=f"{exercise.title} — {check.name}: {check.describe}",
                number=str(index), score=0.0, max_score=float(check.points), status="failed",
                output=f"{check.name} failed: {check.describe}", hidden=check.hidden))
    return results


def test_visible_output_names_no_hidden_check_but_counts_them():
    results = failing_results()
    data = gradescope_json(results)
    assert validate_gradescope(data) == []
    assert leaks(visible_fields(data)) == []
    assert leaks(summary_text(results)) == []
    hidden = [c for e in all_exercises().values() for c in e.checks if c.hidden]
    total = sum(c.points for c in hidden)
    assert f"{len(hidden)} hidden checks worth {total:g} points" in data["output"]
    assert f"{GD.hidden_count} hidden checks worth {GD.hidden_points:g} points" in data["output"]
    # The per-exercise table counts visible checks only.
    visible = len(GD.visible_checks)
    assert re.search(rf"{re.escape(GD.title)}\s+0/{visible}\s+checks\s+0/{GD.visible_points:g}\b", data["output"])
    # Hidden checks are still all there, each in its own after-due-date test, with its message.
    after = [t for t in data["tests"] if t["visibility"] == "after_due_date"]
    assert len(after) == len(hidden) and all(t["output"] for t in after)
    # The instructor's view names them.
    assert "gd_converges" in summary_text(results, include_hidden=True)


def test_visible_specs_hold_no_hidden_check():
    for path in (ROOT / "autograder" / "specs").glob("*.py"):
        assert leaks(path.read_text()) == [], path


def test_specs_without_the_hidden_file_keep_the_visible_checks_and_the_points(tmp_path):
    merged = all_exercises()
    assert all(e.hidden_loaded for e in merged.values())
    shutil.copytree(ROOT / "autograder", tmp_path / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    code = (f"import json, sys; sys.path.insert(0, {str(tmp_path)!r})\n"
            "from autograder.specs import all_exercises\n"
            "print(json.dumps({n: [len(e.checks), e.points, e.visible_points, e.hidden_loaded]"
            " for n, e in all_exercises().items()}))")
    done = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    student = json.loads(done.stdout)
    for name, exercise in merged.items():
        assert student[name] == [len(exercise.visible_checks), exercise.points, exercise.visible_points, False]


def test_a_hidden_spec_that_disagrees_with_the_visible_one_is_refused(tmp_path):
    bad = tmp_path / "hidden_specs.py"
    bad.write_text(HIDDEN_SPECS.read_text().replace('"gd_converges", 2,', '"gd_converges", 3,'))
    visible = [c for c in GD.checks if not c.hidden]
    from dataclasses import replace

    with pytest.raises(SpecError, match="declares 5 hidden checks worth 9 points"):
        with_hidden(replace(GD, checks=tuple(visible), extra={}, hidden_loaded=False), bad)


def test_student_kit_ships_no_hidden_check_name(tmp_path):
    from autograder.release import build_student_bundle, student_files

    bundle = build_student_bundle(ROOT, tmp_path / "student.zip")
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        found = {name: leaks(archive.read(name).decode("utf-8", "replace")) for name in names}
    assert not any(n.startswith(("hidden_tests/", "solutions/")) for n in names)
    assert {n: f for n, f in found.items() if f} == {}
    # The sandboxed student process's import root is made of the same files.
    root_files = [rel for rel in student_files(ROOT) if rel.startswith("autograder/")]
    assert {rel: leaks((ROOT / rel).read_text()) for rel in root_files if leaks((ROOT / rel).read_text())} == {}
    assert leaks(HIDDEN_SPECS.read_text()) != []   # the same search finds them where they are


# ---------------------------------------------------------------------------- the network filter


def run_guarded(code: str, user=None, python=None, timeout: int = 120) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter after netguard's and fsguard's definitions (as the student process has them)."""
    source = (Path(netguard.__file__).read_text() + "\n\n" + Path(fsguard.__file__).read_text() + "\n\n" + code)
    python = python or privileges.student_python(user)
    return subprocess.run([python.executable, "-I", "-c", source], capture_output=True, text=True, timeout=timeout,
                          cwd="/", env={"PATH": "/usr/bin:/bin", **python.env}, **privileges.spawn_options(user))


class LoopbackServer:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def loopback_server():
    server = LoopbackServer()
    yield server
    server.close()


NETWORK_PROBE = """
import socket, sys, json, ctypes, os
port = int(sys.argv[-1]) if len(sys.argv) > 1 else 9
out = {"install": install_network_filter()}
for name, family, kind in (("inet", socket.AF_INET, socket.SOCK_STREAM), ("inet6", socket.AF_INET6, socket.SOCK_STREAM),
                           ("packet", socket.AF_PACKET, socket.SOCK_RAW), ("netlink", socket.AF_NETLINK, socket.SOCK_RAW)):
    try:
        socket.socket(family, kind).close()
        out[name] = "open"
    except OSError as exc:
        out[name] = [type(exc).__name__, network_block_note(exc) is not None]
try:
    socket.create_connection(("127.0.0.1", PORT), timeout=3).close()
    out["connect"] = "connected"
except OSError as exc:
    out["connect"] = [type(exc).__name__, network_block_note(exc)]
a, b = socket.socketpair()
a.send(b"x")
out["unix"] = b.recv(1).decode()
libc = ctypes.CDLL(None, use_errno=True)
out["io_uring"] = [libc.syscall(425, 8, ctypes.create_string_buffer(120)), os.strerror(ctypes.get_errno())]
segment = libc.shmget(0, 4096, 0o1600)          # IPC_PRIVATE, IPC_CREAT | 0600: System V shared memory
out["shmget"] = [segment >= 0, os.strerror(ctypes.get_errno())]
if segment >= 0:
    libc.shmctl(segment, 0, None)                # IPC_RMID: leave nothing on the host
print(json.dumps(out))
"""


def test_network_filter_blocks_internet_sockets_in_a_real_child(loopback_server):
    socket.create_connection(("127.0.0.1", loopback_server.port), timeout=3).close()   # the server works
    assert _wait_for(lambda: loopback_server.accepted == 1)
    done = run_guarded(NETWORK_PROBE.replace("PORT", str(loopback_server.port)))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["install"] is None
    assert out["inet"] == out["inet6"] == out["packet"] == out["netlink"] == ["PermissionError", True]
    assert out["connect"] == ["PermissionError", netguard.NETWORK_BLOCKED]
    assert "network is blocked during grading" in out["connect"][1]
    assert out["unix"] == "x"                                   # local plumbing still works
    assert out["io_uring"] == [-1, os.strerror(1)]              # EPERM
    assert out["shmget"] == [False, os.strerror(1)]             # System V IPC: EPERM
    assert loopback_server.accepted == 1                        # nothing reached the server from the child


def test_without_the_filter_the_same_child_reaches_the_server(loopback_server):
    code = NETWORK_PROBE.replace("PORT", str(loopback_server.port)).replace(
        '"install": install_network_filter()', '"install": "not installed"')
    done = run_guarded(code)
    assert json.loads(done.stdout)["connect"] == "connected"
    assert json.loads(done.stdout)["shmget"][0] is True
    assert _wait_for(lambda: loopback_server.accepted == 1)


def test_network_filter_kills_a_syscall_through_the_x32_abi():
    if netguard._netguard_machine() != "x86_64":
        pytest.skip("the x32 ABI exists on x86_64 only")
    code = ("assert install_network_filter() is None\nimport ctypes\n"
            "ctypes.CDLL(None).syscall(0x40000000 | 39)\nprint('survived')")
    done = run_guarded(code)
    assert done.returncode == -31 and "survived" not in done.stdout   # SIGSYS


def test_network_filter_program_refuses_a_foreign_architecture():
    assert len(netguard.network_filter_program("aarch64")) < len(netguard.network_filter_program("x86_64"))
    with pytest.raises(OSError, match="only x86_64 and aarch64"):
        netguard.network_filter_program("riscv64")


def _wait_for(condition, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


# ---------------------------------------------------------------------------- users and files


@needs_root
def test_concurrent_gradings_lease_different_real_users():
    with users.lease_user() as first, users.lease_user() as second:
        assert first.pw_uid != second.pw_uid and 0 not in (first.pw_uid, second.pw_uid)
        assert first.pw_name.startswith(users.USER_PREFIX)
        done = run_guarded("import getpass, os; print(getpass.getuser(), os.getuid())", user=first)
        assert done.stdout.split() == [first.pw_name, str(first.pw_uid)], done.stderr


@needs_root
def test_sandbox_user_runs_python_even_when_it_lives_under_a_private_home():
    with users.lease_user() as user:
        python = privileges.student_python(user)
        if users.can_run_python(user, users.SandboxPython(sys.executable, {})):
            assert python.executable == sys.executable
        else:   # this machine: pyenv under /root (mode 700): a managed copy the user can run
            assert python.executable.startswith(str(users.STATE_DIR))
        done = run_guarded("import numpy, sys; print(sys.executable)", user=user)
        assert done.returncode == 0 and done.stdout.strip() == python.executable, done.stderr


@pytest.fixture
def shared_tmp():
    """A folder under /tmp that other users may pass through (pytest's own tmp_path is root's alone)."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="dl3-isolation-test-"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@needs_root
def test_file_filter_lets_a_student_process_read_its_own_files_only(shared_tmp):
    tmp_path = shared_tmp
    own, other = tmp_path / "own", tmp_path / "other"
    for folder in (own, other):
        folder.mkdir()
        (folder / "gradient_descent.py").write_text("SECRET-OF-THIS-FOLDER\n")
    with users.lease_user() as user:
        privileges.give_to(user, own)
        code = f"""
import json
out = {{"filter": student_file_filter({str(own)!r}, {str(own)!r}, None)}}
for name, path in (("own", {str(own / 'gradient_descent.py')!r}), ("other", {str(other / 'gradient_descent.py')!r}),
                   ("hidden", {str(HIDDEN_SPECS)!r}), ("solution", {str(ROOT / 'solutions' / 'gradient_descent.py')!r})):
    try:
        open(path).read()
        out[name] = "read"
    except OSError as exc:
        out[name] = exc.errno
print(json.dumps(out))
"""
        done = run_guarded(code, user=user)
    out = json.loads(done.stdout)
    if fsguard.landlock_abi() < 1:
        assert out["filter"] == "Landlock is not available in this kernel"
    else:
        assert out["filter"] is None
    assert out["own"] == "read"
    assert out["other"] == out["hidden"] == out["solution"] == 13    # EACCES: permissions or Landlock


TEMP_PROBE = """
import json, multiprocessing, os, sys, time
scratch = os.getcwd()
dirs, why = private_temp_space([], [scratch], 8)
if os.geteuid() == 0:
    become_user(int(sys.argv[1]), int(sys.argv[2]))
out = {"dirs": dirs, "why": why, "uid": os.getuid(), "files": student_file_filter(scratch, scratch, None, dirs)}
mark = sys.argv[3]
for folder in ("/dev/shm", "/tmp", "/var/tmp", scratch):
    try:
        with open(os.path.join(folder, "dl3-temp-test-" + mark), "w") as handle:
            handle.write(mark)
        out[folder] = sorted(n for n in os.listdir(folder) if n.startswith("dl3-temp-test-"))
    except OSError as exc:
        out[folder] = exc.errno
try:
    multiprocessing.Lock()
    out["lock"] = "made"
except OSError as exc:
    out["lock"] = exc.errno
time.sleep(float(sys.argv[4]))
print(json.dumps(out))
"""


def start_entered(user, scratch: Path, mark: str, linger: float, as_root: bool = True,
                  bounding: str | None = None) -> subprocess.Popen:
    """TEMP_PROBE in a child started as the student process is (as root, taking on ``user`` itself), or
    started as ``user`` (``as_root=False``); ``bounding``: a capability bounding set for it (setpriv)."""
    source = "\n\n".join(Path(m.__file__).read_text() for m in (netguard, fsguard, enter)) + "\n\n" + TEMP_PROBE
    python = privileges.student_python(user)
    prefix = ["setpriv", f"--bounding-set={bounding}", "--"] if bounding else []
    return subprocess.Popen(prefix + [python.executable, "-I", "-c", source, str(user.pw_uid), str(user.pw_gid), mark,
                                      str(linger)],
                            stdout=subprocess.PIPE, text=True, cwd=scratch, env={"PATH": "/usr/bin:/bin", **python.env},
                            **({} if as_root else privileges.spawn_options(user)))


def host_marks() -> list[str]:
    return sorted(glob.glob("/dev/shm/dl3-temp-test-*") + glob.glob("/tmp/dl3-temp-test-*")
                  + glob.glob("/var/tmp/dl3-temp-test-*"))


@needs_root
def test_each_student_process_has_temporary_directories_of_its_own(shared_tmp):
    """As root: /tmp, /var/tmp and /dev/shm are a tmpfs of each process's own; its scratch stays where it was."""
    with users.lease_user() as first, users.lease_user() as second:
        scratches = [shared_tmp / "first", shared_tmp / "second"]
        for folder, user in zip(scratches, (first, second)):
            folder.mkdir()
            privileges.give_to(user, folder)
        lingering = start_entered(first, scratches[0], "first", 4)
        time.sleep(2)             # the first has written its files and is still there
        other = json.loads(start_entered(second, scratches[1], "second", 0).communicate(timeout=120)[0])
        out = json.loads(lingering.communicate(timeout=120)[0])
    for found, mark, user in ((out, "first", first), (other, "second", second)):
        assert found["dirs"] == [d for d in enter.TEMP_DIRS if Path(d).is_dir()] and found["why"] is None
        assert found["uid"] == user.pw_uid and found["files"] is None and found["lock"] == "made"
        for folder in ("/dev/shm", "/tmp", "/var/tmp"):
            assert found[folder] == [f"dl3-temp-test-{mark}"], (folder, found[folder])   # its own file only
        assert found[str(shared_tmp / mark)] == [f"dl3-temp-test-{mark}"]
    assert host_marks() == []                                   # nothing of theirs on the host
    assert (shared_tmp / "first" / "dl3-temp-test-first").read_text() == "first"   # the scratch was the real one


@needs_root
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_without_cap_sys_admin_the_shared_temporary_directories_are_closed(shared_tmp):
    """Gradescope-shaped (root without CAP_SYS_ADMIN): no private mount, so /tmp and /dev/shm cannot be used."""
    with users.lease_user() as user:
        privileges.give_to(user, shared_tmp)
        out = json.loads(start_entered(user, shared_tmp, "closed", 0, bounding="-sys_admin").communicate(timeout=120)[0])
    assert out["dirs"] == [] and "CAP_SYS_ADMIN" in out["why"] and out["uid"] == user.pw_uid
    if fsguard.landlock_abi() >= 1:
        assert out["files"] is None
        assert out["/dev/shm"] == out["/tmp"] == out["/var/tmp"] == 13 and out["lock"] == 13    # EACCES
    assert out[str(shared_tmp)] == ["dl3-temp-test-closed"]
    assert host_marks() == []


@needs_root
def test_a_grader_that_is_not_root_gets_no_private_mount(shared_tmp):
    """Not root (--allow-same-user): the same closed directories, and the reason in the isolation's words."""
    with users.lease_user() as user:
        privileges.give_to(user, shared_tmp)
        out = json.loads(start_entered(user, shared_tmp, "nonroot", 0, as_root=False).communicate(timeout=120)[0])
    assert out["dirs"] == [] and "not root" in out["why"]
    assert out["/dev/shm"] == 13 or fsguard.landlock_abi() < 1
    assert host_marks() == []


@needs_root
def test_submission_folders_belong_to_their_sandbox_user_alone(shared_tmp):
    folder = shared_tmp / "submission"
    (folder / "autograder").mkdir(parents=True)
    (folder / "gradient_descent.py").write_text("x = 1\n")
    with users.lease_user() as owner, users.lease_user() as stranger:
        privileges.give_to(owner, folder)
        assert folder.stat().st_uid == owner.pw_uid and folder.stat().st_mode & 0o777 == 0o700
        assert users.readable_by(owner, folder / "gradient_descent.py")
        assert not users.readable_by(stranger, folder / "gradient_descent.py")


@needs_root
def test_a_grader_that_is_not_root_refuses_without_the_opt_in():
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "from autograder.grade.isolation.users import require_isolation, IsolationError\n"
            "require_isolation(True)\n"
            "try:\n    require_isolation(False)\nexcept IsolationError as exc:\n    print(exc)\n")
    with users.lease_user() as user:
        python = privileges.student_python(user)
        done = subprocess.run([python.executable, "-I", "-c", code], capture_output=True, text=True, cwd="/",
                              env={"PATH": "/usr/bin:/bin", **python.env}, timeout=120,
                              **privileges.spawn_options(user))
    assert done.returncode == 0, done.stderr
    assert "not root" in done.stdout and "--allow-same-user" in done.stdout


def test_isolation_is_recorded_in_words():
    with privileges.isolated_run(allow_same_user=True) as (user, isolation):
        assert (user is not None) == IS_ROOT
    assert isolation["separate_user"] == IS_ROOT
    assert isolation["network"] == "blocked (seccomp filter)" or isolation["network"].startswith("OFF: ")
    warnings = privileges.isolation_warnings({**isolation, "network": "OFF: seccomp is not available here"})
    assert any("network isolation was OFF" in line for line in warnings)


# ---------------------------------------------------------------------------- the catalogue's isolation cases


def case_spec(name: str) -> dict:
    return json.loads((CATALOGUE / name / "isolation.json").read_text())


def build_case(name: str, where: Path, port: int | None, tag: str = "hostile") -> Path:
    """The case's submission: the reference ``gradient_descent.py`` plus ``patch.py``, and the reference of
    each module in ``"modules"`` plus its own patch; ``tag`` names this copy (``__DL3_TEST_TAG__``)."""
    sub = where / tag
    sub.mkdir(parents=True)
    patches = {"gradient_descent": "patch.py", **case_spec(name).get("modules", {})}
    for module, patch_name in patches.items():
        patch = (CATALOGUE / name / patch_name).read_text().replace(TAG_PLACEHOLDER, tag)
        if port is not None:
            patch = patch.replace(PORT_PLACEHOLDER, str(port))
        (sub / f"{module}.py").write_text((ROOT / "solutions" / f"{module}.py").read_text()
                                          + "\n\n# ---- isolation case ----\n" + patch)
    return sub


def hostile_names(spec: dict) -> list[str]:
    return ["hostile"] + [f"hostile-{n}" for n in range(2, spec.get("copies", 1) + 1)]


def honest_submission(where: Path, secret: str) -> Path:
    sub = where / "honest"
    sub.mkdir(parents=True, exist_ok=True)
    (sub / "gradient_descent.py").write_text((ROOT / "solutions" / "gradient_descent.py").read_text()
                                             + f"\n# SECRET-OF-{secret}\n")
    return sub


def leftovers(spec: dict) -> list[str]:
    """What the case's student code left on the machine (``"leftovers"``: globs that must match nothing)."""
    return sorted(path for pattern in spec.get("leftovers", []) for path in glob.glob(pattern))


def grade_case(name: str, tmp: Path) -> dict:
    spec = case_spec(name)
    server = LoopbackServer() if spec.get("server") else None
    try:
        if spec.get("batch"):
            subs = tmp / "class"    # graded at once: the hostile copies and an honest submission
            for tag in hostile_names(spec):
                build_case(name, subs, server and server.port, tag)
            honest_submission(subs, f"HONEST-{name}")
            out = tmp / "out"
            done = run_kit("-m", "autograder", "grade-batch", str(subs), "--out", str(out),
                           "--workers", str(1 + len(hostile_names(spec))), "--force", timeout=900)
            return {"done": done, "results": [out / tag / "results.json" for tag in hostile_names(spec)],
                    "honest": out / "honest" / "results.json", "server": server, "left": leftovers(spec)}
        sub = build_case(name, tmp, server and server.port)
        results = tmp / "out" / "results.json"
        done = run_kit("-m", "autograder", "grade", str(sub), "--results", str(results),
                       *spec.get("args", ARGS), timeout=900)
        return {"done": done, "results": [results], "server": server, "left": leftovers(spec)}
    finally:
        if server is not None:
            server.close()


@pytest.fixture(scope="module")
def graded_cases(tmp_path_factory):
    if not IS_ROOT:
        pytest.skip("the isolation cases need a root grader (sandbox users)")
    root = tmp_path_factory.mktemp("isolation")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(grade_case, name, root / name) for name in CASES}
        return {name: future.result() for name, future in futures.items()}


def test_every_leak_of_the_issue_has_a_case():
    assert {case_spec(name).get("leak") for name in CASES} >= {1, 2, 3, 4, 5}
    assert {"read_other_submission", "signal_grader", "loopback_server", "print_hidden_test_names",
            "kit_hidden_names", "temp_space_channel", "module_channel", "fill_shm"} <= set(CASES)
    assert all(case_spec(name).get("batch") for name in ("read_other_submission", "signal_grader",
                                                         "temp_space_channel", "fill_shm"))


def expected_score(spec: dict, data: dict) -> float:
    """Check every test of the submission's exercises against the case; the points the case leaves it."""
    modules = {"gradient_descent", *spec.get("modules", {})}
    points = 0.0
    for exercise in (e for e in all_exercises().values() if e.module in modules):
        tests = [t for t in data["tests"] if t["tags"][0] == exercise.name]
        for check, test in zip(exercise.checks, tests):
            if check.name in spec["affected"]:
                assert test["score"] == 0 and re.search(spec["message"], test["output"]), (check.name, test["output"])
            elif check.training and "--no-training" in spec.get("args", ()):
                assert test["score"] == 0 and "did not run" in test["output"], (check.name, test["output"])
            else:
                assert test["status"] == "passed" and test["score"] == check.points, (check.name, test["output"])
                points += check.points
    return points


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
def test_isolation_case(graded_cases, name):
    run, spec = graded_cases[name], case_spec(name)
    done = run["done"]
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert leaks(done.stdout) == [] and "LEAKED-BY-STUDENT" not in done.stdout + done.stderr
    uids = set()
    for path in run["results"]:
        data = json.loads(path.read_text())
        assert validate_gradescope(data) == []
        assert data["score"] == expected_score(spec, data)    # no points unearned
        assert leaks(visible_fields(data)) == []              # nothing hidden in a visible field
        assert "hidden_tests" not in visible_fields(data) and "SECRET-OF-" not in json.dumps(data)
        assert "LEAKED-BY-STUDENT" not in json.dumps(data)    # nothing one process recorded reached another
        isolation = data["extra_data"]["dl3"]["isolation"]
        assert isolation["separate_user"] and isolation["network"] == "blocked (seccomp filter)"
        assert isolation["temporary"].startswith("private")
        uids.add(isolation["uid"])
    if run.get("honest"):                                     # the other submission's grade is unchanged
        honest = json.loads(run["honest"].read_text())
        assert honest["score"] == GD.points and all(t["status"] == "passed" for t in honest["tests"]
                                                    if t["tags"][0] == GD.name)
        # graded at the same time, under another uid
        assert honest["extra_data"]["dl3"]["isolation"]["uid"] not in uids
    if run.get("server"):
        assert run["server"].accepted == 0                     # blocked before it connected anywhere
    assert run["left"] == []                                   # nothing left on the machine


def test_hostile_scan_finds_another_students_secret_when_nothing_stops_it(shared_tmp):
    """The read_other_submission case proves something: run by the grader itself, its scan finds the secret."""
    honest_submission(shared_tmp, "PLANTED")      # /tmp/dl3-isolation-test-*/honest/gradient_descent.py
    scope: dict = {"stochastic_gradient_descent": None}
    exec((CATALOGUE / "read_other_submission" / "patch.py").read_text(), scope)  # noqa: S102 - the kit's own case
    with pytest.raises(RuntimeError, match="read another student's file: .*SECRET-OF-PLANTED"):
        scope["stochastic_gradient_descent"](None, None, seed=2)


def _case_scope(name: str, patch: str = "patch.py", tag: str = "hostile", **names) -> dict:
    """The case's patch run by the test itself, as the grader's user, with nothing to stop it."""
    def gradient_descent(*args, **kwargs):   # the reference's, as far as the patches see it
        return None

    scope: dict = {"stochastic_gradient_descent": gradient_descent, "gradient_descent": gradient_descent, **names}
    source = (CATALOGUE / name / patch).read_text().replace(TAG_PLACEHOLDER, tag)
    exec(compile(source, str(CATALOGUE / name / patch), "exec"), scope)  # noqa: S102 - the kit's own case
    return scope


@pytest.fixture
def host_temp_cleaned():
    yield
    for name in ("temp_space_channel", "module_channel", "fill_shm"):
        for path in leftovers(case_spec(name)):
            Path(path).unlink(missing_ok=True)


def test_temp_space_channel_reads_across_when_nothing_stops_it(host_temp_cleaned):
    """The temp_space_channel case proves something: two copies on the host's /dev/shm and /tmp find each other."""
    _case_scope("temp_space_channel", tag="first")
    second = _case_scope("temp_space_channel", tag="second")
    with pytest.raises(RuntimeError, match="read another student's note: .*dl3-channel-first"):
        second["stochastic_gradient_descent"](None, None, seed=2)


def test_module_channel_passes_arguments_when_nothing_stops_it(host_temp_cleaned):
    """The module_channel case proves something: what the gradient-descent module records, the other reads."""
    writer = _case_scope("module_channel")
    writer["gradient_descent"](None, None, lr=0.03, iterations=3000)
    reader = _case_scope("module_channel", "patch_regularization.py", vectorize_sequences=lambda *a: None,
                         best_epoch=lambda h: 1, NUM_WORDS=10)
    reader["_waited"].append(True)
    with pytest.raises(RuntimeError, match=r"LEAKED-BY-STUDENT gradient_descent\(lr=0.03, iterations=3000\)"):
        reader["vectorize_sequences"]([[1]])


def test_fill_shm_fills_the_host_when_nothing_stops_it(host_temp_cleaned):
    """The fill_shm case proves something: on the host's /dev/shm, its writes succeed."""
    assert _case_scope("fill_shm")["_fill"]("/dev/shm", most_mb=16) == 16
    assert len(leftovers(case_spec("fill_shm"))) == 2


def test_judge_command_line_names_no_hidden_test(tmp_path):
    from autograder.graded_tests import exercise_test_files
    from autograder.grade.supervisor.runner import _args_file

    files = exercise_test_files(GD, ROOT)
    assert any("hidden_tests" in str(f) for f in files)
    args = _args_file(files, tmp_path)
    assert len(args) == 1 and args[0].startswith("@") and "hidden" not in args[0]
    assert Path(args[0][1:]).read_text().split() == [str(f) for f in files]
