"""Named mistakes, proved: every hint names a declared mistake, and every declared mistake can fire.

- (a) Read from the test files (AST): every call that passes ``hint=`` passes ``mistake=``;
  every mistake a graded test names, and every family of names a shared check it calls can
  raise, is declared with that test's check; the names the checks modules raise are in
  their families; hidden checks' own names stay out of what students receive.
- (b) Families (``GRADIENT_MISTAKES``, ``ARCHITECTURE_MISTAKES``, ``COMPILE_MISTAKES``,
  ``PIPELINE_MISTAKES``/``ACCURACY_MISTAKES``): each name fires from the shared check itself.
  Check-specific names: ``CASES`` holds, for each, the reference solution with one plausible
  mistake (a patch appended to ``solutions/<module>.py``, or one text replaced in it), graded
  in-process by the exercise's visible and hidden tests with ``--checks`` that check alone; its
  score JSON must name exactly that mistake (an exercise's own cases may sit in
  ``tests/mistake_cases/<exercise>.json``). Every check that uses a family has a case too
  (its test passes the family's names on). A declared name no case proves fails
  ``test_every_declared_mistake_has_a_proof``.
- Generic names (crash, time_limit, ...) are proved by the bad-submission catalogue
  (``tests/test_grade_catalogue.py``); that the reference names no mistake, by
  ``tests/test_exercise_suite.py``.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import keras
import numpy as np
import pytest

import autograder.grade.judge.crossing  # noqa: F401  (imported once, outside the in-process runs)
import autograder.grade.judge.manager  # noqa: F401
import autograder.grade.judge.models  # noqa: F401
from autograder.checks.architecture import ARCHITECTURE_MISTAKES, ModelSpec, check_architecture, dense, layer
from autograder.checks.gradients import GRADIENT_MISTAKES, check_gradient
from autograder.checks.mistakes import GENERIC, mistake_id
from autograder.checks.training import (ACCURACY_MISTAKES, COMPILE_MISTAKES, PIPELINE_MISTAKES, TrainingResult,
                                        TrainingSetup, build_student_model, check_compile_settings,
                                        expect_accuracy, fit_model, require_compiled)
from autograder.checks.values import CheckFailure
from autograder.specs import all_exercises, declared_mistakes, get_exercise
from tests.helpers.kit import ROOT
from tests.helpers.model_specs import imdb_stack, mnist_cnn

L = keras.layers
TEST_FILES = sorted((ROOT / "exercises").glob("test_*.py")) + sorted((ROOT / "hidden_tests").glob("test_*_hidden.py"))
CHECKS_MODULES = {"gradients": [GRADIENT_MISTAKES], "architecture": [ARCHITECTURE_MISTAKES],
                  "training": [PIPELINE_MISTAKES, ACCURACY_MISTAKES, COMPILE_MISTAKES]}
# The shared checks a graded test may call, and the names each can raise.
HELPERS = {"check_gradient": GRADIENT_MISTAKES, "check_architecture": ARCHITECTURE_MISTAKES,
           "check_compile_settings": COMPILE_MISTAKES, "run_pipeline": PIPELINE_MISTAKES,
           "imdb_curves": PIPELINE_MISTAKES, "expect_accuracy": ACCURACY_MISTAKES}
FAMILIES = {"gradient": GRADIENT_MISTAKES, "architecture": ARCHITECTURE_MISTAKES, "compile": COMPILE_MISTAKES,
            "pipeline": PIPELINE_MISTAKES, "accuracy": ACCURACY_MISTAKES}


# --------------------------------------------------------------------------
# (a) The test files, read


def graded_tests(path: Path):
    """(exercise, check, function node) of every ``@graded(exercise, check)`` test in ``path``."""
    for node in ast.parse(path.read_text()).body:
        for decorator in getattr(node, "decorator_list", []):
            if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "graded":
                yield decorator.args[0].value, decorator.args[1].value, node


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def named_mistakes(value: ast.expr) -> list[str]:
    """The mistake names a ``mistake=`` expression can give: a literal, or literals chosen by a condition."""
    if isinstance(value, ast.IfExp):
        return named_mistakes(value.body) + named_mistakes(value.orelse)
    return [value.value] if isinstance(value, ast.Constant) and isinstance(value.value, str) else []


def called(call: ast.Call) -> str:
    return getattr(call.func, "id", None) or getattr(call.func, "attr", "")


def calls(node: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Call)]


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_every_hint_names_its_mistake(path):
    missing = [f"{path.name}:{c.lineno}" for c in calls(ast.parse(path.read_text()))
               if keyword(c, "hint") is not None and keyword(c, "mistake") is None]
    assert not missing, f"calls with hint= but no mistake=: {missing}"


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_every_named_mistake_is_declared_with_its_check(path):
    exercises, problems = all_exercises(), []
    for exercise_name, check_name, function in graded_tests(path):
        exercise = exercises[exercise_name]
        known = declared_mistakes(exercise.check(check_name))
        for call in calls(function):
            value = keyword(call, "mistake")
            if value is not None:
                names = named_mistakes(value)
                problems += [f"line {call.lineno}: no literal name"] if not names else []
                problems += [f"line {call.lineno}: {check_name}.{n}" for n in names if n not in known]
            family = HELPERS.get(called(call), {})
            problems += [f"line {call.lineno}: {called(call)} raises {check_name}.{n}" for n in family
                         if n not in known]
    assert not problems, f"{path.name}: mistakes not declared with their check: {problems}"


def test_every_check_module_raises_only_its_families_names():
    for module, families in CHECKS_MODULES.items():
        tree = ast.parse((ROOT / "autograder" / "checks" / f"{module}.py").read_text())
        raised = {n for c in calls(tree) if keyword(c, "mistake") is not None
                  for n in named_mistakes(keyword(c, "mistake"))}
        returned = [r.value.elts[0] for r in ast.walk(tree)   # ``return name, hint`` (_gradient_hint)
                    if isinstance(r, ast.Return) and isinstance(r.value, ast.Tuple)]
        raised |= {n for value in returned for n in named_mistakes(value)}
        allowed = set(GENERIC).union(*families)
        assert raised and raised <= allowed, (module, sorted(raised - allowed))


def test_hidden_checks_own_mistakes_stay_out_of_the_student_files():
    exercises = all_exercises().values()
    if not any(e.hidden_loaded for e in exercises):
        pytest.skip("the hidden specs are not readable here")
    shipped = set(GENERIC).union(*FAMILIES.values(), *(c.mistakes for e in exercises for c in e.visible_checks))
    hidden = {n for e in exercises for c in e.checks if c.hidden for n in c.mistakes} - shipped
    texts = {p: p.read_text() for p in [*(ROOT / "autograder").rglob("*.py"), *(ROOT / "exercises").glob("*.py")]}
    leaks = [(str(p.relative_to(ROOT)), n) for p, text in texts.items() for n in hidden if f'"{n}"' in text]
    assert hidden and not leaks


# --------------------------------------------------------------------------
# (b) Families: each name fires from the shared check


def cnn(*, filters=25, kernel=(3, 3), pool=None, head=None, extra=(), **conv) -> list:
    """New layers of the MNIST CNN with one thing changed (``conv``: Conv2D keyword arguments)."""
    head = (L.Dense(100, activation="relu"),) if head is None else head
    return [L.Conv2D(filters, kernel, **{"activation": "relu", **conv}), *extra, pool or L.MaxPool2D((2, 2)),
            L.Flatten(), *head, L.Dense(10, activation="softmax")]


class ExtraWeights(keras.Sequential):
    """A model holding a weight outside its layers (``count_params`` would not show it in a layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra = self.add_weight(shape=(7,), name="extra")


def on_cnn(layers: list, input_shape=(28, 28, 1), model_class=keras.Sequential):
    """A builder of ``layers`` after ``keras.Input(input_shape)``, and the spec it is checked against."""
    return (lambda: model_class([keras.Input(shape=input_shape), *layers])), mnist_cnn((2, 2))


def dropout_stack(rate: float):
    layers = [L.Dense(16, activation="relu"), L.Dropout(rate), L.Dense(16, activation="relu"), L.Dropout(rate),
              L.Dense(1, activation="sigmoid")]
    return (lambda: keras.Sequential([keras.Input(shape=(10000,)), *layers])), imdb_stack(16, dropout_rate=0.5)


def normalized(momentum: float):
    """Dense 64 → BatchNormalization(momentum) → Dense 10, against a spec that names momentum=0.9."""
    layers = [L.Dense(64, activation="relu"), L.BatchNormalization(momentum=momentum),
              L.Dense(10, activation="softmax")]
    spec = ModelSpec((20,), (dense(64, "relu"), layer("BatchNormalization", momentum=0.9), dense(10, "softmax")))
    return (lambda: keras.Sequential([keras.Input(shape=(20,)), *layers])), spec


ARCHITECTURE_CASES = {  # name: () -> (builder, spec), the builder's model wrong in that one way
    "missing_layer": lambda: on_cnn(cnn()[:-1]),
    "extra_layer": lambda: on_cnn(cnn() + [L.Dense(10, activation="softmax")]),
    "layer_kind": lambda: on_cnn(cnn(pool=L.AveragePooling2D((2, 2)))),
    "separate_activation": lambda: on_cnn(cnn(extra=(L.Activation("relu"),))),
    "units": lambda: on_cnn(cnn(head=(L.Dense(64, activation="relu"),))),
    "filters": lambda: on_cnn(cnn(filters=32)),
    "kernel_size": lambda: on_cnn(cnn(kernel=(5, 5))),
    "strides": lambda: on_cnn(cnn(strides=(2, 2))),
    "padding": lambda: on_cnn(cnn(padding="same")),
    "pool_size": lambda: on_cnn(cnn(pool=L.MaxPool2D((1, 1)))),
    "rate": lambda: dropout_stack(0.3),
    "setting": lambda: normalized(0.99),
    "output_shape": lambda: on_cnn(cnn(pool=L.MaxPool2D((2, 2), strides=(1, 1)))),
    "activation": lambda: on_cnn(cnn(activation="tanh")),
    "regularizer": lambda: on_cnn(cnn(head=(L.Dense(100, activation="relu",
                                                      kernel_regularizer=keras.regularizers.L2(0.01)),))),
    "params": lambda: on_cnn(cnn(head=(L.Dense(100, activation="relu", use_bias=False),))),
    "input_shape": lambda: on_cnn(cnn(), input_shape=(28, 28, 3)),
    "not_a_model": lambda: ((lambda: cnn()), mnist_cnn((2, 2))),
    "param_count": lambda: on_cnn(cnn(), model_class=ExtraWeights),
}


def raised(function, *args, **kwargs) -> CheckFailure:
    with pytest.raises(CheckFailure) as info:
        function(*args, **kwargs)
    return info.value


def test_architecture_cases_are_right_but_for_their_mistake():
    assert set(ARCHITECTURE_CASES) == set(ARCHITECTURE_MISTAKES)
    check_architecture(*on_cnn(cnn()), "the CNN")
    check_architecture(*dropout_stack(0.5), "the dropout stack")
    check_architecture(*normalized(0.9), "the normalized stack")


@pytest.mark.parametrize("name", sorted(ARCHITECTURE_MISTAKES))
def test_architecture_mistake_fires(name):
    failure = raised(check_architecture, *ARCHITECTURE_CASES[name](), "the builder")
    assert failure.mistake == name, str(failure)


def small_mse_gradient(x, y, m, b) -> np.ndarray:
    residual = y - (m * x + b)
    return np.array([-2 * np.mean(x * residual), -2 * np.mean(residual)])


GRADIENT_CASES = {  # name: what the student's gradient is, given the right one g and the sample count n
    "sign_flipped": lambda g, n: -g,
    "factor_half": lambda g, n: g / 2,
    "not_averaged": lambda g, n: g * n,
    "constant_factor": lambda g, n: g * 3,
    "wrong_formula": lambda g, n: g * [1, 2],
}


@pytest.mark.parametrize("name", sorted(GRADIENT_MISTAKES))
def test_gradient_mistake_fires(name):
    assert set(GRADIENT_CASES) == set(GRADIENT_MISTAKES)
    x = np.linspace(0, 3, 50)
    y = 0.4 * x + 0.5 + np.sin(7 * x) / 10
    loss = lambda m, b: float(np.mean((y - (m * x + b)) ** 2))  # noqa: E731
    right = small_mse_gradient(x, y, 0.2, 0.2)
    check_gradient(right, loss, (0.2, 0.2), ("m", "b"), 1e-6)
    failure = raised(check_gradient, GRADIENT_CASES[name](right, len(x)), loss, (0.2, 0.2), ("m", "b"), 1e-6)
    assert failure.mistake == name, str(failure)


def compile_with(optimizer="adam", loss="categorical_crossentropy", metrics=("accuracy",), returns=True):
    def compile_model(model):
        model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
        return model if returns else None
    return compile_model


COMPILE_CASES = {
    "not_returned": compile_with(returns=False),
    "not_compiled": lambda model: model,
    "wrong_optimizer": compile_with(optimizer="sgd"),
    "wrong_loss": compile_with(loss="mse"),
    "no_accuracy_metric": compile_with(metrics=()),
}


@pytest.mark.parametrize("name", sorted(COMPILE_MISTAKES))
def test_compile_mistake_fires(name):
    assert set(COMPILE_CASES) == set(COMPILE_MISTAKES)

    def model():
        return keras.Sequential([keras.Input(shape=(4,)), L.Dense(10, activation="softmax")])

    check_compile_settings(compile_with(), model(), optimizer="Adam", loss="categorical_crossentropy")
    failure = raised(check_compile_settings, COMPILE_CASES[name], model(), optimizer="Adam",
                     loss="categorical_crossentropy")
    assert failure.mistake == name, str(failure)


@pytest.mark.slow
def test_pipeline_and_accuracy_mistakes_fire():
    setup = TrainingSetup(n_train=8, n_test=4, batch_size=4, max_epochs=1, threshold=0.9)
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(3, activation="softmax")])
    fired = {"not_a_model": raised(build_student_model, lambda: "a model", "build()").mistake,
             "not_compiled": raised(require_compiled, model, "build()").mistake}
    compile_with()(model)
    fired["training_failed"] = raised(fit_model, model, (np.zeros((8, 5)), np.zeros((8, 3))), None, setup).mistake
    fired["below_threshold"] = raised(expect_accuracy, TrainingResult(test_accuracy=[0.3, 0.5]), setup, "the model",
                                      hint="train longer").mistake
    expect_accuracy(TrainingResult(test_accuracy=[0.3, 0.95]), setup, "the model", hint="")
    assert fired == {name: name for name in ACCURACY_MISTAKES} and set(PIPELINE_MISTAKES) < set(fired)


# --------------------------------------------------------------------------
# (b) Check-specific mistakes: each fires on a wrong answer, graded by the exercise's own tests


def redefine(function: str, params: str, body: str) -> str:
    """A patch that redefines ``function(params)``; ``REF`` in ``body`` is the reference's own function."""
    lines = body.replace("REF", f"_reference_{function}").splitlines()
    return (f"_reference_{function} = {function}\n\n\ndef {function}({params}):\n"
            + "".join(f"    {line}\n" for line in lines))


BATCH = "return rng.integers(0, n_samples, size=batch_size)"
SGD_RNG = "rng = np.random.default_rng(seed)"
SGD_STEP = "dm, db = mse_gradients(X[batch], y[batch], m, b)\n        m, b = m - lr * dm, b - lr * db"
SGD_HISTORY = "y[batch], m, b)\n        m, b = m - lr * dm, b - lr * db\n        log.append((m, b))\n" \
              "        mse_history.append("
GD_RESULT = "m, b, log, history = REF(X, y, lr, iterations)\nreturn "
FLAT = "return images.reshape(len(images), 28 * 28).astype(np.float32) / 255.0"
GRID = "return images.reshape(len(images), 28, 28, 1).astype(np.float32) / 255.0"
CIFAR = "return np.asarray(images).astype(np.float32) / 255.0"
BEST = "return int(np.argmin(losses)) + 1"
COUNTS = redefine("vectorize_sequences", "sequences, dimension=NUM_WORDS",
                  "result = np.zeros((len(sequences), dimension), dtype=np.float32)\n"
                  "for row, sequence in enumerate(sequences):\n    for index in sequence:\n"
                  "        if 0 <= index < dimension:\n            result[row, index] += 1.0\nreturn result")
MUTATES = "out = REF(images)\nimages[:] = 0\nreturn out"


def tiny_model_on_blank_images(preprocess: str, builder: str, shape: tuple) -> str:
    """Blank inputs and a one-layer model: trains in seconds and can only guess a class."""
    return (redefine(preprocess, "images", f"return np.zeros((len(images), *{shape}), dtype=np.float32)")
            + redefine(builder, "*args, **kwargs", f"return keras.Sequential([keras.Input(shape={shape}), "
                       "keras.layers.Flatten(), keras.layers.Dense(10, activation='softmax')])"))


def one_hot_cases(exercise: str) -> dict:
    params, shifted = "labels, n_classes=N_CLASSES", "(np.asarray(labels) + 1) % n_classes"
    return {f"{exercise}.one_hot.wrong_column": redefine("one_hot", params, f"return REF({shifted}, n_classes)"),
            f"{exercise}.one_hot.fixed_ten_columns": redefine("one_hot", params, "return REF(labels, 10)")}


# full mistake id: a patch appended to the reference, or (text in the reference, its replacement)
# A check that builds on a wrong function names that function (autograder/checks/upstream.py).
FLIPPED_GRADIENTS = redefine("mse_gradients", "X, y, m, b", "dm, db = REF(X, y, m, b)\nreturn -dm, -db")
SUMMED_MSE = ("float(np.mean(residual**2))", "float(np.sum(residual**2))")
UPSTREAM_CASES = {
    **{f"gradient_descent.{check}.uses_wrong_gradients": FLIPPED_GRADIENTS
       for check in ("gd_first_step", "gd_workshop_result", "gd_log_history", "gd_converges", "sgd_fresh_batches",
                     "sgd_converges")},
    **{f"gradient_descent.{check}.uses_wrong_mse": SUMMED_MSE
       for check in ("gd_log_history", "gd_converges", "sgd_log_history")},
    **{f"gradient_descent.{check}.uses_wrong_sample_batch":
       (BATCH, BATCH.replace("rng.integers", "np.random.randint")) for check in ("sgd_seed", "sgd_fresh_batches")},
}

CASES: dict[str, str | tuple[str, str]] = {
    **UPSTREAM_CASES,
    "gradient_descent.predict_values.not_m_x_plus_b": ("* np.asarray(X, dtype=np.float64) + b",
                                                       "* np.asarray(X, dtype=np.float64)"),
    "gradient_descent.mse_value.not_mean_of_squares": ("float(np.mean(residual**2))", "float(np.sum(residual**2))"),
    "gradient_descent.gradients_numerical.sign_flipped": redefine("mse_gradients", "X, y, m, b",
                                                                  "dm, db = REF(X, y, m, b)\nreturn -dm, -db"),
    "gradient_descent.gradients_many_points.not_averaged": redefine(
        "mse_gradients", "X, y, m, b", "dm, db = REF(X, y, m, b)\nreturn dm * len(X), db * len(X)"),
    "gradient_descent.gd_first_step.wrong_first_step": ("m, b = 0.2, 0.2", "m, b = 0.0, 0.0"),
    "gradient_descent.gd_workshop_result.not_simultaneous_update": (
        "dm, db = mse_gradients(X, y, m, b)\n        m, b = m - lr * dm, b - lr * db",
        "dm = mse_gradients(X, y, m, b)[0]\n        m = m - lr * dm\n"
        "        b = b - lr * mse_gradients(X, y, m, b)[1]"),
    "gradient_descent.gd_log_history.log_length": redefine("gradient_descent", "X, y, lr=0.05, iterations=10",
                                                           GD_RESULT + "m, b, log[1:], history"),
    "gradient_descent.gd_log_history.history_length": redefine("gradient_descent", "X, y, lr=0.05, iterations=10",
                                                               GD_RESULT + "m, b, log, history[1:]"),
    "gradient_descent.gd_log_history.log_before_step": redefine("gradient_descent", "X, y, lr=0.05, iterations=10",
                                                                GD_RESULT + "m, b, [(0.2, 0.2)] + log[:-1], history"),
    "gradient_descent.gd_log_history.history_wrong_line": redefine(
        "gradient_descent", "X, y, lr=0.05, iterations=10",
        GD_RESULT + "m, b, log, [mse(y, predict(X, 0.2, 0.2))] + history[:-1]"),
    "gradient_descent.gd_converges.not_converged": ("range(iterations):\n        dm, db = mse_gradients(X, y",
                                                    "range(300):\n        dm, db = mse_gradients(X, y"),
    "gradient_descent.gd_converges.mse_rises": redefine(   # a rise, as one overshooting step would give
        "gradient_descent", "X, y, lr=0.05, iterations=10",
        GD_RESULT + "m, b, log, history[:1] + [2 * history[0]] + history[2:]"),
    "gradient_descent.batch_shape_range.index_out_of_range": (BATCH,
                                                              BATCH.replace("0, n_samples", "1, n_samples + 1")),
    "gradient_descent.batch_reproducible.global_np_random": (BATCH, BATCH.replace("rng.integers",
                                                                                  "np.random.randint")),
    "gradient_descent.batch_reproducible.ignores_rng": (BATCH, BATCH.replace("rng.", "np.random.default_rng(0).")),
    "gradient_descent.batch_reproducible.reseeds_generator": (BATCH, "import copy\n    "
                                                              + BATCH.replace("rng.", "copy.deepcopy(rng).")),
    "gradient_descent.batch_uniform.not_uniform": (BATCH, "return np.minimum(rng.integers(0, n_samples + 1, "
                                                          "size=batch_size), n_samples - 1)"),
    "gradient_descent.sgd_start_point.wrong_start_point": ("m, b = 0.5, 0.5", "m, b = 0.2, 0.2"),
    "gradient_descent.sgd_seed.not_reproducible": (SGD_RNG, SGD_RNG.replace("(seed)", "()")),
    "gradient_descent.sgd_seed.seed_ignored": (SGD_RNG, SGD_RNG.replace("(seed)", "(0)")),
    "gradient_descent.sgd_log_history.history_on_batch": (SGD_HISTORY + "mse(y, predict(X, m, b))",
                                                          SGD_HISTORY + "mse(y[batch], predict(X[batch], m, b))"),
    "gradient_descent.sgd_fresh_batches.not_fresh_batches": ("mse_gradients(X[batch], y[batch], m, b)",
                                                             "mse_gradients(X, y, m, b)"),
    "gradient_descent.sgd_converges.not_near_least_squares": (SGD_STEP, SGD_STEP.replace("b - lr * db", "b")),

    "mnist_cnn.preprocess_flat.not_flattened": (FLAT, "return images.astype(np.float32) / 255.0"),
    "mnist_cnn.preprocess_flat.not_float32": (FLAT, FLAT.replace(".astype(np.float32)", "")),
    "mnist_cnn.preprocess_flat.no_scaling": (FLAT, FLAT.replace(" / 255.0", "")),
    "mnist_cnn.preprocess_grid.no_channel_axis": (GRID, "return images.astype(np.float32) / 255.0"),
    "mnist_cnn.preprocess_grid.not_float32": (GRID, GRID.replace(".astype(np.float32)", "")),
    "mnist_cnn.preprocess_grid.no_scaling": (GRID, GRID.replace(" / 255.0", "")),
    "mnist_cnn.one_hot.not_one_row_per_label": redefine("one_hot", "labels, n_classes=N_CLASSES",
                                                        "return REF(labels, n_classes).T.copy()"),
    **one_hot_cases("mnist_cnn"),
    "mnist_cnn.dense_architecture.units": redefine(
        "build_dense_model", "", "return keras.Sequential([keras.Input(shape=(784,)), "
        "keras.layers.Dense(64, activation='relu'), keras.layers.Dense(10, activation='softmax')])"),
    "mnist_cnn.cnn_architecture.padding": ('padding="valid"', 'padding="same"'),
    "mnist_cnn.cnn_pool_one_does_nothing.pool_size": ("MaxPool2D(pool_size=pool_size)",
                                                      "MaxPool2D(pool_size=(2, 2))"),
    "mnist_cnn.cnn_pool_one_does_nothing.pool_changes_input": ("MaxPool2D(pool_size=pool_size)",
                                                               "MaxPool2D(pool_size=pool_size, dtype='float16')"),
    "mnist_cnn.compile_settings.wrong_optimizer": ('optimizer="adam"', 'optimizer="sgd"'),
    "mnist_cnn.preprocess_hidden.mutates_input": redefine("preprocess_flat", "images", MUTATES),
    "mnist_cnn.dense_accuracy.below_threshold": redefine("preprocess_flat", "images",
                                                         "return np.zeros((len(images), 784), dtype=np.float32)"),
    "mnist_cnn.cnn_accuracy.below_threshold": tiny_model_on_blank_images("preprocess_grid", "build_cnn_model",
                                                                         (28, 28, 1)),

    "cifar_cnn.preprocess.shape_changed": (CIFAR, CIFAR.replace("images)", "images).reshape(len(images), -1)")),
    "cifar_cnn.preprocess.not_float32": (CIFAR, CIFAR.replace(".astype(np.float32)", "")),
    "cifar_cnn.preprocess.no_scaling": (CIFAR, CIFAR.replace(" / 255.0", "")),
    "cifar_cnn.one_hot.labels_not_flattened": redefine(
        "one_hot", "labels, n_classes=N_CLASSES", "return np.eye(n_classes, dtype=np.float32)[np.asarray(labels)]"),
    **one_hot_cases("cifar_cnn"),
    "cifar_cnn.architecture.not_a_model": redefine("build_cifar_model", "", "return REF().layers"),
    "cifar_cnn.compile_settings.wrong_loss": ('loss="categorical_crossentropy"', 'loss="mse"'),
    "cifar_cnn.preprocess_hidden.mutates_input": redefine("preprocess", "images", MUTATES),
    "cifar_cnn.accuracy.below_threshold": tiny_model_on_blank_images("preprocess", "build_cifar_model", (32, 32, 3)),

    "regularization.vectorize_multi_hot.not_one_row_per_sequence": redefine(
        "vectorize_sequences", "sequences, dimension=NUM_WORDS", "return REF(sequences, dimension).T.copy()"),
    "regularization.vectorize_multi_hot.not_float32": redefine(
        "vectorize_sequences", "sequences, dimension=NUM_WORDS",
        "return REF(sequences, dimension).astype(np.float64)"),
    "regularization.vectorize_multi_hot.counts_not_multi_hot": COUNTS,
    "regularization.original_architecture.units": "def build_original_model():\n    return build_smaller_model()\n",
    "regularization.smaller_architecture.units": "def build_smaller_model():\n    return build_original_model()\n",
    "regularization.bigger_architecture.units": "def build_bigger_model():\n    return build_original_model()\n",
    "regularization.l2_architecture.regularizer": redefine("build_l2_model", "factor=0.001",
                                                           "return REF(factor * 10)"),
    "regularization.l1_architecture.regularizer": "def build_l1_model(factor=0.001):\n"
                                                  "    return build_l2_model(factor)\n",
    "regularization.dropout_architecture.rate": redefine("build_dropout_model", "rate=0.5", "return REF(rate / 2)"),
    "regularization.compile_settings.no_accuracy_metric": ('metrics=["accuracy"]', "metrics=[]"),
    "regularization.best_epoch_value.epochs_from_zero": (BEST, BEST.replace(" + 1", "")),
    "regularization.vectorize_real_reviews.wrong_default_dimension": redefine(
        "vectorize_sequences", "sequences, dimension=1000", "return REF(sequences, dimension)"),
    "regularization.vectorize_real_reviews.counts_not_multi_hot": COUNTS,
    "regularization.vectorize_real_reviews.mutates_input": redefine(
        "vectorize_sequences", "sequences, dimension=NUM_WORDS",
        "for sequence in sequences:\n    sequence.sort()\nreturn REF(sequences, dimension)"),
    "regularization.vectorize_real_reviews.out_of_range_not_ignored": redefine(
        "vectorize_sequences", "sequences, dimension=NUM_WORDS",
        "return REF([np.clip(np.asarray(s, dtype=np.int64), 0, dimension - 1) for s in sequences], dimension)"),
    "regularization.factor_and_rate_used.regularizer": redefine("build_l2_model", "factor=0.001", "return REF()"),
    "regularization.best_epoch_hidden.numpy_int": (BEST, "return np.argmin(losses) + 1"),
    "regularization.best_epoch_hidden.epochs_from_zero": (BEST, BEST.replace(" + 1", "")),
    "regularization.best_epoch_hidden.not_first_lowest": (BEST, "return int(len(losses) - np.argmin(losses[::-1]))"),
    "regularization.bigger_overfits_sooner.bigger_not_sooner": (
        'optimizer="rmsprop"', "optimizer=keras.optimizers.RMSprop(learning_rate=0.01)"),
    "regularization.regularization_helps.l2_overfits": "def build_l2_model(factor=0.001):\n"
                                                       "    return build_original_model()\n",
    "regularization.regularization_helps.dropout_overfits": redefine("build_dropout_model", "rate=0.5",
                                                                     "return REF(0.0)"),
}
# An exercise may prove its mistakes in a file of its own (docs/authoring.md, "Add an exercise"):
# tests/mistake_cases/<exercise>.json, {"<check>.<mistake>": ["text of the reference", "the same text mistaken"]}.
MISTAKE_CASES = ROOT / "tests" / "mistake_cases"
CASES |= {f"{path.stem}.{key}": tuple(change) for path in sorted(MISTAKE_CASES.glob("*.json"))
          for key, change in json.loads(path.read_text(encoding="utf-8")).items()}


def split(full_id: str) -> tuple[str, str, str]:
    exercise, check, name = full_id.split(".")
    return exercise, check, name


def patched(exercise, case: str | tuple[str, str]) -> str:
    """The reference solution of ``exercise`` with the case's mistake."""
    reference = (ROOT / "solutions" / exercise.filename).read_text()
    if isinstance(case, tuple):
        old, new = case
        assert reference.count(old) == 1, f"the case no longer applies to the reference: {old!r}"
        return reference.replace(old, new)
    return reference + "\n\n# ---- the case's mistake ----\n" + case


def case_param(full_id: str):
    exercise, check, _ = split(full_id)
    training = get_exercise(exercise).check(check).training
    return pytest.param(full_id, id=full_id, marks=[pytest.mark.training, pytest.mark.slow] if training else [])


def grade_check(pytester, exercise, check: str, source: str) -> dict:
    """The score JSON's entry for ``check`` when the exercise's visible and hidden tests grade ``source``."""
    target = pytester.path / "submission"
    target.mkdir(exist_ok=True)
    (target / exercise.filename).write_text(source)
    score = pytester.path / "score.json"
    files = [ROOT / "exercises" / f"test_{exercise.name}.py",
             ROOT / "hidden_tests" / f"test_{exercise.name}_hidden.py"]
    pytester.runpytest_inprocess(*map(str, files), "--target", str(target), "--checks", check,
                                 "--score-json", str(score), "-q")
    tests = [t for t in json.loads(score.read_text())["tests"] if t["check"] == check]
    assert len(tests) == 1, tests
    return tests[0]


@pytest.mark.parametrize("full_id", [case_param(i) for i in sorted(CASES)])
def test_mistake_fires(pytester, full_id):
    exercise_name, check, name = split(full_id)
    exercise = get_exercise(exercise_name)
    assert name in exercise.check(check).mistakes, f"{full_id} is not declared"
    result = grade_check(pytester, exercise, check, patched(exercise, CASES[full_id]))
    assert (result["status"], result["failure"], result["mistake"]) == ("failed", "wrong_answer", full_id), \
        result["message"]


def test_every_declared_mistake_has_a_proof():
    """Check-specific names: a case each. A family's names: proved above, and each check using it has a case."""
    cases = {split(i)[:2] for i in CASES}
    missing = []
    for exercise in all_exercises().values():
        for check in exercise.checks:
            own = {n for n in check.mistakes
                   if not any(n in f and set(f) <= set(check.mistakes) for f in FAMILIES.values())}
            missing += [mistake_id(exercise.name, check.name, n) for n in sorted(own)
                        if mistake_id(exercise.name, check.name, n) not in CASES]
            if set(check.mistakes) - own and (exercise.name, check.name) not in cases:
                missing.append(f"{exercise.name}.{check.name}: no case shows its test passes its family's names on")
    assert not missing, missing
