"""Fixtures every test file may use (a pytest plugin loaded by ``tests/conftest.py``)."""

from __future__ import annotations

import pytest


@pytest.fixture
def no_data_anywhere(tmp_path, monkeypatch):
    """An environment where every place the data layer looks is empty."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(home / "scikit_learn_data"))
    monkeypatch.delenv("DL3_DATA_DIR", raising=False)
    # Port 9 (discard) on loopback refuses connections: a download fails at once, online or not.
    monkeypatch.setenv("DL3_KERAS_ORIGIN", "http://127.0.0.1:9/")
    return home


@pytest.fixture
def browser(tmp_path):
    """A headless Chromium driven by Selenium (``tests/helpers/browser.py``), quit after the test."""
    from tests.helpers.browser import chrome

    driver = chrome(tmp_path)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def catalogue_graded(tmp_path_factory) -> dict[str, dict]:
    """Every entry of the bad-submission catalogue graded once by ``python -m autograder grade``, for every
    test that reads those gradings (``test_grade_catalogue.py``, ``test_differential.py``)."""
    from tests.helpers.catalogue import grade_catalogue

    return grade_catalogue(tmp_path_factory.mktemp("catalogue"))
