"""The architecture check both ways: the references pass, plausible wrong models fail with a clear table."""

from __future__ import annotations

import os
import random
import re
from pathlib import Path
from typing import Callable

import keras
import pytest

from autograder.checks.architecture import (ARCHITECTURE_MISTAKES, FIELDS, ModelSpec, ModelSpecError,
                                            check_architecture, compare_model, conv2d, dense, expected_params,
                                            layer, mistake_for, spec_rows)
from autograder.checks.values import CheckFailure
from autograder.plugin import import_file
from autograder.specs.cifar_cnn import cifar_model_spec
from autograder.specs.mnist_cnn import cnn_model_spec, dense_model_spec
from autograder.specs.regularization import dense_stack_spec
from tests.helpers.model_specs import cifar, imdb_stack, mnist_dense

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
L, Input = keras.layers, keras.Input


@pytest.fixture(scope="module")
def ref():
    """The reference solutions, by exercise module name."""
    return {name: import_file(SOLUTIONS / f"{name}.py", f"kit_ref_{name}")
            for name in ("regularization", "mnist_cnn", "cifar_cnn")}


def failure_text(build, spec: ModelSpec, *args, mistake: str, **kwargs) -> str:
    """The failure text of ``check_architecture``, whose failure must name ``mistake``."""
    with pytest.raises(CheckFailure) as info:
        check_architecture(build, spec, "the builder", *args, **kwargs)
    assert info.value.mistake == mistake, str(info.value)
    return str(info.value)


def marked_line(text: str) -> str:
    """The table line marked as the first difference."""
    lines = [line for line in text.splitlines() if line.startswith(">>>")]
    assert len(lines) == 1, text
    return lines[0]


def imdb_model(*layers, input_shape=(10000,)) -> keras.Model:
    return keras.Sequential([Input(shape=input_shape), *layers])


# --------------------------------------------------------------------------
# The specs agree with themselves and with the parameter counts the exercise texts state

# Each exercise's model specs (the spec's total_params is the one place a figure is typed).
MODEL_SPECS = {
    "regularization": [dense_stack_spec(16), dense_stack_spec(8), dense_stack_spec(512),
                       dense_stack_spec(16, regularizer=("L2", 0.001)), dense_stack_spec(16, dropout_rate=0.5)],
    "mnist_cnn": [dense_model_spec(), cnn_model_spec((2, 2)), cnn_model_spec((1, 1))],
    "cifar_cnn": [cifar_model_spec()],
}
# A parameter count in a text: "423,860 parameters", "1,690,100 weights", "160,016 params".
STATED_COUNT = re.compile(r"(\d{1,3}(?:,\d{3})+)\s+(?:parameters|params|weights)\b")
ROOT = SOLUTIONS.parent


def spec_figures(specs: list[ModelSpec]) -> set[int]:
    """Every count the specs give: each model's total and each layer's parameters."""
    return {n for spec in specs for n in [spec.total_params, *expected_params(spec)]}


def stated_counts(path: Path) -> set[int]:
    return {int(m.group(1).replace(",", "")) for m in STATED_COUNT.finditer(path.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("spec", [s for specs in MODEL_SPECS.values() for s in specs], ids=repr)
def test_spec_total_agrees_with_its_layers(spec):
    assert spec.total_params is not None and sum(expected_params(spec)) == spec.total_params


@pytest.mark.parametrize("exercise", MODEL_SPECS)
def test_exercise_texts_state_the_specs_counts(exercise):
    """The reference's docstrings (hence the stub's) and the narrative state the specs' counts, and no other."""
    texts = [SOLUTIONS / f"{exercise}.py", ROOT / "narrative" / f"{exercise}.md"]
    figures = spec_figures(MODEL_SPECS[exercise])
    stated = {path.name: stated_counts(path) for path in texts}
    assert {name: sorted(counts - figures) for name, counts in stated.items() if counts - figures} == {}, \
        "a text states a count no spec gives (stale after a change of the model?)"
    totals = {spec.total_params for spec in MODEL_SPECS[exercise]}
    assert totals <= set().union(*stated.values()), "a model's total is stated in no text"


def test_the_docs_state_only_the_specs_counts():
    figures = spec_figures([s for specs in MODEL_SPECS.values() for s in specs])
    assert stated_counts(ROOT / "docs" / "keras_exercises.md") - figures == set()


def test_the_text_check_catches_a_stale_count(tmp_path):
    total = cnn_model_spec((2, 2)).total_params
    stale = tmp_path / "mnist_cnn.md"
    stale.write_text((ROOT / "narrative" / "mnist_cnn.md").read_text().replace(f"{total:,}", f"{total + 1:,}"))
    assert total + 1 in stated_counts(stale) - spec_figures(MODEL_SPECS["mnist_cnn"])


# --------------------------------------------------------------------------
# References pass


@pytest.mark.parametrize("builder, spec, kwargs", [
    ("build_original_model", dense_stack_spec(16), {}),
    ("build_smaller_model", dense_stack_spec(8), {}),
    ("build_bigger_model", dense_stack_spec(512), {}),
    ("build_l2_model", dense_stack_spec(16, regularizer=("L2", 0.001)), {}),
    ("build_l2_model", dense_stack_spec(16, regularizer=("L2", 0.01)), {"factor": 0.01}),
    ("build_l1_model", dense_stack_spec(16, regularizer=("L1", 0.001)), {}),
    ("build_l1_model", dense_stack_spec(16, regularizer=("L1", 0.005)), {"factor": 0.005}),
    ("build_dropout_model", dense_stack_spec(16, dropout_rate=0.5), {}),
    ("build_dropout_model", dense_stack_spec(16, dropout_rate=0.3), {"rate": 0.3}),
])
def test_regularization_references_pass(ref, builder, spec, kwargs):
    model = check_architecture(getattr(ref["regularization"], builder), spec, builder, **kwargs)
    assert isinstance(model, keras.Model)


def test_mnist_and_cifar_references_pass(ref):
    check_architecture(ref["mnist_cnn"].build_dense_model, dense_model_spec(), "dense")
    check_architecture(ref["mnist_cnn"].build_cnn_model, cnn_model_spec((2, 2)), "cnn")
    check_architecture(ref["mnist_cnn"].build_cnn_model, cnn_model_spec((1, 1)), "cnn 1x1", pool_size=(1, 1))
    check_architecture(ref["cifar_cnn"].build_cifar_model, cifar_model_spec(), "cifar")


def test_functional_model_with_same_layers_passes():
    inputs = Input(shape=(784,))
    outputs = L.Dense(10, activation="softmax")(L.Dense(100, activation="relu")(inputs))
    check_architecture(lambda: keras.Model(inputs, outputs), mnist_dense(), "functional")


def test_regularizer_given_as_l1l2_with_one_factor_passes():
    def build():
        reg = keras.regularizers.L1L2(l2=0.001)
        return imdb_model(L.Dense(16, "relu", kernel_regularizer=reg), L.Dense(16, "relu", kernel_regularizer=reg),
                          L.Dense(1, "sigmoid"))
    check_architecture(build, imdb_stack(16, regularizer=("L2", 0.001)), "l1l2")


# --------------------------------------------------------------------------
# Plausible wrong models fail, and the table marks the first difference


def test_wrong_units_marks_the_layer():
    text = failure_text(lambda: imdb_model(L.Dense(32, "relu"), L.Dense(16, "relu"), L.Dense(1, "sigmoid")),
                        imdb_stack(16), mistake="units")
    assert "first difference: layer 1, units" in text
    line = marked_line(text)
    assert line.split()[1] == "1" and "Dense(16, relu)" in line and "Dense(32, relu)" in line
    assert "hint: layer 1 should have 16 units" in text


def test_missing_layer_is_caught_not_truncated():
    text = failure_text(lambda: imdb_model(L.Dense(16, "relu"), L.Dense(1, "sigmoid")), imdb_stack(16),
                        mistake="units")   # the first difference names the mistake: Dense(1) where Dense(16) belongs
    assert "first difference: layer 2" in text
    assert "(no layer)" in text  # the table shows the missing third row


def test_missing_last_layer_is_named_missing_layer():
    text = failure_text(lambda: imdb_model(L.Dense(16, "relu"), L.Dense(16, "relu")), imdb_stack(16),
                        mistake="missing_layer")
    assert "first difference: layer 3, layer" in text and "missing layer 3: a Dense layer" in text


def test_extra_layer_is_caught():
    text = failure_text(lambda: imdb_model(L.Dense(16, "relu"), L.Dense(16, "relu"), L.Dense(1, "sigmoid"),
                                           L.Dense(1, "sigmoid")), imdb_stack(16), mistake="extra_layer")
    assert "first difference: layer 4, layer" in text
    assert "extra layer at position 4" in text
    assert marked_line(text).rstrip().endswith("params") and "(no layer)" in marked_line(text)


def test_wrong_activation():
    text = failure_text(lambda: imdb_model(L.Dense(16, "relu"), L.Dense(16, "sigmoid"), L.Dense(1, "sigmoid")),
                        imdb_stack(16), mistake="activation")
    assert "layer 2, activation" in text and "activation='relu'" in text


def test_linear_hidden_layer():
    text = failure_text(lambda: keras.Sequential([Input(shape=(784,)), L.Dense(100), L.Dense(10, "softmax")]),
                        mnist_dense(), mistake="activation")
    assert "layer 1, activation" in text and "linear" in text


def test_separate_activation_layer_gets_a_hint():
    text = failure_text(lambda: keras.Sequential([Input(shape=(784,)), L.Dense(100), L.Activation("relu"),
                                                  L.Dense(10, "softmax")]), mnist_dense(), mistake="activation")
    assert "layer 1, activation" in text


def test_activation_layer_in_place_of_a_layer_is_named_separate_activation():
    text = failure_text(lambda: keras.Sequential([Input(shape=(784,)), L.Dense(100, "relu"), L.Activation("relu"),
                                                  L.Dense(10, "softmax")]), mnist_dense(),
                        mistake="separate_activation")
    assert "layer 2, kind" in text and "separate Activation layer" in text


def test_every_mistake_the_table_can_name_is_declared():
    rows = ({"kind": "Dense"}, {"kind": "Activation"})
    fields = ("layer", "kind", *FIELDS, "momentum", "output_shape", "params")   # momentum: another setting
    named = {mistake_for(name, row) for name in fields for row in rows} | {mistake_for("layer", None)}
    assert named | {"input_shape", "not_a_model", "param_count"} == set(ARCHITECTURE_MISTAKES)


def test_l2_on_the_output_layer_fails():
    reg = keras.regularizers.L2
    text = failure_text(lambda: imdb_model(L.Dense(16, "relu", kernel_regularizer=reg(0.001)),
                                           L.Dense(16, "relu", kernel_regularizer=reg(0.001)),
                                           L.Dense(1, "sigmoid", kernel_regularizer=reg(0.001))),
                        imdb_stack(16, regularizer=("L2", 0.001)), mistake="regularizer")
    assert "layer 3, regularizer" in text and "not the output layer" in text


def test_wrong_regularizer_factor_fails():
    reg = keras.regularizers.L2
    text = failure_text(lambda: imdb_model(L.Dense(16, "relu", kernel_regularizer=reg(0.001)),
                                           L.Dense(16, "relu", kernel_regularizer=reg(0.001)), L.Dense(1, "sigmoid")),
                        imdb_stack(16, regularizer=("L2", 0.01)), mistake="regularizer")
    assert "layer 1, regularizer" in text and "L2(0.01)" in text and "L2(0.001)" in text
    assert "(use the factor your builder is given)" in text


def test_l1_instead_of_l2_fails():
    reg = keras.regularizers.L1
    text = failure_text(lambda: imdb_model(L.Dense(16, "relu", kernel_regularizer=reg(0.001)),
                                           L.Dense(16, "relu", kernel_regularizer=reg(0.001)), L.Dense(1, "sigmoid")),
                        imdb_stack(16, regularizer=("L2", 0.001)), mistake="regularizer")
    assert "layer 1, regularizer" in text


def test_wrong_dropout_rate_fails():
    text = failure_text(lambda: imdb_model(L.Dense(16, "relu"), L.Dropout(0.3), L.Dense(16, "relu"), L.Dropout(0.3),
                                           L.Dense(1, "sigmoid")), imdb_stack(16, dropout_rate=0.5),
                        mistake="rate")
    assert "layer 2, rate" in text and "fraction of inputs to drop, here 0.5" in text


def test_missing_dropout_fails():
    text = failure_text(lambda: imdb_model(L.Dense(16, "relu"), L.Dense(16, "relu"), L.Dense(1, "sigmoid")),
                        imdb_stack(16, dropout_rate=0.5), mistake="layer_kind")
    assert "layer 2, kind" in text and "should be a Dropout layer" in text
    assert "your model has 3 layers after the input, the exercise asks for 5" in text


def test_pool_one_instead_of_two_fails(ref):
    text = failure_text(lambda: ref["mnist_cnn"].build_cnn_model(pool_size=(1, 1)), cnn_model_spec((2, 2)),
                        mistake="pool_size")
    assert "layer 2, pool_size" in text and "pools nothing" in text
    assert f"{max(expected_params(cnn_model_spec((1, 1)))):,}" in text  # the Dense layer after an unpooled map


def test_ignoring_the_pool_size_argument_fails(ref):
    text = failure_text(ref["mnist_cnn"].build_cnn_model, cnn_model_spec((1, 1)), mistake="pool_size")
    assert "layer 2, pool_size" in text


def test_wrong_padding_in_cifar_model():
    def build():
        conv = dict(kernel_size=(3, 3), activation="relu")
        return keras.Sequential([
            Input(shape=(32, 32, 3)), L.Conv2D(50, padding="same", **conv), L.Conv2D(75, padding="valid", **conv),
            L.MaxPool2D(), L.Dropout(0.25), L.Conv2D(125, padding="same", **conv), L.MaxPool2D(), L.Dropout(0.25),
            L.Flatten(), L.Dense(500, "relu"), L.Dropout(0.4), L.Dense(250, "relu"), L.Dropout(0.3),
            L.Dense(10, "softmax")])
    text = failure_text(build, cifar(), mistake="padding")
    assert "layer 2, padding" in text and "'same' keeps the image size" in text


def test_wrong_input_shape_fails():
    text = failure_text(lambda: keras.Sequential([Input(shape=(28, 28)), L.Flatten(), L.Dense(100, "relu"),
                                                  L.Dense(10, "softmax")]), mnist_dense(), mistake="input_shape")
    assert "input shape" in text and "keras.Input(shape=(784,))" in text


def test_model_without_input_fails():
    text = failure_text(lambda: keras.Sequential([L.Dense(100, "relu"), L.Dense(10, "softmax")]), mnist_dense(),
                        mistake="input_shape")
    assert "no defined input" in text


def test_builder_that_raises_fails_with_its_error():
    def build():
        raise ValueError("kernel_size must be a tuple")
    text = failure_text(build, mnist_dense(), mistake="crash")
    assert "raised ValueError: kernel_size must be a tuple" in text


def test_unimplemented_builder_stays_not_implemented():
    def build():
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        check_architecture(build, mnist_dense(), "stub")


@pytest.mark.parametrize("returned", [None, [L.Dense(100, "relu"), L.Dense(10, "softmax")], "model"])
def test_non_keras_return_fails(returned):
    text = failure_text(lambda: returned, mnist_dense(), mistake="not_a_model")
    assert "should return a Keras model" in text


def test_lying_count_params_does_not_fool_the_check():
    class Liar(keras.Sequential):
        def count_params(self):
            return mnist_dense().total_params

    text = failure_text(lambda: Liar([Input(shape=(784,)), L.Dense(200, "relu"), L.Dense(10, "softmax")]),
                        mnist_dense(), mistake="units")
    assert "layer 1, units" in text and "157,000" in text


def test_weights_outside_the_layers_are_counted():
    class Extra(keras.Sequential):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.hidden_extra = self.add_weight(shape=(7,), name="extra")

    model = Extra([Input(shape=(784,)), L.Dense(100, "relu"), L.Dense(10, "softmax")])
    with pytest.raises(CheckFailure, match=f"{mnist_dense().total_params + 7:,}") as info:
        compare_model(model, mnist_dense(), "extra weights")
    assert info.value.mistake == "param_count"


def test_spec_rows_show_expected_params():
    rows = spec_rows(mnist_dense())
    assert [r["params"] for r in rows] == expected_params(mnist_dense())
    assert sum(r["params"] for r in rows) == mnist_dense().total_params


# --------------------------------------------------------------------------
# Any built-in Keras layer in a spec: Keras builds the expected layers, no kit code per layer


def sequential(input_shape, *layers) -> Callable[[], keras.Model]:
    """A builder of ``layers`` after ``keras.Input(input_shape)`` (new layer objects on each call)."""
    return lambda: keras.Sequential([Input(shape=input_shape), *[make() for make in layers]])


# name: (spec, the reference's builder, a plausible wrong builder, the mistake it must be named)
ANY_LAYER_CASES = {
    # the exercise: Dense 64 → BatchNormalization → Dense 10, 2,250 parameters; BN placed before the Dense
    "BatchNormalization": (
        ModelSpec((20,), (dense(64, "relu"), layer("BatchNormalization"), dense(10, "softmax")), total_params=2_250),
        sequential((20,), lambda: L.Dense(64, "relu"), L.BatchNormalization, lambda: L.Dense(10, "softmax")),
        sequential((20,), L.BatchNormalization, lambda: L.Dense(64, "relu"), lambda: L.Dense(10, "softmax")),
        "layer_kind"),
    # a setting the spec names that the kit has no field for: momentum
    "BatchNormalization(momentum)": (
        ModelSpec((20,), (dense(64, "relu"), layer("BatchNormalization", momentum=0.9), dense(10, "softmax"))),
        sequential((20,), lambda: L.Dense(64, "relu"), lambda: L.BatchNormalization(momentum=0.9),
                   lambda: L.Dense(10, "softmax")),
        sequential((20,), lambda: L.Dense(64, "relu"), L.BatchNormalization, lambda: L.Dense(10, "softmax")),
        "setting"),
    "LayerNormalization": (
        ModelSpec((20,), (dense(64, "relu"), layer("LayerNormalization"), dense(10, "softmax")), total_params=2_122),
        sequential((20,), lambda: L.Dense(64, "relu"), L.LayerNormalization, lambda: L.Dense(10, "softmax")),
        sequential((20,), lambda: L.Dense(64, "relu"), L.BatchNormalization, lambda: L.Dense(10, "softmax")),
        "layer_kind"),
    "Embedding": (
        ModelSpec((50,), (layer("Embedding", input_dim=1000, output_dim=16), layer("GlobalAveragePooling1D"),
                          dense(1, "sigmoid")), total_params=16_017),
        sequential((50,), lambda: L.Embedding(1000, 16), L.GlobalAveragePooling1D, lambda: L.Dense(1, "sigmoid")),
        sequential((50,), lambda: L.Embedding(1000, 32), L.GlobalAveragePooling1D, lambda: L.Dense(1, "sigmoid")),
        "setting"),
    "GlobalAveragePooling2D": (
        ModelSpec((28, 28, 1), (conv2d(8), layer("GlobalAveragePooling2D"), dense(10, "softmax")), total_params=170),
        sequential((28, 28, 1), lambda: L.Conv2D(8, 3, activation="relu"), L.GlobalAveragePooling2D,
                   lambda: L.Dense(10, "softmax")),
        sequential((28, 28, 1), lambda: L.Conv2D(8, 3, activation="relu"), L.GlobalMaxPooling2D,
                   lambda: L.Dense(10, "softmax")),
        "layer_kind"),
    "Conv1D": (
        ModelSpec((100, 1), (layer("Conv1D", filters=16, kernel_size=5, activation="relu"),
                             layer("GlobalMaxPooling1D"), dense(1, "sigmoid")), total_params=113),
        sequential((100, 1), lambda: L.Conv1D(16, 5, activation="relu"), L.GlobalMaxPooling1D,
                   lambda: L.Dense(1, "sigmoid")),
        sequential((100, 1), lambda: L.Conv1D(16, 3, activation="relu"), L.GlobalMaxPooling1D,
                   lambda: L.Dense(1, "sigmoid")),
        "kernel_size"),
    "LSTM": (
        ModelSpec((30, 8), (layer("LSTM", units=32), dense(1, "sigmoid")), total_params=5_281),
        sequential((30, 8), lambda: L.LSTM(32), lambda: L.Dense(1, "sigmoid")),
        sequential((30, 8), lambda: L.LSTM(16), lambda: L.Dense(1, "sigmoid")),
        "units"),
    # a setting the spec leaves open changes the output: return_sequences
    "LSTM(return_sequences)": (
        ModelSpec((30, 8), (layer("LSTM", units=32), dense(1, "sigmoid"))),
        sequential((30, 8), lambda: L.LSTM(32), lambda: L.Dense(1, "sigmoid")),
        sequential((30, 8), lambda: L.LSTM(32, return_sequences=True), lambda: L.Dense(1, "sigmoid")),
        "output_shape"),
}


@pytest.mark.parametrize("case", ANY_LAYER_CASES)
def test_any_keras_layer_reference_passes(case):
    spec, reference, _, _ = ANY_LAYER_CASES[case]
    model = check_architecture(reference, spec, case)
    assert sum(expected_params(spec)) == model.count_params()   # Keras' own count, not the kit's


@pytest.mark.parametrize("case", ANY_LAYER_CASES)
def test_any_keras_layer_mistake_fails(case):
    spec, _, wrong, mistake = ANY_LAYER_CASES[case]
    text = failure_text(wrong, spec, mistake=mistake)
    assert "first difference: layer" in text and "hint: " in text


def test_a_setting_the_spec_names_is_told_in_the_students_words():
    spec, _, wrong, _ = ANY_LAYER_CASES["Embedding"]
    text = failure_text(wrong, spec, mistake="setting")
    line = marked_line(text)
    assert "Embedding(input_dim=1000, output_dim=16)" in line and "Embedding(input_dim=1000, output_dim=32)" in line
    assert "hint: layer 1 should have output_dim=16" in text


def test_an_output_shape_difference_names_both_shapes():
    spec, _, wrong, _ = ANY_LAYER_CASES["LSTM(return_sequences)"]
    text = failure_text(wrong, spec, mistake="output_shape")
    assert "layer 1 has the right settings but gives output shape (30, 32) instead of (32,)" in text


def test_settings_the_spec_does_not_name_are_free():
    spec = ModelSpec((20,), (layer("Dense", units=64), layer("BatchNormalization")))
    check_architecture(sequential((20,), lambda: L.Dense(64, "tanh", name="anything", kernel_initializer="zeros"),
                                  lambda: L.BatchNormalization(momentum=0.5, dtype="float32")), spec, "free")


def test_a_spec_whose_total_disagrees_with_its_layers_is_refused():
    spec = ModelSpec((20,), (dense(64, "relu"), layer("BatchNormalization"), dense(10, "softmax")),
                     total_params=9_999)
    with pytest.raises(ModelSpecError, match="total_params=9,999, but Keras builds its layers with 2,250"):
        check_architecture(ANY_LAYER_CASES["BatchNormalization"][1], spec, "wrong total")


@pytest.mark.parametrize("bad_layer, words", [
    (layer("BatchNormalisation"), "no layer class of keras.layers"),
    (layer("Dense", units=4, kernel_regularizer="L2 0.01"), "write a regularizer as"),
    (layer("Dense", unit=4), "cannot be built"),
])
def test_a_spec_keras_cannot_build_is_refused(bad_layer, words):
    with pytest.raises(ModelSpecError, match=words):
        spec_rows(ModelSpec((20,), (bad_layer,)))


def test_building_the_spec_leaves_the_random_state_alone():
    state = random.getstate()
    spec_rows(ModelSpec((7,), (dense(3, "relu"), layer("Dropout", rate=0.1), dense(2, "softmax"))))
    assert random.getstate() == state

