"""The sandbox's proxy and codec: values cross the boundary faithfully, state comes back, and the
student's process cannot import the reference or the hidden tests.

Each test runs a small judge script in a fresh interpreter (the sandbox makes its process
a child subreaper, which the kit's own test process should not become).
"""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.helpers.kit import run_kit

STUDENT = '''
import os, sys
import numpy as np

def echo(value):
    return value

def draw(rng):
    return rng.integers(0, 1_000_000, size=5)

def mutate(items, array):
    items.append("added")
    array[0] = 99.0

def same(value):
    return value

def unsendable():
    return lambda: 1

def legacy_random():
    return int(np.random.randint(1_000_000))

def can_import(name):
    try:
        __import__(name)
        return True
    except BaseException:
        return False

def where():
    return {"cwd": os.getcwd(), "isolated": bool(sys.flags.isolated), "path": list(sys.path)}

def not_yet():
    raise NotImplementedError

def typed_error():
    raise KeyError("no such key")
'''

JUDGE = '''
import json, math, sys
from pathlib import Path
import numpy as np
from autograder.grade.limits import Limits
from autograder.grade.judge.manager import SandboxManager, StudentException
from autograder.grade.judge.proxy import SubmissionProxy
from autograder.checks.values import CheckFailure

target = Path(sys.argv[1])
manager = SandboxManager(target, Limits(time_limit=60, memory_mb=2048))
manager.begin_test()
s = SubmissionProxy(manager, "gradient_descent")
out = {}
values = [1, 2.5, float("nan"), float("inf"), "text", None, True, (1, (2, [3, {4: "four", "k": (5,)}])),
          np.float64(1.5), np.int64(7), np.arange(6, dtype=np.float32).reshape(2, 3), np.array(["a", "bc"])]
for i, value in enumerate(values):
    back = s.echo(value)
    if isinstance(value, np.ndarray):
        ok = isinstance(back, np.ndarray) and back.dtype == value.dtype and np.array_equal(back, value)
    elif isinstance(value, float) and math.isnan(value):
        ok = isinstance(back, float) and math.isnan(back)
    else:
        ok = type(back) is type(value) and back == value
    out[f"echo_{i}"] = ok
objects = np.empty(2, dtype=object)
objects[:] = [[1, 2, 3], [4]]
back = s.echo(objects)
out["echo_object_array"] = back.dtype == object and [list(x) for x in back] == [[1, 2, 3], [4]]

rng = np.random.default_rng(3)
first, second = s.draw(rng), s.draw(rng)
replay = np.random.default_rng(3)
out["generator_advances"] = not np.array_equal(first, second)
out["generator_matches_local"] = (np.array_equal(first, replay.integers(0, 1_000_000, size=5))
                                  and np.array_equal(second, replay.integers(0, 1_000_000, size=5)))
out["generator_state_written_back"] = rng.bit_generator.state == replay.bit_generator.state

items, array = ["a"], np.zeros(3)
s.mutate(items, array)
out["list_written_back"] = items == ["a", "added"]
out["array_written_back"] = array[0] == 99.0
same = ["x"]
out["identity_kept"] = s.same(same) is same
value = s.unsendable()
out["opaque_type_name"] = type(value).__name__
np.random.seed(5)
out["legacy_random_forwarded"] = s.legacy_random() == np.random.RandomState(5).randint(1_000_000)
out["imports"] = {name: s.can_import(name) for name in
                  ("solutions", "solutions.gradient_descent", "hidden_tests", "autograder.grade",
                   "autograder.grade.judge.manager", "autograder.checks", "numpy")}
info = s.where()
out["cwd_outside_kit"] = not info["cwd"].startswith(str(Path.cwd()))
out["isolated"] = info["isolated"]
try:
    s.not_yet()
except NotImplementedError as exc:
    out["not_implemented"] = exc.__traceback__ is not None
try:
    s.typed_error()
except StudentException as exc:
    out["typed_error"] = [type(exc).__name__, str(exc)]
try:
    s.no_such_function
except CheckFailure as exc:
    out["missing_function"] = str(exc).splitlines()[0]
manager.end_test()
manager.close()
print("RESULT " + json.dumps(out, default=lambda v: v.item() if hasattr(v, "item") else str(v)))
'''


@pytest.mark.slow
def test_values_cross_the_sandbox_faithfully_and_state_comes_back(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    (target / "gradient_descent.py").write_text(textwrap.dedent(STUDENT))
    done = run_kit("-c", JUDGE, str(target), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.split("RESULT ", 1)[1])
    echo = {k: v for k, v in out.items() if k.startswith("echo_")}
    assert all(echo.values()), echo
    for key in ("generator_advances", "generator_matches_local", "generator_state_written_back",
                "list_written_back", "array_written_back", "identity_kept", "legacy_random_forwarded",
                "cwd_outside_kit", "isolated", "not_implemented"):
        assert out[key] is True, (key, out)
    assert out["opaque_type_name"] == "function"
    assert out["imports"] == {"solutions": False, "solutions.gradient_descent": False, "hidden_tests": False,
                              "autograder.grade": False, "autograder.grade.judge.manager": False,
                              "autograder.checks": True, "numpy": True}
    assert out["typed_error"][0] == "KeyError" and out["typed_error"][1].startswith("'no such key'  [line ")
    assert out["missing_function"] == "gradient_descent.py has no function `no_such_function`"
