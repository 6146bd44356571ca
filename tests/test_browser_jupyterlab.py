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

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_student_route import prepared_venv, setup_from_readme, unzip_bundle

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1000"]
# JupyterLab settings for a test: no windowed notebook (every cell stays in the page), no news fetch.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}

pytestmark = pytest.mark.skipif(not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()),
                                reason="Debian's chromium and chromium-driver are not installed "
                                       "(apt-get install chromium chromium-driver; .ci/run does)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolated_jupyter_env(home: Path) -> dict[str, str]:
    """Jupyter's user config, data, runtime and settings folders in ``home``; TensorFlow quiet."""
    settings = home / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("PYTHONPATH", None)
    return env


@contextmanager
def jupyter_lab(jupyter: Path, cwd: Path, home: Path):
    """JupyterLab on 127.0.0.1 with a token, started from ``cwd``; yields its base URL and token.

    The venv's ``bin`` goes first on PATH, as the README says (nbgrader runs ``alembic`` from PATH).
    """
    port, token = free_port(), secrets.token_hex(16)
    env = isolated_jupyter_env(home)
    env["PATH"] = f"{jupyter.parent}{os.pathsep}{env.get('PATH', '')}"
    log = (home / "jupyter.log").open("w")
    server = subprocess.Popen([str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                               f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0"]
                              + (["--allow-root"] if os.geteuid() == 0 else []),
                              cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("JupyterLab did not start:\n" + (home / "jupyter.log").read_text()[-3000:])
                time.sleep(0.5)
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def browser(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROME_FLAGS + [f"--user-data-dir={tmp_path / 'chrome-profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(90)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver, tmp_path: Path, name: str) -> Path:
    folder = Path(os.environ.get("DL3_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def wait_for(driver, script: str, timeout: float, what: str):
    """Poll the page's JavaScript ``script`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


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
