"""The class report: a synthetic class with seeded mistakes graded for real by ``grade-batch``,
a small nbgrader course after a real ``nbgrader autograde``, and the page in headless Chromium.

The expected figures come from the seeded class (``tests/class_fixtures/seeded.py``: which
checks each kind of submission fails, with which mistake), never from the report's code.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from collections import Counter

import pytest

from autograder.specs import describe_mistake
from autograder.checks.upstream import UPSTREAM_MISTAKES
from autograder.report import ReportError, build_report, read_class
from autograder.report.anonymise import STUDENT, anonymise, example
from autograder.report.figures import histogram
from autograder.report.from_batch import read_batch
from autograder.specs import get_exercise
from tests.class_fixtures import seeded
from tests.class_fixtures.seeded import EXERCISE, KINDS
from tests.helpers.nbgrader_course import cells_by_id, make_course, nbgrader, read
from tests.helpers.kit import ROOT, run_kit
from tests.helpers.browser import NEEDS_CHROMIUM, screenshot

GD = get_exercise(EXERCISE)


# ---------------------------------------------------------------------------- pieces, no grading


def test_anonymise_replaces_the_id_and_cuts_paths_but_not_fractions():
    text = ('could not import /tmp/dl3-batch-x/Kim_Lee/gradient_descent.py: kim_lee wrote this; '
            'C:\\Users\\kim_lee\\gd.py; ratio 1/2 and m / b; kim_leeway stays')
    clean = anonymise(text, "kim_lee")
    assert clean == (f"could not import gradient_descent.py: {STUDENT} wrote this; gd.py; ratio 1/2 and m / b; "
                     "kim_leeway stays")
    assert anonymise(text, "someone_else").count("kim_lee") == 2   # only the student's own id is replaced


def test_example_is_the_most_common_message_then_the_shortest():
    assert example(["b", "a long one", "a long one", "b", "c"]) == "b"
    assert example(["x", "y", "y"]) == "y"
    assert example([]) == ""


def test_histogram_bins_hold_every_value_and_the_maximum():
    bins = histogram([0, 0.5, 3, 22, 22], 22)
    assert [b["from"] for b in bins] == list(range(23))
    assert sum(b["count"] for b in bins) == 5 and bins[22]["count"] == 2 and bins[0]["count"] == 2
    wide = histogram([61, 62, 0], 62)
    assert sum(b["count"] for b in wide) == 3 and wide[-1]["from"] <= 62 < wide[-1]["to"]


def test_results_without_mistake_fields_are_still_read(tmp_path):
    """Results written before the kit named mistakes: exercise from the tag, check from the name."""
    folder = tmp_path / "out" / "old_student"
    folder.mkdir(parents=True)
    tests = [{"name": "2. Gradient descent on California housing — mse_value: mse matches the definition",
              "score": 0.0, "max_score": 1.0, "status": "failed", "output": "not implemented yet: `mse`",
              "tags": ["gradient_descent"]},
             {"name": "2. Gradient descent on California housing — gd_converges: converges", "score": 2.0,
              "max_score": 2.0, "status": "passed", "output": "", "tags": ["gradient_descent", "hidden"]}]
    (folder / "results.json").write_text(json.dumps({"score": 2.0, "tests": tests}))
    (folder / "meta.json").write_text(json.dumps({"student": "old_student", "digest": "d", "status": "graded"}))
    rows = read_batch(tmp_path / "out").rows
    assert [(r.check, r.hidden, r.passed, r.failure, r.mistake) for r in rows] == [
        ("mse_value", False, False, "not_implemented", None), ("gd_converges", True, True, None, None)]


def graded_by_hand(out, student: str, name: str, email: str) -> None:
    """A grade-batch folder whose one failed check's message holds the student's name and email."""
    folder = out / student
    folder.mkdir(parents=True)
    test = {"name": f"{GD.title} — mse_value", "score": 0.0, "max_score": 1.0, "status": "failed",
            "output": f"mse raised RuntimeError: {name} <{email}> has not finished mse", "tags": [EXERCISE],
            "extra_data": {"exercise": EXERCISE, "check": "mse_value", "hidden": False, "failure": "crash",
                           "mistake": f"{EXERCISE}.mse_value.crash"}}
    users = [{"id": student, "name": name, "email": email}]
    (folder / "results.json").write_text(json.dumps({"score": 0.0, "tests": [test],
                                                     "extra_data": {"dl3": {"users": users}}}))
    (folder / "meta.json").write_text(json.dumps({"student": student, "digest": "d", "status": "graded"}))


def test_examples_leave_out_the_names_and_emails_the_grading_recorded(tmp_path):
    graded_by_hand(tmp_path, "s1", "Kim Lee", "Kim.Lee@uni.example")
    graded_by_hand(tmp_path, "s2", "Bo Ng", "bo.ng@uni.example")
    report = build_report(read_batch(tmp_path))
    assert [m["example"] for m in report["mistakes"]] == [
        f"mse raised RuntimeError: {STUDENT} <{STUDENT}> has not finished mse"]
    assert "Kim" not in json.dumps(report) and "bo.ng" not in json.dumps(report)


def test_without_out_the_report_goes_into_the_graded_folder(tmp_path):
    graded_by_hand(tmp_path / "class", "s1", "Kim Lee", "kim.lee@uni.example")
    done = run_kit("-m", "autograder", "class-report", str(tmp_path / "class"))
    assert done.returncode == 0, done.stderr
    assert f"writing the report into {tmp_path / 'class' / 'report'}" in done.stdout
    assert (tmp_path / "class" / "report" / "report.html").is_file()
    graded_by_hand(tmp_path / "odd", "report", "Rep Ort", "rep@uni.example")   # a student named "report"
    done = run_kit("-m", "autograder", "class-report", str(tmp_path / "odd"))
    assert done.returncode == 2 and "pass --out" in done.stderr


def test_a_folder_that_is_neither_says_so_in_one_line(tmp_path):
    with pytest.raises(ReportError, match="neither a grade-batch output directory"):
        read_class(tmp_path, "dl3")
    done = run_kit("-m", "autograder", "class-report", str(tmp_path), "--out", str(tmp_path / "r"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "error:" in done.stderr
    (tmp_path / "bad.json").write_text("[]")
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "meta.json").write_text("{}")
    done = run_kit("-m", "autograder", "class-report", str(tmp_path), "--out", str(tmp_path / "r"),
                   "--previous", str(tmp_path / "bad.json"))
    assert done.returncode == 2 and "is not a class report's report.json" in done.stderr


# ---------------------------------------------------------------------------- the seeded class, graded for real


@pytest.fixture(scope="module")
def seeded_class(tmp_path_factory):
    """31 submissions graded by ``grade-batch``, two fabricated grader failures, and the report."""
    root = tmp_path_factory.mktemp("class")
    students = seeded.make_class(root / "subs", KINDS)
    seeded.grade_batch(root / "subs", root / "out")
    failures = seeded.fake_failures(root / "out", like="sign_flipped_1")
    report = seeded.class_report(root / "out", root / "report")
    return root, students, failures, report


@pytest.mark.slow
def test_every_student_is_graded_or_set_apart(seeded_class):
    _, students, failures, report = seeded_class
    assert set(report["students"]) == set(students) | set(failures)
    assert {f["student"] for f in report["grader_failures"]} == set(failures)
    assert report["totals"]["students"] == len(students)


@pytest.mark.slow
def test_each_check_pass_rate_and_failure_kinds_equal_the_seeded_class(seeded_class):
    _, students, _, report = seeded_class
    expected = seeded.expected_checks(students)
    got = {c["check"]: c for c in report["checks"] if c["exercise"] == EXERCISE}
    assert list(got) == [c.name for c in GD.checks]
    for check, want in expected.items():
        assert (got[check]["students"], got[check]["passed"], got[check]["failures"]) == \
            (want["students"], want["passed"], want["failures"]), check
        assert got[check]["pass_rate"] == pytest.approx(want["passed"] / want["students"])
        assert got[check]["hidden"] == GD.check(check).hidden


@pytest.mark.slow
def test_each_named_mistake_count_equals_the_seeded_class(seeded_class):
    _, students, _, report = seeded_class
    got = {m["id"]: m["students"] for m in report["mistakes"]}
    assert got == seeded.expected_mistakes(students)
    for consequence in (False, True):   # the students' own mistakes first, then the consequences
        counts = [m["students"] for m in report["mistakes"] if m["consequence"] == consequence]
        assert counts == sorted(counts, reverse=True)
    flags = [m["consequence"] for m in report["mistakes"]]
    assert flags == sorted(flags) and any(flags), "the seeded class's wrong gradients have consequences"
    assert all(m["consequence"] == (m["name"] in UPSTREAM_MISTAKES) for m in report["mistakes"])
    for mistake in report["mistakes"]:
        assert mistake["description"] == describe_mistake(mistake["id"]) != "", mistake["id"]
        assert mistake["hidden"] == GD.check(mistake["check"]).hidden
        assert mistake["example"]


@pytest.mark.slow
def test_totals_and_points_are_the_seeded_ones_and_failures_count_nowhere(seeded_class):
    _, students, failures, report = seeded_class
    for student, kind in students.items():
        row = report["students"][student]
        assert row["total"] == seeded.expected_total(kind), student
        assert row["exercises"][EXERCISE]["submitted"] == (kind.source != "none")
    for student in failures:   # a whole grading (grader_error) or its gradient-descent part (part_failure)
        assert report["students"][student]["total"] is None
        assert student not in json.dumps(report["scored_nothing"][EXERCISE])
        assert all(r["student"] != student for r in report["rows"] if r["exercise"] == EXERCISE)
    assert all(r["student"] != "grader_error" for r in report["rows"])
    totals = [seeded.expected_total(k) for k in students.values()]
    assert sum(b["count"] for b in report["totals"]["histogram"]) == len(students)
    assert report["totals"]["mean"] == pytest.approx(sum(totals) / len(totals), abs=1e-4)
    part = report["exercises"][EXERCISE]
    handed_in = [seeded.expected_total(k) for k in students.values() if k.source != "none"]
    assert part["students"] == len(handed_in) and part["not_submitted"] == len(students) - len(handed_in)
    assert Counter(b["from"] for b in part["histogram"] for _ in range(b["count"])) == Counter(handed_in)


@pytest.mark.slow
def test_time_limits_crashes_and_who_scored_nothing(seeded_class):
    _, students, _, report = seeded_class
    expected = {}
    for check, want in seeded.expected_checks(students).items():
        if want["failures"].get("time_limit") or want["failures"].get("crash"):
            expected[check] = (want["failures"].get("time_limit", 0), want["failures"].get("crash", 0))
    assert {c["check"]: (c["time_limit"], c["crash"]) for c in report["limits_and_crashes"]} == expected
    nothing = report["scored_nothing"][EXERCISE]
    assert nothing["not_submitted"] == sorted(s for s, k in students.items() if k.source == "none")
    assert nothing["submitted_zero"] == sorted(s for s, k in students.items()
                                               if k.source != "none" and seeded.expected_total(k) == 0)


@pytest.mark.slow
def test_example_messages_name_nobody(seeded_class):
    root, students, failures, report = seeded_class
    examples = [m["example"] for m in report["mistakes"]]
    pages = [(root / "report" / name).read_text() for name in ("report.html", "mistakes.csv")]
    for student in list(students) + list(failures):
        assert not any(re.search(rf"\b{re.escape(student)}\b", text) for text in examples), student
    named = [m for m in report["mistakes"] if m["id"] == f"{EXERCISE}.mse_value.crash"]
    assert f"{STUDENT} has not finished mse" in named[0]["example"]
    assert "/home/" not in "".join(examples) and "names_itself_1 has" not in "".join(pages)


@pytest.mark.slow
def test_page_is_self_contained_with_a_plot_per_distribution(seeded_class):
    root, students, _, report = seeded_class
    page = (root / "report" / "report.html").read_text()
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert set(re.findall(r"https?://[^\"' )]+", page)) <= {"http://www.w3.org/2000/svg"}
    plots = re.findall(r"<svg class=\"histogram\".*?</svg>", page, re.S)
    assert len(plots) == 1 + sum(1 for e in report["exercises"].values() if e["students"])
    counts = [sum(int(n) for n in re.findall(r'data-count="(\d+)"', plot)) for plot in plots]
    assert counts[0] == len(students) and counts[1] == report["exercises"][EXERCISE]["students"]


@pytest.mark.slow
def test_csvs_hold_the_same_figures(seeded_class):
    root, _, _, report = seeded_class

    def read(name):
        with open(root / "report" / name, newline="") as fh:
            return list(csv.DictReader(fh))

    checks = read("checks.csv")
    assert [(r["check"], int(r["passed"]), int(r["students"])) for r in checks] == \
        [(c["check"], c["passed"], c["students"]) for c in report["checks"]]
    assert [(r["id"], int(r["students"])) for r in read("mistakes.csv")] == \
        [(m["id"], m["students"]) for m in report["mistakes"]]
    scores = {r["student"]: r for r in read("scores.csv")}
    for student, row in report["students"].items():
        assert scores[student]["total"] == ("" if row["total"] is None else f"{row['total']:g}")
    assert {r["student"] for r in read("grader_failures.csv")} == {f["student"] for f in report["grader_failures"]}


@pytest.mark.slow
def test_previous_report_shows_who_was_regraded_and_what_moved(seeded_class, tmp_path):
    root, students, failures, first = seeded_class
    subs, out = tmp_path / "subs", tmp_path / "out"
    shutil.copytree(root / "subs", subs)
    shutil.copytree(root / "out", out)
    fixed = ["sign_flipped_1", "sign_flipped_2"]
    for student in fixed:   # they correct their gradient and hand in again
        shutil.copyfile(ROOT / "solutions" / f"{EXERCISE}.py", subs / student / f"{EXERCISE}.py")
    shutil.rmtree(subs / "reference_8")
    shutil.rmtree(out / "reference_8")
    seeded.make_submission(subs / "late_1", KINDS[0], "late_1")
    done = seeded.grade_batch(subs, out)
    assert "graded 3, skipped" in done.stdout
    report = seeded.class_report(out, tmp_path / "report", "--previous", str(root / "report" / "report.json"))
    changes = report["changes"]
    assert changes["regraded"] == fixed
    assert (changes["new_students"], changes["removed_students"]) == (["late_1"], ["reference_8"])
    assert changes["totals_moved"] == [{"student": s, "before": first["students"][s]["total"], "after": GD.points}
                                       for s in fixed]
    now = {**students, "late_1": KINDS[0]}
    del now["reference_8"]
    for student in fixed:
        now[student] = KINDS[0]
    before, after = seeded.expected_mistakes(students), seeded.expected_mistakes(now)
    moved = {m["id"]: (m["before"], m["after"]) for m in changes["mistakes_moved"]}
    assert moved == {i: (before.get(i, 0), after.get(i, 0)) for i in set(before) | set(after)
                     if before.get(i, 0) != after.get(i, 0)}
    rates = {m["id"]: m for m in changes["pass_rates_moved"]}
    assert f"{EXERCISE}.gradients_numerical" in rates and f"{EXERCISE}.predict_values" not in rates
    page = (tmp_path / "report" / "report.html").read_text()
    assert 'id="changes"' in page and "late_1" in page


# ---------------------------------------------------------------------------- an nbgrader course


@pytest.mark.slow
def test_nbgrader_course_report_counts_the_seeded_notebooks(tmp_path):
    """Two notebooks in the assignment; the students hand in gradient descent only (nothing else runs)."""

    course = make_course(tmp_path / "course")
    for notebook in (course / "source" / "dl3").glob("*.ipynb"):
        if notebook.stem not in (EXERCISE, "regularization"):
            notebook.unlink()
    nbgrader(course, "generate_assignment", "dl3", "--force")
    source = read(course / "source" / "dl3" / f"{EXERCISE}.ipynb")
    release = read(course / "release" / "dl3" / f"{EXERCISE}.ipynb")
    flipped = json.loads(json.dumps(source))
    cell = cells_by_id(flipped)[f"{EXERCISE}-mse_gradients"]
    text = "".join(cell["source"])
    assert "dm = -2.0 * np.mean(X * residual)" in text
    cell["source"] = text.replace("dm = -2.0", "dm = 2.0").replace("db = -2.0", "db = 2.0")
    notebooks = {"complete": source, "flipped": flipped, "untouched": release, "lost": source}
    for student, notebook in notebooks.items():
        folder = course / "submitted" / student / "dl3"
        folder.mkdir(parents=True)
        (folder / f"{EXERCISE}.ipynb").write_text(json.dumps(notebook))
    nbgrader(course, "autograde", "dl3", "--force")
    (course / "autograded" / "lost" / "dl3" / f"{EXERCISE}.ipynb").unlink()   # as if autograde never wrote it
    report = seeded.class_report(course, tmp_path / "report")

    assert report["source"] == "nbgrader"
    assert [(f["student"], f["exercise"]) for f in report["grader_failures"]] == [("lost", EXERCISE)]
    assert report["students"]["lost"]["total"] is None and report["totals"]["students"] == 3
    scores = {s: r["exercises"][EXERCISE]["points"] for s, r in report["students"].items() if s != "lost"}
    assert scores == {"complete": GD.points, "flipped": seeded.expected_total(KINDS[1]), "untouched": 0}
    assert report["scored_nothing"] == {
        EXERCISE: {"not_submitted": [], "submitted_zero": ["untouched"]},
        "regularization": {"not_submitted": sorted(notebooks), "submitted_zero": []}}
    checks = {c["check"]: c for c in report["checks"] if c["exercise"] == EXERCISE}
    for check in GD.checks:
        flipped_fails = check.name in KINDS[1].failed
        assert (checks[check.name]["students"], checks[check.name]["passed"]) == (3, 2 - flipped_fails), check.name
        assert checks[check.name]["failures"] == Counter(
            ["not_implemented"] + (["wrong_answer"] if flipped_fails else [])), check.name
    assert {m["id"]: m["students"] for m in report["mistakes"]} == seeded.expected_mistakes({"flipped": KINDS[1]})


# ---------------------------------------------------------------------------- in a browser


@NEEDS_CHROMIUM
@pytest.mark.slow
@pytest.mark.browser
def test_browser_shows_the_histograms_and_the_ranked_mistakes(seeded_class, browser, tmp_path):
    root, students, _, report = seeded_class
    driver = browser   # headless Chromium, as the JupyterLab tests drive it
    driver.set_window_size(1300, 1500)
    driver.get((root / "report" / "report.html").as_uri())
    bars = driver.execute_script("""
        return Array.from(document.querySelectorAll('svg.histogram')).map(svg => {
            const box = svg.getBoundingClientRect();
            const bars = Array.from(svg.querySelectorAll('rect.bar'));
            return {width: box.width, height: box.height,
                    shown: bars.filter(b => b.getBoundingClientRect().height > 0).length,
                    students: bars.reduce((n, b) => n + Number(b.dataset.count), 0)};
        });""")
    ranked = driver.execute_script("""
        return Array.from(document.querySelectorAll('#mistakes-table tbody tr')).map(r => {
            const cells = r.querySelectorAll('td');
            return {id: cells[1].innerText.split('\\n')[0].replace('hidden', '').trim(),
                    students: Number(cells[2].innerText), shown: r.getBoundingClientRect().height > 0};
        });""")
    shot = screenshot(driver, tmp_path, "class-report")
    if os.environ.get("DL3_SCREENSHOT_DIR"):   # the full page too, for the docs
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1300, height)
        screenshot(driver, tmp_path, "class-report-full")
    assert bars[0]["width"] > 300 and bars[0]["height"] > 150, shot
    assert bars[0]["students"] == len(students) and all(b["shown"] > 0 for b in bars), (bars, shot)
    assert [r["students"] for r in ranked] == sorted((r["students"] for r in ranked), reverse=True), shot
    own = [(m["id"], m["students"]) for m in report["mistakes"] if not m["consequence"]]
    assert [(r["id"], r["students"]) for r in ranked] == own
    assert all(r["shown"] for r in ranked)
    consequences = driver.execute_script(
        "return document.querySelectorAll('#consequences-table tbody tr').length")
    assert consequences == sum(m["consequence"] for m in report["mistakes"]) > 0
