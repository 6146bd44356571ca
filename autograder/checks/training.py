"""Training checks: train a student's own compiled model, deterministically, and judge the result.

The student's functions prepare the data and build and compile the model (their
choices of optimizer, loss and learning rate count); the kit fixes the data
subset, the seeds, the batch size and the epoch cap. Validation data is split
from the training subset; the test subset is used only to measure accuracy.
Training stops as soon as the test accuracy reaches the threshold.
"""

from __future__ import annotations

import functools
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from autograder.checks.architecture import ARCHITECTURE_MISTAKES, build_student_model
from autograder.checks.values import CheckFailure, call_student
from autograder.memory_hooks import heavy_work_starts, release_memory

# The mistakes these checks name; a check declares those it can produce (``mistakes={**PIPELINE_MISTAKES, ...}``).
PIPELINE_MISTAKES = {
    "not_a_model": ARCHITECTURE_MISTAKES["not_a_model"],
    "not_compiled": "compile_model leaves the model without an optimizer or a loss",
    "training_failed": "model.fit raised on the student's data and model (shapes or labels that do not fit)",
}
ACCURACY_MISTAKES = {
    **PIPELINE_MISTAKES,
    "below_threshold": "the model trains but its test accuracy stays below the threshold",
}
# The data-preparation mistakes of the image exercises (their preprocess and one_hot checks declare them).
PREPROCESS_MISTAKES = {
    "not_float32": "the pixels not converted to float32",
    "no_scaling": "the pixels not divided by 255",
}
ONE_HOT_MISTAKES = {
    "wrong_column": "the 1.0 is not in the label's column",
    "fixed_ten_columns": "10 columns whatever n_classes says",
}
COMPILE_MISTAKES = {
    "not_returned": "compile_model does not return the model it compiled",
    "not_compiled": PIPELINE_MISTAKES["not_compiled"],
    "wrong_optimizer": "compiled with another optimizer than the exercise's",
    "wrong_loss": "compiled with another loss than the exercise's",
    "no_accuracy_metric": "compiled without the accuracy metric",
}


@dataclass(frozen=True)
class TrainingSetup:
    """How a training check trains: subset sizes, seeds, batch size, epoch cap and the threshold."""

    n_train: int
    n_test: int
    batch_size: int
    max_epochs: int
    threshold: float = 0.0
    validation_fraction: float = 0.1
    data_seed: int = 0
    seed: int = 0

    def with_seed(self, seed: int) -> "TrainingSetup":
        return TrainingSetup(**{**self.__dict__, "seed": seed})


@dataclass
class TrainingResult:
    """What one training run did: test accuracy after each epoch and Keras' history."""

    test_accuracy: list[float] = field(default_factory=list)
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def epochs(self) -> int:
        return len(self.test_accuracy)

    @property
    def best_accuracy(self) -> float:
        return max(self.test_accuracy) if self.test_accuracy else 0.0


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and Keras; on TensorFlow also make its ops deterministic."""
    import keras

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def free_models() -> None:
    """Drop Keras' global state between checks (keeps memory flat across a grading run)."""
    import keras

    keras.backend.clear_session()
    release_memory()


def model_outputs(model: Any, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """The model's outputs in inference mode, batch by batch (direct calls: no ``predict`` tracing)."""
    import keras

    parts = [keras.ops.convert_to_numpy(model(x[i:i + batch_size], training=False))
             for i in range(0, len(x), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0,))


def predicted_classes(model: Any, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Class index per sample: argmax of a softmax output, or 0/1 of a single sigmoid output."""
    scores = model_outputs(model, x, batch_size)
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.argmax(axis=1)
    return (scores.reshape(len(x)) > 0.5).astype(int)


def accuracy(model: Any, x: np.ndarray, labels: np.ndarray) -> float:
    """Share of samples whose predicted class equals the label."""
    return float(np.mean(predicted_classes(model, x) == np.asarray(labels).reshape(-1)))


def _stop_at_accuracy_callback(x_test: np.ndarray, labels: np.ndarray, threshold: float,
                               result: TrainingResult):
    import keras

    class StopAtTestAccuracy(keras.callbacks.Callback):
        """Measure test accuracy after every epoch; stop once it reaches the threshold."""

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            result.test_accuracy.append(accuracy(self.model, x_test, labels))
            if result.test_accuracy[-1] >= threshold:
                self.model.stop_training = True

    return StopAtTestAccuracy()


def split_validation(x: np.ndarray, y: np.ndarray, fraction: float):
    """(x_fit, y_fit), (x_val, y_val): the last ``fraction`` of the training subset is validation."""
    n_val = int(round(len(x) * fraction))
    if n_val == 0:
        return (x, y), None
    return (x[:-n_val], y[:-n_val]), (x[-n_val:], y[-n_val:])


def require_compiled(model: Any, what: str) -> None:
    """A model must come back compiled (with an optimizer and a loss) before it can train."""
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        raise CheckFailure(f"{what}: the model is not compiled\n"
                           f"  expected: a model compiled with an optimizer, a loss and metrics\n"
                           f"  received: a model without an optimizer or a loss\n"
                           f"  hint: call model.compile(...) in compile_model and return the model",
                           mistake="not_compiled")


def fit_model(model: Any, train: tuple, validation: tuple | None, setup: TrainingSetup,
              callbacks: list | None = None, epochs: int | None = None) -> dict[str, list[float]]:
    """``model.fit`` with the kit's batch size and epochs; a crash becomes a readable failure."""
    heavy_work_starts()  # in a small box the sandbox frees the student's idle process first
    try:
        history = model.fit(*train, validation_data=validation, epochs=epochs or setup.max_epochs,
                            batch_size=setup.batch_size, shuffle=True, verbose=0, callbacks=callbacks or [])
    except (NotImplementedError, CheckFailure):
        raise
    except Exception as exc:
        shapes = f"inputs {np.shape(train[0])}, targets {np.shape(train[1])}"
        raise CheckFailure(
            f"training your model failed: {type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}\n"
            f"  data given to model.fit: {shapes}\n"
            f"  hint: check that your preprocessing gives the shape the model's input expects, "
            f"and that the labels are one-hot encoded", mistake="training_failed") from exc
    return {k: [float(v) for v in vs] for k, vs in history.history.items()}


def train_until_accuracy(build: Callable[[], Any], compile_model: Callable[[Any], Any],
                         train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
                         setup: TrainingSetup, what: str = "your model") -> TrainingResult:
    """Build, compile and train the student's model on prepared data until the threshold or the cap.

    ``train`` is (inputs, one-hot targets); ``test`` is (inputs, integer labels).
    """
    seed_everything(setup.seed)
    model = build_student_model(build, what)
    compiled = call_student(compile_model, model)
    model = compiled if compiled is not None else model
    require_compiled(model, what)
    fit, validation = split_validation(*train, setup.validation_fraction)
    result = TrainingResult()
    started = time.perf_counter()
    callback = _stop_at_accuracy_callback(*test, setup.threshold, result)
    result.history = fit_model(model, fit, validation, setup, [callback])
    result.seconds = time.perf_counter() - started
    del model
    free_models()
    return result


def prepare(function: Callable[[np.ndarray], Any], data: np.ndarray, name: str) -> np.ndarray:
    """Run a student's preprocessing function; it must return a numpy array."""
    out = call_student(function, data)
    if not isinstance(out, np.ndarray):
        raise CheckFailure(f"{name} should return a numpy array\n  expected: numpy.ndarray\n"
                           f"  received: {type(out).__name__}\n  hint: return the array you built",
                           mistake="wrong_type")
    return out


def run_pipeline(*, preprocess: Callable, one_hot: Callable, build: Callable, compile_model: Callable,
                 data: tuple, setup: TrainingSetup, what: str) -> TrainingResult:
    """The student's pipeline end to end: preprocess, one-hot, build, compile, train to the threshold."""
    (x_train, y_train), (x_test, y_test) = data
    name = getattr(preprocess, "__name__", "preprocess")
    train = (prepare(preprocess, x_train, name), prepare(one_hot, y_train, "one_hot"))
    test = (prepare(preprocess, x_test, name), np.asarray(y_test).reshape(-1))
    return train_until_accuracy(build, compile_model, train, test, setup, what)


def describe_run(result: TrainingResult) -> str:
    """Per-epoch test accuracy and the last training/validation figures, for a failure text."""
    accs = ", ".join(f"{a:.3f}" for a in result.test_accuracy) or "none"
    last = {k: v[-1] for k, v in result.history.items() if v}
    figures = ", ".join(f"{k} {v:.3f}" for k, v in sorted(last.items()))
    return f"test accuracy after each epoch: {accs}; last epoch: {figures or 'no history'}"


def expect_accuracy(result: TrainingResult, setup: TrainingSetup, what: str, hint: str,
                    mistake: str = "below_threshold") -> None:
    """Fail unless the run reached ``setup.threshold`` test accuracy within the epoch cap."""
    if result.best_accuracy >= setup.threshold:
        return
    raise CheckFailure(
        f"{what}: test accuracy stayed below the threshold\n"
        f"  expected: test accuracy >= {setup.threshold:.3f} within {setup.max_epochs} epochs "
        f"({setup.n_train:,} training images, batch size {setup.batch_size}, seed {setup.seed})\n"
        f"  received: best {result.best_accuracy:.3f} ({describe_run(result)})\n"
        f"  hint: {hint}", mistake=mistake)


# --------------------------------------------------------------------------
# Regularization: compare how models of one family behave on the same data


def binary_cross_entropy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """Plain binary cross-entropy of the model's predictions (no regularization penalty)."""
    p = np.clip(model_outputs(model, x, 512).astype(np.float64).reshape(-1), 1e-7, 1 - 1e-7)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@dataclass
class CurveResult:
    """One model's run in a regularization comparison."""

    val_loss: list[float]
    train_loss: list[float]
    final_val_bce: float
    final_train_bce: float

    @property
    def overfitting_gap(self) -> float:
        """Validation minus training cross-entropy after the last epoch (no dropout, no penalty)."""
        return self.final_val_bce - self.final_train_bce

    @property
    def best_epoch(self) -> int:
        return int(np.argmin(self.val_loss)) + 1 if self.val_loss else 0


_CURVES: dict[tuple, CurveResult] = {}


def _curve_key(build, compile_model, setup, epochs, data_key, per_epoch_validation) -> tuple:
    return (build, compile_model, setup, epochs, data_key, per_epoch_validation)


def build_curve_model(build: Callable[[], Any], compile_model: Callable[[Any], Any], setup: TrainingSetup,
                      what: str) -> Any:
    """The student's compiled model, built from the setup's seed (the student's code runs here, not in fit)."""
    seed_everything(setup.seed)
    model = build_student_model(build, what)
    compiled = call_student(compile_model, model)
    model = compiled if compiled is not None else model
    require_compiled(model, what)
    return model


def fit_curve(model: Any, train: tuple, validation: tuple, setup: TrainingSetup, epochs: int,
              per_epoch_validation: bool) -> CurveResult:
    """Train a built model; training draws from the setup's seed, whatever building drew before."""
    seed_everything(setup.seed)
    history = fit_model(model, train, validation if per_epoch_validation else None, setup, epochs=epochs)
    result = CurveResult(val_loss=history.get("val_loss", []), train_loss=history.get("loss", []),
                         final_val_bce=binary_cross_entropy(model, *validation),
                         final_train_bce=binary_cross_entropy(model, *train))
    del model
    free_models()
    return result


def vectorized_split(vectorize: Callable, data: tuple, setup: TrainingSetup, dimension: int):
    """The student's multi-hot vectors of the training subset, split into (fit, validation)."""
    (x_train, y_train), _ = data
    x = prepare(vectorize, x_train, "vectorize_sequences")
    if x.shape != (len(x_train), dimension):
        raise CheckFailure(f"vectorize_sequences gave the wrong shape for the IMDB reviews\n"
                           f"  expected: ({len(x_train)}, {dimension})\n  received: {x.shape}\n"
                           f"  hint: one row per review, one column per word index", mistake="wrong_shape")
    fit, validation = split_validation(x, np.asarray(y_train, dtype=np.float32), setup.validation_fraction)
    return fit, validation


def call_text(build: Callable) -> str:
    """How a builder is called, for messages: ``build_l2_model(factor=0.01)``."""
    if isinstance(build, functools.partial):
        args = [repr(a) for a in build.args] + [f"{k}={v!r}" for k, v in build.keywords.items()]
        return f"{getattr(build.func, '__name__', 'builder')}({', '.join(args)})"
    return f"{getattr(build, '__name__', 'builder')}()"


def imdb_curves(vectorize: Callable, compile_model: Callable, builders: dict[str, tuple[Callable, int]],
                data: tuple, setup: TrainingSetup, dimension: int,
                best_epoch_needed: tuple[str, ...] = ("original", "bigger")) -> dict[str, CurveResult]:
    """Train each ``name: (builder, epochs)`` on the student's vectors of the IMDB subset.

    Validation loss is tracked every epoch only for the models in ``best_epoch_needed``
    (the others are judged on their final cross-entropies, which is cheaper).
    """
    # Every student call comes before any training, the models first, then the (large) data:
    # in a small box the student's process is stopped when training starts, and the judge
    # needs it no more.
    keys = {name: _curve_key(build, compile_model, setup, epochs, vectorize, name in best_epoch_needed)
            for name, (build, epochs) in builders.items()}
    models = {name: build_curve_model(build, compile_model, setup, call_text(build))
              for name, (build, _) in builders.items() if keys[name] not in _CURVES}
    train, validation = vectorized_split(vectorize, data, setup, dimension)
    for name, model in models.items():
        _CURVES[keys[name]] = fit_curve(model, train, validation, setup, builders[name][1],
                                        name in best_epoch_needed)
    models.clear()
    return {name: _CURVES[keys[name]] for name in builders}


def bigger_overfits_sooner(original: CurveResult, bigger: CurveResult) -> bool:
    """The bigger model reaches its lowest validation loss in an earlier epoch than the original.

    The bigger model trains for fewer epochs (it is the costly one), so "no later" would
    hold for any original that is still improving at that epoch; "earlier" also fails a
    training set-up that makes the original overfit as soon as the bigger one does
    (a far too large learning rate, for example).
    """
    return bigger.best_epoch < original.best_epoch


def overfits_less(original: CurveResult, regularized: CurveResult) -> bool:
    """The regularized model ends with a smaller validation-minus-training cross-entropy gap."""
    return regularized.overfitting_gap < original.overfitting_gap


def format_curve(name: str, curve: CurveResult) -> str:
    losses = ", ".join(f"{v:.3f}" for v in curve.val_loss)
    per_epoch = f"validation loss per epoch [{losses}], best epoch {curve.best_epoch}, " if losses else ""
    return (f"{name}: {per_epoch}"
            f"final cross-entropy validation {curve.final_val_bce:.3f} - training {curve.final_train_bce:.3f} "
            f"= gap {curve.overfitting_gap:.3f}")


# --------------------------------------------------------------------------
# Compile settings


def _plain_name(value: Any) -> str:
    """A loss, metric or optimizer as a bare lower-case name: ``"categoricalcrossentropy"``."""
    if isinstance(value, dict):
        value = value.get("class_name") if value.get("class_name") not in (None, "function") else value.get("config")
    if not isinstance(value, str):
        value = getattr(value, "name", None) or getattr(value, "__name__", None) or type(value).__name__
    return str(value).lower().replace("_", "")


ACCURACY_NAMES = {"accuracy", "acc", "categoricalaccuracy", "binaryaccuracy", "sparsecategoricalaccuracy"}


def check_compile_settings(compile_model: Callable[[Any], Any], model: Any, *, optimizer: str, loss: str,
                           what: str = "compile_model(model)") -> Any:
    """The student's ``compile_model`` must compile ``model`` with ``optimizer``, ``loss`` and accuracy, and return it."""
    returned = call_student(compile_model, model)
    if returned is not model:
        raise CheckFailure(f"{what} should return the model it compiled\n  expected: the same model object\n"
                           f"  received: {type(returned).__name__}\n  hint: end with `return model`",
                           mistake="not_returned")
    require_compiled(model, what)
    config = model.get_compile_config() or {}
    got_optimizer = type(model.optimizer).__name__
    got_loss = _plain_name(config.get("loss", model.loss))
    metrics = config.get("metrics") or []
    metric_names = {_plain_name(m) for m in (metrics if isinstance(metrics, (list, tuple)) else [metrics])}
    wanted_loss = loss.lower().replace("_", "")
    problems = {}   # mistake name -> what was received; the first names the failure
    if got_optimizer.lower() != optimizer.lower():
        problems["wrong_optimizer"] = f"optimizer {got_optimizer} instead of {optimizer}"
    if got_loss != wanted_loss:
        problems["wrong_loss"] = f"loss {got_loss} instead of {loss}"
    if not metric_names & ACCURACY_NAMES:
        problems["no_accuracy_metric"] = f"metrics {sorted(metric_names) or 'none'} without accuracy"
    if problems:
        raise CheckFailure(f"{what}: the compile settings differ\n"
                           f"  expected: optimizer {optimizer}, loss {loss}, metrics ['accuracy']\n"
                           f"  received: {'; '.join(problems.values())}\n"
                           f"  hint: model.compile(optimizer=\"{optimizer.lower()}\", loss=\"{loss}\", "
                           f"metrics=[\"accuracy\"])", mistake=next(iter(problems)))
    return model
