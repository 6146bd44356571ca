"""A real browser proves it: headless Chromium (Debian's ``chromium`` and ``chromium-driver``,
driven by Selenium; nothing is downloaded) against JupyterLab on 127.0.0.1.

1. A student: the bundle unzipped and set up as its README says (Python 3.12's cached
   venv, see ``tests/student_venvs.py``), JupyterLab started from the bundle's folder,
   the gradient-descent notebook opened, a correct ``predict`` typed into its cell, Run
   All: the check prints its ✓ line and the next stub's check says "not implemented".
2. An instructor: JupyterLab started from the course root (a copy of the repo's course
   files); the formgrader lists assignment ``dl3``.

Screenshots go to ``$DL3_SCREENSHOT_DIR`` when set (else the test's temp folder).
Skipped only when Chromium or its driver is absent; ``.ci/run`` installs them.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.helpers.kit import ROOT
from tests.helpers.browser import NEEDS_CHROMIUM, jupyter_lab, screenshot, wait_for
from tests.helpers.student_kit import prepared_venv, setup_from_readme, unzip_bundle

pytestmark = [NEEDS_CHROMIUM, pytest.mark.slow, pytest.mark.browser]

NOTEBOOK_TEXT = "return document.querySelector('.jp-Notebook') ? document.querySelector('.jp-Notebook').textContent : ''"
PREDICT_EDITOR = """
const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell'));
const cell = cells.find(c => (c.querySelector('.cm-content') || {}).textContent?.startsWith('def predict('));
if (!cell) return null;
cell.scrollIntoView({block: 'center'});
return cell.querySelector('.cm-content');
"""


def test_student_runs_a_notebook_in_jupyterlab_from_the_bundle(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    kit = unzip_bundle(tmp_path / "kit")
    setup_from_readme(kit, prepared_venv("3.12"))
    with jupyter_lab(kit / ".venv" / "bin" / "jupyter", kit, tmp_path / "home") as (url, token):
        browser.get(f"{url}/lab/tree/release/dl3/gradient_descent.ipynb?token={token}")
        wait_for(browser, "return document.querySelector('.jp-Notebook-ExecutionIndicator[data-status=\"idle\"]')",
                 120, "the notebook's kernel to be idle")
        editor = wait_for(browser, PREDICT_EDITOR, 60, "the cell of `predict`")
        editor.click()
        editor.send_keys(Keys.CONTROL, "a")
        editor.send_keys("def predict(X, m, b): return m * X + b")
        editor.send_keys(Keys.ESCAPE)
        browser.find_element(By.XPATH, "//div[contains(@class,'lm-MenuBar-itemLabel') and text()='Run']").click()
        wait_for(browser, """return Array.from(document.querySelectorAll('.lm-Menu-item'))
                                .find(i => i.textContent.trim().startsWith('Run All Cells'));""",
                 20, "the Run menu's Run All Cells").click()
        text = wait_for(browser, f"""const t = (function() {{ {NOTEBOOK_TEXT} }})();
                        return t.includes('✗ mse_value') ? t : null;""", 240,
                        "Run All to reach the check of the next stub")
        browser.execute_script("""
            const cell = Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell'))
                .find(c => c.textContent.startsWith('[') && c.textContent.includes('def predict('));
            if (cell) cell.scrollIntoView({block: 'start'});""")
        shot = screenshot(browser, tmp_path, "student-gradient-descent")
    assert "✓ predict_values passed (1 point)" in text, shot
    assert "✗ mse_value: not implemented (0 of 1 point)" in text and "`mse`" in text
    assert "ModuleNotFoundError" not in text and "notebook_checks.py" not in text


COURSE_FILES = ["autograder", "exercises", "hidden_tests", "source", "release", "nbgrader_config.py", "pyproject.toml"]


def test_instructor_sees_the_assignment_in_the_formgrader(browser, tmp_path):
    course = tmp_path / "course"
    for name in COURSE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, course / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            course.mkdir(exist_ok=True)
            shutil.copy(source, course / name)
    jupyter = Path(sys.executable).parent / "jupyter"
    with jupyter_lab(jupyter, course, tmp_path / "home") as (url, token):
        browser.get(f"{url}/formgrader?token={token}")
        rows = wait_for(browser, """
            const rows = Array.from(document.querySelectorAll('table tr')).map(r => r.innerText.trim());
            return rows.some(r => r.startsWith('dl3')) ? rows : null;""", 90, "assignment dl3 in the formgrader")
        shot = screenshot(browser, tmp_path, "instructor-formgrader")
        page = browser.find_element("tag name", "body").text
    assert any(r.split()[0] == "dl3" for r in rows if r), (rows, shot)
    assert "Sorry, the formgrader encountered an error" not in page
