"""``python -m autograder gradebook``: Canvas and Moodle files from a real grade-batch class and a real
nbgrader course, read back by parsers written from the LMSs' own import rules.

The class: small gradient-descent-only submissions (no Keras training) graded for real by
``grade-batch``; one student regraded with ``--only`` and a one-second time limit, so that
their grading fails for real. The parsers below follow Canvas's importer
(instructure/canvas-lms ``app/models/gradebook_importer.rb``) and Moodle's CSV grade import
(moodle/moodle ``grade/import/csv/classes/load_data.php``), not the kit's writer; every
grade read back must equal the kit's results (``results.json``, or nbgrader's own export).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from autograder import batch
from autograder.specs import all_exercises, get_exercise
from tests.class_fixtures import seeded
from tests.class_fixtures.seeded import EXERCISE, KINDS
from tests.helpers.nbgrader_course import cells_by_id, make_course, nbgrader, read
from tests.helpers.kit import run_kit

GD = get_exercise(EXERCISE)
KIND = {kind.name: kind for kind in KINDS}
TOTAL = sum(e.points for e in all_exercises().values())   # a grade-batch result holds every exercise's checks
CLASS = {"alice": "reference", "bob": "sign_flipped", "chloe": "stub", "dave": "reference", "zed": "reference"}
# Canvas's "Student" (its sortable name), Canvas ID, SIS User ID, SIS Login ID (= the submission's folder name).
ROSTER = [("O'Brien, Seán \"Ace\"", "1001", "S-1001", "alice"),
          ("Bobson, Bob", "1002", "S-1002", "bob"),
          ("Ng, Chloe", "1003", "S-1003", "chloe"),
          ("Dupont, Dave", "1004", "S-1004", "dave"),          # graded, then regraded: the grader fails
          ("Frank; Frank, Jr.", "1005", "S-1005", "frank")]    # no submission; zed has no roster row
TEST_STUDENT = ("Student, Test", "1099", "", "")
CANVAS_TOTALS = ["Assignments Current Points", "Assignments Final Points", "Assignments Current Score",
                 "Assignments Unposted Current Score", "Assignments Final Score", "Assignments Unposted Final Score",
                 "Current Points", "Final Points", "Current Score", "Unposted Current Score", "Final Score",
                 "Unposted Final Score"]


def gradebook(*args: str):
    return run_kit("-m", "autograder", "gradebook", *map(str, args), timeout=600)


# ---------------------------------------------------------------------------- the LMSs' rules, read back


def canvas_decimal(field: str) -> str:
    """Canvas's ``decimal_comma_to_period`` converter: a pure number's last separator is its decimal point."""
    if not re.fullmatch(r"-?[0-9.,]+%?", field):
        return field
    parts = re.split(r"[,.]", field)
    last = parts.pop()
    return f"{''.join(parts)}.{last}" if parts else last


def canvas_reads(path: Path) -> dict:
    """What Canvas's gradebook importer reads from ``path``.

    The separator: ``;`` when it splits the first three lines into the same, larger number of
    fields; lines of only separators are skipped. The header starts ``Student``, ``ID``; then
    ``SIS Login ID``, or ``SIS User ID`` and ``SIS Login ID`` (and optionally ``Integration ID``,
    ``Root Account``); ``Section`` ends the student columns. Columns whose title holds a
    Canvas total are not assignments. A row whose first cell holds ``Points Possible`` gives the
    points; rows of ``Muted`` / ``Manual Posting`` cells are skipped; the others are students.
    """
    text = path.read_bytes().decode("utf-8-sig")
    first = text.splitlines()[:3]

    def fields(separator: str) -> int:
        sizes = {len(next(csv.reader([line], delimiter=separator))) for line in first}
        return sizes.pop() if len(sizes) == 1 else 0

    separator = ";" if fields(";") > fields(",") else ","
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=separator)
            if not re.fullmatch(r"[;, ]*", separator.join(r))]
    header = rows[0]
    assert "Student" in header[0] and "ID" in header[1], header
    count = 3
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        count += 1
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        count += 2 + bool(re.search(r"Integration\s+ID", header[4]))
        count += bool(re.search(r"Root\s+Account", header[count - 1]))
    assert "Section" in header[count - 1], header
    totals = re.compile("Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade|"
                        "Override Score|Override Grade|Override Status")
    assignments = {i: h for i, h in enumerate(header) if i >= count and not totals.search(h)}
    points, students = {}, {}
    for row in rows[1:]:
        if "Points Possible" in row[0]:
            points = {h: canvas_decimal(row[i]) for i, h in assignments.items()}
        elif not all(re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", c, re.IGNORECASE) for c in row):
            students[row[1]] = {h: canvas_decimal(row[i]).strip() for i, h in assignments.items()}
    return {"separator": separator, "header": header, "rows": rows, "points": points, "students": students}


def moodle_reads(path: Path, identifier: str, grade_column: str, feedback: str | None = None) -> dict:
    """What Moodle's CSV grade import reads, the user mapped from ``identifier`` and the grade from ``grade_column``.

    A line of one field is skipped; a blank identifier is not a user; a grade of ``''`` or ``-``
    is "no grade"; any other must be a number (a decimal comma allowed: ``unformat_float``).
    """
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    header = [h.strip() for h in rows[0]]
    who, grade = header.index(identifier), header.index(grade_column)
    read = {}
    for line in rows[1:]:
        if len(line) <= 1:
            continue
        assert line[who].strip(), f"a blank identifier: Moodle would give this grade to the previous row's user {line}"
        value = line[grade].strip()
        number = None if value in ("", "-") else float(value.replace(",", "."))
        read[line[who].strip()] = {"grade": number,
                                   "feedback": line[header.index(feedback)] if feedback else None}
    return read


# ---------------------------------------------------------------------------- fixture exports, shaped like Canvas's


def canvas_export(path: Path, *, sis_user_id: bool, separator: str, decimal_comma: bool, bom: bool, crlf: bool,
                  assignment: str | None, old_grades: dict[str, str]) -> None:
    """A gradebook export as Canvas's exporter writes one (lib/gradebook_exporter.rb).

    With ``assignment`` (manually posted) its column has a ``Manual Posting`` row; without, the
    quiz is muted (an older Canvas's ``Muted`` row).
    """
    def n(value: float) -> str:
        text = f"{value:.2f}"
        return text.replace(".", ",") if decimal_comma else text

    students = ["Student", "ID"] + (["SIS User ID"] if sis_user_id else []) + ["SIS Login ID", "Section"]
    assignments = ["Quiz 1 (101)"] + ([assignment] if assignment else [])
    lead = len(students) - 1
    rows = [students + assignments + CANVAS_TOTALS,
            [""] * (lead + 1) + ([""] if assignment else ["Muted"]) + ["Manual Posting"] * len(assignments[1:])
            + [""] * len(CANVAS_TOTALS),
            ["    Points Possible"] + [""] * lead + [n(10)] + [n(TOTAL)] * len(assignments[1:])
            + ["(read only)"] * len(CANVAS_TOTALS)]
    for name, canvas_id, sis, login in ROSTER + [TEST_STUDENT]:
        ids = [name, canvas_id] + ([sis] if sis_user_id else []) + [login, "Section 1"]
        rows.append(ids + [n(8.5)] + [old_grades.get(login, "")] * len(assignments[1:])
                    + [n(85.0)] * len(CANVAS_TOTALS))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))


# ---------------------------------------------------------------------------- the class, graded for real


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("gradebook")
    for student, kind in CLASS.items():
        seeded.make_submission(root / "subs" / student, KIND[kind], student)
    seeded.grade_batch(root / "subs", root / "out")
    before = {s: (root / "out" / s / batch.META).read_text() for s in CLASS}
    regrade = run_kit("-m", "autograder", "grade-batch", str(root / "subs"), "--out", str(root / "out"),
                      "--only", "dave", "--force", "--timeout", "1", timeout=600)
    assert regrade.returncode == 0, regrade.stderr
    assert "graded 0, skipped 0 (already graded), failed 1" in regrade.stdout
    return root, before


def kit_total(root: Path, student: str) -> float:
    return json.loads((root / "out" / student / batch.RESULTS).read_text())["score"]


@pytest.mark.slow
def test_only_regrades_the_students_named_and_a_failed_total_is_empty(graded_class):
    root, before = graded_class
    for student in CLASS:
        meta = (root / "out" / student / batch.META).read_text()
        assert (meta == before[student]) == (student != "dave"), student
        results = json.loads((root / "out" / student / batch.RESULTS).read_text())
        assert results["extra_data"]["dl3"]["users"] == [{"id": student}]   # grade-batch's --student
    failed = json.loads((root / "out" / "dave" / batch.RESULTS).read_text())
    assert "score" not in failed and "this is not your score" in failed["output"]
    with open(root / "out" / batch.GRADEBOOK) as fh:
        book = {row["student"]: row for row in csv.DictReader(fh)}
    assert book["dave"]["status"] == "timeout"
    assert book["dave"]["total"] == "" and all(book["dave"][e] == "" for e in all_exercises())
    for student in set(CLASS) - {"dave"}:
        assert float(book[student]["total"]) == kit_total(root, student) == seeded.expected_total(KIND[CLASS[student]])
    done = run_kit("-m", "autograder", "grade-batch", str(root / "subs"), "--out", str(root / "out"),
                   "--only", "alice,nobody")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "nobody" in done.stderr


def check_problems(stderr: str) -> None:
    """Every student without a grade in the file is named on stderr, and why."""
    assert re.search(r"no submission: Frank; Frank, Jr\. .*frank", stderr), stderr
    assert re.search(r"grader failure: dave.*timeout", stderr), stderr
    assert re.search(r"no roster row: zed \(total 22\)", stderr), stderr
    assert "test student" in stderr


@pytest.mark.slow
def test_canvas_export_with_sis_columns_comes_back_with_the_kit_totals(graded_class, tmp_path):
    root, _ = graded_class
    export = tmp_path / "export.csv"
    canvas_export(export, sis_user_id=True, separator=",", decimal_comma=False, bom=True, crlf=False,
                  assignment="Deep Learning 3 (4242)", old_grades={"dave": "31.00", "bob": "3.00"})
    done = gradebook(root / "out", "--format", "canvas", "--roster", export, "--assignment", "Deep Learning 3",
                     "--out", tmp_path / "import.csv")
    assert done.returncode == 1, done.stderr
    check_problems(done.stderr)
    out = (tmp_path / "import.csv").read_bytes()
    assert out.startswith(b"\xef\xbb\xbf") and b"\r\n" not in out
    before, after = canvas_reads(export), canvas_reads(tmp_path / "import.csv")
    assert after["separator"] == "," and after["header"] == before["header"]
    assert after["points"]["Deep Learning 3 (4242)"] == "62.00"
    column = after["header"].index("Deep Learning 3 (4242)")
    for old, new in zip(before["rows"], after["rows"]):   # every other cell is the export's
        assert old[:column] + old[column + 1:] == new[:column] + new[column + 1:]
    grades = {canvas_id: after["students"][canvas_id]["Deep Learning 3 (4242)"] for _, canvas_id, _, _ in ROSTER}
    for _, canvas_id, _, login in ROSTER:
        if login in ("alice", "bob", "chloe"):
            assert float(grades[canvas_id]) == kit_total(root, login), login
    assert grades["1004"] == "31.00"   # the grader failed: dave keeps what Canvas has
    assert grades["1005"] == ""        # frank handed nothing in
    assert after["students"]["1099"] == before["students"]["1099"]


@pytest.mark.slow
def test_semicolon_export_without_sis_user_id_gets_a_new_scaled_column(graded_class, tmp_path):
    root, _ = graded_class
    export = tmp_path / "export.csv"
    canvas_export(export, sis_user_id=False, separator=";", decimal_comma=True, bom=False, crlf=True,
                  assignment=None, old_grades={})
    done = gradebook(root / "out", "--format", "canvas", "--roster", export, "--assignment", "DL3",
                     "--points-possible", "100", "--out", tmp_path / "import.csv")
    assert done.returncode == 1, done.stderr
    check_problems(done.stderr)
    assert "Canvas will create a new assignment of that name" in done.stderr
    out = (tmp_path / "import.csv").read_bytes()
    assert not out.startswith(b"\xef\xbb\xbf") and out.count(b"\r\n") == out.count(b"\n")
    after = canvas_reads(tmp_path / "import.csv")
    assert after["separator"] == ";" and after["header"][-1] == "DL3"
    assert float(after["points"]["DL3"]) == 100
    raw = next(r for r in after["rows"] if r[1] == "1001")
    assert re.fullmatch(r"\d+(,\d+)?", raw[-1]), raw   # the export's decimal comma
    for _, canvas_id, _, login in ROSTER[:3]:
        assert float(after["students"][canvas_id]["DL3"]) == pytest.approx(kit_total(root, login) * 100 / TOTAL,
                                                                           abs=0.005)
    assert after["students"]["1004"]["DL3"] == after["students"]["1005"]["DL3"] == ""


@pytest.mark.slow
def test_canvas_points_that_disagree_with_the_kit_stop_the_run(graded_class, tmp_path):
    root, _ = graded_class
    export = tmp_path / "export.csv"
    canvas_export(export, sis_user_id=True, separator=",", decimal_comma=False, bom=False, crlf=False,
                  assignment="Deep Learning 3 (4242)", old_grades={})
    export.write_text(export.read_text().replace("62.00", "100.00"))
    done = gradebook(root / "out", "--format", "canvas", "--roster", export, "--assignment", "4242",
                     "--out", tmp_path / "import.csv")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "worth 100 points" in done.stderr and "--points-possible" in done.stderr
    assert not (tmp_path / "import.csv").exists()
    done = gradebook(root / "out", "--format", "canvas", "--roster", export, "--assignment", "4242",
                     "--match", "Email", "--out", tmp_path / "import.csv")
    assert done.returncode == 2 and "no column 'Email'" in done.stderr


@pytest.mark.slow
def test_moodle_file_matched_by_idnumber_with_feedback_of_visible_checks_only(graded_class, tmp_path):
    root, _ = graded_class
    export = tmp_path / "moodle-export.csv"   # Moodle's "Export → Plain text file" columns
    with open(export, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["First name", "Last name", "ID number", "Institution", "Department", "Email address",
                         "Assignment: DL3 (Real)", "Last downloaded from this course"])
        for name, _, _, login in ROSTER:
            last, first = name.split(", ", 1) if ", " in name else (name, "")
            writer.writerow([first, last, login, "Uni", "CS", f"{login}@uni.example", "-", "1700000000"])
    done = gradebook(root / "out", "--format", "moodle", "--roster", export, "--id-field", "idnumber",
                     "--feedback", "--assignment", "DL3", "--out", tmp_path / "moodle.csv")
    assert done.returncode == 1, done.stderr
    assert "no submission: ID number frank" in done.stderr and "grader failure: dave" in done.stderr
    assert "no roster row: zed" in done.stderr
    read = moodle_reads(tmp_path / "moodle.csv", "idnumber", "DL3", "Feedback")
    assert set(read) == {"alice", "bob", "chloe"}   # only users Moodle knows, and only graded ones
    for student, row in read.items():
        assert row["grade"] == kit_total(root, student)
        results = json.loads((root / "out" / student / batch.RESULTS).read_text())
        failed = [t["extra_data"]["check"] for t in results["tests"] if t["status"] != "passed"
                  and t["visibility"] == "visible" and t["extra_data"]["exercise"] == EXERCISE]
        assert all(f"{EXERCISE}.{check} (" in row["feedback"] for check in failed), (student, row["feedback"])
    assert read["alice"]["feedback"].startswith("Not handed in: regularization (17 points)")
    hidden = {c.name for c in GD.checks if c.hidden} - {c.name for c in GD.checks if not c.hidden}
    assert hidden and not any(name in (tmp_path / "moodle.csv").read_text() for name in hidden)


@pytest.mark.slow
def test_moodle_file_without_roster_is_every_graded_submission(graded_class, tmp_path):
    root, _ = graded_class
    done = gradebook(root / "out", "--format", "moodle", "--out", tmp_path / "moodle.csv")
    assert done.returncode == 1 and "grader failure: dave" in done.stderr, done.stderr
    read = moodle_reads(tmp_path / "moodle.csv", "username", "dl3")
    assert {s: r["grade"] for s, r in read.items()} == {s: kit_total(root, s) for s in CLASS if s != "dave"}


def test_a_folder_that_is_not_graded_cannot_run(tmp_path):
    done = gradebook(tmp_path, "--format", "moodle", "--out", tmp_path / "m.csv")
    assert done.returncode == 2 and done.stderr.startswith("error: ") and done.stderr.count("\n") == 1


# ---------------------------------------------------------------------------- an nbgrader course


@pytest.mark.slow
def test_nbgrader_course_grades_are_nbgraders_late_penalty_included(tmp_path):
    """Gradient descent handed in (regularization not): complete, sign-flipped, complete but late, and lost."""

    course = make_course(tmp_path / "course")
    for notebook in (course / "source" / "dl3").glob("*.ipynb"):
        if notebook.stem not in (EXERCISE, "regularization"):
            notebook.unlink()
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write("\nc.LateSubmissionPlugin.penalty_method = 'zero'\n")
    # (no comma in these names: nbgrader's own export writes them unquoted, and its CSV would shift)
    people = {"ana": ("Ana", "Núñez", "ana@uni.example"), "ben": ("Ben", "O'Hara", "ben@uni.example"),
              "cleo": ("Cleo", "Late", "cleo@uni.example"), "dan": ("Dan", "Lost", "dan@uni.example"),
              "eve": ("Eve", "Absent", "eve@uni.example")}
    for student, (first, last, email) in people.items():
        nbgrader(course, "db", "student", "add", student, "--first-name", first, "--last-name", last,
                 "--email", email)
    nbgrader(course, "db", "assignment", "add", "dl3", "--duedate", "2024-01-10 12:00:00 UTC")
    nbgrader(course, "generate_assignment", "dl3", "--force")
    source = read(course / "source" / "dl3" / f"{EXERCISE}.ipynb")
    flipped = json.loads(json.dumps(source))
    cell = cells_by_id(flipped)[f"{EXERCISE}-mse_gradients"]
    cell["source"] = "".join(cell["source"]).replace("dm = -2.0", "dm = 2.0").replace("db = -2.0", "db = 2.0")
    handed_in = {"ana": (source, "2024-01-09 10:00:00 UTC"), "ben": (flipped, "2024-01-09 11:00:00 UTC"),
                 "cleo": (source, "2024-01-11 09:00:00 UTC"), "dan": (source, "2024-01-09 12:00:00 UTC")}
    for student, (notebook, when) in handed_in.items():
        folder = course / "submitted" / student / "dl3"
        folder.mkdir(parents=True)
        (folder / f"{EXERCISE}.ipynb").write_text(json.dumps(notebook))
        (folder / "timestamp.txt").write_text(when)
    nbgrader(course, "autograde", "dl3", "--force")
    (course / "autograded" / "dan" / "dl3" / f"{EXERCISE}.ipynb").unlink()   # as if autograde never wrote it
    nbgrader(course, "export", "--to", str(tmp_path / "grades.csv"))
    with open(tmp_path / "grades.csv") as fh:
        exported = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert float(exported["cleo"]["late_submission_penalty"]) == GD.points and float(exported["cleo"]["score"]) == 0

    export = tmp_path / "canvas.csv"   # an existing gradient-descent column; regularization's is new
    with open(export, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "DL3: gradient_descent (501)",
                         "Current Score", "Final Score"])
        writer.writerow(["    Points Possible", "", "", "", "", f"{GD.points:.2f}", "(read only)", "(read only)"])
        for i, (student, (first, last, _)) in enumerate(people.items()):
            writer.writerow([f"{last}, {first}", str(2000 + i), f"S-{i}", student, "Section 1", "", "0", "0"])
    done = gradebook(course, "--format", "canvas", "--roster", export, "--assignment", "DL3",
                     "--columns", "exercises", "--out", tmp_path / "import.csv")
    assert done.returncode == 1, done.stderr
    assert "no submission: Absent, Eve" in done.stderr and re.search(r"grader failure: dan .*not autograded",
                                                                        done.stderr), done.stderr
    after = canvas_reads(tmp_path / "import.csv")
    assert after["points"] == {"DL3: gradient_descent (501)": "22.00", "DL3: regularization": "17"}
    got = {row[3]: after["students"][row[1]] for row in after["rows"][2:]}
    for student in ("ana", "ben", "cleo"):
        assert float(got[student]["DL3: gradient_descent (501)"]) == float(exported[student]["score"]), student
        assert float(got[student]["DL3: regularization"]) == 0   # handed in without that notebook
    assert float(got["ana"]["DL3: gradient_descent (501)"]) == GD.points
    assert float(got["ben"]["DL3: gradient_descent (501)"]) == seeded.expected_total(KIND["sign_flipped"])
    assert got["dan"]["DL3: gradient_descent (501)"] == "" and got["eve"]["DL3: gradient_descent (501)"] == ""

    done = gradebook(course, "--format", "moodle", "--id-field", "email", "--feedback", "--out", tmp_path / "m.csv")
    assert done.returncode == 1 and "grader failure: dan (Dan Lost <dan@uni.example>)" in done.stderr, done.stderr
    moodle = moodle_reads(tmp_path / "m.csv", "email", "dl3", "Feedback")
    assert {email: row["grade"] for email, row in moodle.items()} == {
        people[s][2]: float(exported[s]["score"]) for s in ("ana", "ben", "cleo")}
