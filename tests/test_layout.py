"""The grading engine's layout by process (docs/grading.md): who may import whom, and where env vars are read.

- ``grade/supervisor/`` and ``grade/judge/`` never import each other;
- the child's modules (``grade/child/`` but ``source.py``, which assembles them) and
  ``memory_hooks.py`` import nothing of the kit: their text is pasted into the child's program;
- only ``autograder/config.py`` reads the environment's ``DL3_*`` variables or spells their names.
- the supervisor, the specs and a grading of the gradient-descent exercise import no TensorFlow (Keras is
  imported lazily, where a check builds or compares a model).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.helpers.kit import ROOT, run_kit

GRADE = ROOT / "autograder" / "grade"
PASTED = sorted(p for p in (GRADE / "child").glob("*.py") if p.name not in ("__init__.py", "source.py")) + \
    [ROOT / "autograder" / "memory_hooks.py"]


def kit_imports(path: Path) -> set[str]:
    """Every ``autograder...`` module that ``path`` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("autograder")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("autograder"):
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found


@pytest.mark.parametrize("folder, forbidden", [("supervisor", "autograder.grade.judge"),
                                               ("judge", "autograder.grade.supervisor")])
def test_supervisor_and_judge_never_import_each_other(folder, forbidden):
    offenders = {p.name: sorted(i for i in kit_imports(p) if i.startswith(forbidden))
                 for p in sorted((GRADE / folder).glob("*.py"))}
    assert not {k: v for k, v in offenders.items() if v}


@pytest.mark.parametrize("path", PASTED, ids=lambda p: p.name)
def test_pasted_modules_import_nothing_of_the_kit(path):
    assert not kit_imports(path), f"{path.name} is pasted into the child, which cannot import the kit"


def test_the_child_program_holds_every_pasted_module():
    from autograder.grade.child.source import child_program

    program = child_program(memory_bytes=2**30, cpu_seconds=60, file_bytes=2**20, temp_mb=64, user=None, parent=1)
    compile(program, "child", "exec")
    for path in PASTED:
        first_def = next(n for n in ast.parse(path.read_text()).body if isinstance(n, (ast.FunctionDef, ast.ClassDef)))
        assert f"{'class' if isinstance(first_def, ast.ClassDef) else 'def'} {first_def.name}" in program, path.name


def test_only_config_reads_the_kits_environment_variables():
    spelled = re.compile(r"[\"']DL3_[A-Z_]+[\"']")
    offenders = [f"{p.relative_to(ROOT)}: {m}" for p in sorted((ROOT / "autograder").rglob("*.py"))
                 if p.name != "config.py" for m in spelled.findall(p.read_text())]
    assert not offenders


# Imports the supervisor and the judge, every spec and its model specs, then runs the gradient-descent
# exercise's checks (visible and hidden) as the judge runs them, in-process: no TensorFlow may load.
NO_TENSORFLOW = """
import importlib, pkgutil, sys
import pytest
for package in ("autograder.grade.supervisor", "autograder.grade.judge"):
    for found in pkgutil.iter_modules(importlib.import_module(package).__path__):
        importlib.import_module(package + "." + found.name)
from autograder.specs import all_exercises
from autograder.specs.cifar_cnn import cifar_model_spec
from autograder.specs.mnist_cnn import cnn_model_spec, dense_model_spec
from autograder.specs.regularization import dense_stack_spec
all_exercises()
specs = [cifar_model_spec(), cnn_model_spec((2, 2)), dense_model_spec(), dense_stack_spec(16, dropout_rate=0.5)]
code = pytest.main(["-q", "exercises/test_gradient_descent.py", "hidden_tests/test_gradient_descent_hidden.py",
                    "--target", "solutions"])
print("EXIT", int(code))
print("LOADED", sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")))
"""


def test_the_supervisor_specs_and_a_gradient_descent_grading_import_no_tensorflow():
    result = run_kit("-c", NO_TENSORFLOW, timeout=300)
    assert "EXIT 0" in result.stdout, result.stdout[-3000:] + result.stderr[-3000:]
    assert "LOADED []" in result.stdout, result.stdout[-3000:]
