"""Compare a student's Keras model with a declarative spec, layer by layer.

A spec lists the input shape and the layers after it, each a Keras layer class named with
the settings the exercise fixes: ``layer("BatchNormalization")``, ``layer("Embedding",
input_dim=1000, output_dim=16)``, or the shorthands ``dense``, ``conv2d``, ``max_pool``,
``dropout`` and ``flatten``. Any built-in layer of ``keras.layers`` works: the expected
layers — class, output shape, parameter count and the named settings — come from Keras
building the spec's layers (never from a table of the kit's), and the student's layers are
described the same way from their configuration and weights (never from ``count_params``).
``check_architecture`` calls the student's builder and fails with a side-by-side table of
expected and actual layers that marks the first difference, plus a hint written for the
student. Keras is imported lazily, when a model is compared: importing a spec imports no
TensorFlow.
"""

from __future__ import annotations

import functools
import math
import random
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from autograder.checks.values import CheckFailure, call_student

# The settings whose difference has a mistake and a hint of its own, in the order the table shows them
# (other settings a spec names follow them, in the spec's order); "regularizer" is a spec's
# kernel_regularizer, shown with the layer's bias and activity regularizers.
FIELDS = ("units", "filters", "kernel_size", "strides", "padding", "pool_size",
          "rate", "activation", "regularizer")

# The mistakes an architecture check names (a check using it declares them: ``mistakes=ARCHITECTURE_MISTAKES``):
# one per field of the first differing layer, and the model-wide ones.
ARCHITECTURE_MISTAKES = {
    "missing_layer": "the model has fewer layers than the exercise asks for",
    "extra_layer": "the model has a layer the exercise does not ask for",
    "layer_kind": "a layer of the wrong kind, or the layers in the wrong order",
    "separate_activation": "an activation added as a separate Activation layer instead of activation=...",
    "units": "a Dense layer with the wrong number of units",
    "filters": "a Conv2D layer with the wrong number of filters",
    "kernel_size": "a Conv2D layer with the wrong kernel size",
    "strides": "a Conv2D layer with the wrong strides",
    "padding": "a Conv2D layer with the wrong padding ('same' vs 'valid')",
    "pool_size": "a pooling layer with the wrong pool size",
    "rate": "a Dropout layer with the wrong rate",
    "activation": "a layer with the wrong activation (or none: linear)",
    "regularizer": "a wrong, missing or extra kernel regularizer (or a factor not the one given)",
    "setting": "a layer with another setting the exercise names set wrong (momentum, output_dim, axis, ...)",
    "output_shape": "a layer with the right settings but the wrong output shape",
    "params": "a layer with the right settings but the wrong number of parameters",
    "input_shape": "the model's input shape is wrong, or the model has no defined input",
    "not_a_model": "the builder does not return a Keras model",
    "param_count": "the model holds weights outside its layers (the total parameter count is wrong)",
}

# A setting a layer does not have (shown in the table, never equal to a value).
NOT_SET = "(not set)"


class ModelSpecError(ValueError):
    """A spec that Keras cannot build, or whose stated total disagrees with its layers: the kit's error."""


@dataclass(frozen=True)
class LayerSpec:
    """One expected layer: its ``keras.layers`` class name and the settings that matter for it."""

    kind: str
    settings: tuple[tuple[str, Any], ...] = ()

    def setting(self, name: str, default: Any = None) -> Any:
        """The value the spec gives ``name`` (``default`` when it names no such setting)."""
        return dict(self.settings).get(name, default)


@dataclass(frozen=True)
class ModelSpec:
    """An expected model: input shape (without the batch axis) and its layers in order."""

    input_shape: tuple[int, ...]
    layers: tuple[LayerSpec, ...]
    total_params: int | None = None  # as stated in the exercise; checked against the layers
    notes: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------
# Building specs


def _frozen(value: Any) -> Any:
    """A setting as a hashable plain value (lists become tuples)."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        raise TypeError("a layer setting in a spec is a plain value (a number, text, tuple or None), not a dict")
    return value


def layer(kind: str, **settings: Any) -> LayerSpec:
    """A layer of class ``keras.layers.<kind>`` with the settings the exercise fixes (the others are free).

    Settings are the layer's own keyword arguments; a ``*_regularizer`` is written as text,
    ``"L2(0.001)"``, ``"L1(0.01)"`` or ``"none"`` (no regularizer, and none allowed).
    """
    return LayerSpec(kind, tuple((name, _frozen(value)) for name, value in settings.items()))


def regularizer_text(kind: str | None, factor: float | None = None) -> str:
    """The one spelling of a kernel regularizer: ``"L2(0.001)"``, ``"L1(0.01)"``, ``"none"``."""
    return "none" if kind is None else f"{kind}({factor:g})"


def dense(units: int, activation: str, regularizer: tuple[str, float] | None = None) -> LayerSpec:
    """A Dense layer; ``regularizer`` is ``("L2", 0.001)``-style or None for no kernel regularizer."""
    return layer("Dense", units=units, activation=activation,
                 kernel_regularizer=regularizer_text(*regularizer) if regularizer else "none")


def conv2d(filters: int, kernel_size: tuple[int, int] = (3, 3), strides: tuple[int, int] = (1, 1),
           padding: str = "valid", activation: str = "relu") -> LayerSpec:
    """A Conv2D layer."""
    return layer("Conv2D", filters=filters, kernel_size=tuple(kernel_size), strides=tuple(strides),
                 padding=padding, activation=activation)


def max_pool(pool_size: tuple[int, int] = (2, 2)) -> LayerSpec:
    """A MaxPool2D layer (strides = pool size, Keras' default)."""
    return layer("MaxPool2D", pool_size=tuple(pool_size))


def dropout(rate: float) -> LayerSpec:
    """A Dropout layer."""
    return layer("Dropout", rate=rate)


def flatten() -> LayerSpec:
    """A Flatten layer."""
    return layer("Flatten")


# --------------------------------------------------------------------------
# Describing a layer — the spec's, as Keras builds it, and the student's — the same way


def _regularizer_name(reg: Any) -> str:
    if reg is None:
        return "none"
    config = reg.get_config() if hasattr(reg, "get_config") else {}
    l1, l2 = float(config.get("l1", 0.0) or 0.0), float(config.get("l2", 0.0) or 0.0)
    name = type(reg).__name__
    if name in ("L1", "L2") or (name == "L1L2" and (l1 == 0.0 or l2 == 0.0)):
        return regularizer_text("L1", l1) if l1 else regularizer_text("L2", l2)
    return f"{name}({', '.join(f'{k}={v:g}' for k, v in config.items() if isinstance(v, float))})"


def _all_regularizers(layer: Any) -> str:
    kernel = _regularizer_name(getattr(layer, "kernel_regularizer", None))
    others = [f"{what} {_regularizer_name(getattr(layer, what + '_regularizer', None))}"
              for what in ("bias", "activity") if getattr(layer, what + "_regularizer", None) is not None]
    return ", ".join([kernel] + others)


def layer_params(layer: Any) -> int:
    """Parameters of a layer counted from its weights' shapes."""
    return int(sum(math.prod(tuple(w.shape)) for w in layer.weights))


KIND_NAMES = {"MaxPooling2D": "MaxPool2D", "Convolution2D": "Conv2D"}

# The settings a student's layer shows when the spec names none for it (a layer of another kind than expected).
DEFAULT_SETTINGS = {"Dense": ("units", "activation", "kernel_regularizer"),
                    "Conv2D": ("filters", "kernel_size", "strides", "padding", "activation"),
                    "MaxPool2D": ("pool_size",), "Dropout": ("rate",), "Activation": ("activation",)}


def layer_kind(layer: Any) -> str:
    """The kind of a Keras layer: its class name (``MaxPooling2D`` spelt ``MaxPool2D``)."""
    return KIND_NAMES.get(type(layer).__name__, type(layer).__name__)


def field_of(setting: str) -> str:
    """The table's field of a spec's setting (``kernel_regularizer`` is ``regularizer``)."""
    return "regularizer" if setting == "kernel_regularizer" else setting


def _plain(value: Any) -> Any:
    """A configuration value as a spec writes it (tuples, Python numbers, a Keras object's class name)."""
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict) and "class_name" in value:
        return value["class_name"]
    return value


def layer_setting(layer: Any, name: str) -> Any:
    """The value of the setting ``name`` of a Keras layer, from its configuration (NOT_SET if it has none)."""
    if name in ("kernel_regularizer", "regularizer"):
        return _all_regularizers(layer)
    if name.endswith("_regularizer"):
        return _regularizer_name(getattr(layer, name, None))
    if name.endswith("activation"):
        function = getattr(layer, name, None)
        if callable(function):
            return getattr(function, "__name__", str(function))
    try:
        config = layer.get_config()
    except Exception:  # noqa: BLE001 - a layer of the student's own whose get_config fails
        config = {}
    if name in config:
        return _plain(config[name])
    try:
        return _plain(getattr(layer, name))
    except Exception:  # noqa: BLE001 - a property that fails is a setting the layer does not have
        return NOT_SET


def layer_output_shape(layer: Any) -> tuple | None:
    """A layer's output shape without the batch axis; None when the layer has no single output."""
    try:
        shape = layer.output.shape
    except Exception:  # noqa: BLE001 - never called on a symbolic input, shared, or several outputs
        return None
    return tuple(None if d is None else int(d) for d in shape[1:])


def _ordered(settings: tuple[str, ...] | list[str]) -> list[str]:
    """Settings in the table's order: FIELDS first, then the others as given."""
    rank = {name: i for i, name in enumerate(FIELDS)}
    return sorted(settings, key=lambda s: rank.get(field_of(s), len(FIELDS)))


def describe_layer(layer: Any, settings: tuple[str, ...] | list[str] | None = None) -> dict[str, Any]:
    """One layer of a Keras model as a description row: kind, ``settings`` (default: its kind's usual
    ones), output shape and parameters."""
    kind = layer_kind(layer)
    row: dict[str, Any] = {"kind": kind}
    for name in _ordered(DEFAULT_SETTINGS.get(kind, ()) if settings is None else settings):
        row[field_of(name)] = layer_setting(layer, name)
    row["output_shape"] = layer_output_shape(layer)
    row["params"] = layer_params(layer)
    return row


# --------------------------------------------------------------------------
# The spec's layers, built by Keras

_REGULARIZER = re.compile(r"^(L1|L2)\(([^)]*)\)$")


def _keras_setting(keras: Any, name: str, value: Any) -> Any:
    """A spec's setting as the layer's keyword argument (a regularizer's text as a Keras regularizer)."""
    if not name.endswith("_regularizer") or not isinstance(value, str):
        return value
    if value == "none":
        return None
    match = _REGULARIZER.match(value)
    if not match:
        raise ModelSpecError(f"{name}={value!r}: write a regularizer as 'L2(0.001)', 'L1(0.01)' or 'none'")
    return getattr(keras.regularizers, match.group(1))(float(match.group(2)))


def _build_layer(keras: Any, spec: LayerSpec) -> Any:
    """The Keras layer a spec's layer names."""
    cls = getattr(keras.layers, spec.kind, None)
    if not (isinstance(cls, type) and issubclass(cls, keras.layers.Layer)):
        raise ModelSpecError(f"the spec names a layer {spec.kind!r}, which is no layer class of keras.layers")
    settings = {name: _keras_setting(keras, name, value) for name, value in spec.settings}
    try:
        return cls(**settings)
    except (TypeError, ValueError) as exc:
        raise ModelSpecError(f"the spec's {spec.kind} layer cannot be built from {dict(spec.settings)}: {exc}") \
            from exc


@functools.lru_cache(maxsize=64)
def _built_rows(input_shape: tuple[int, ...], layers: tuple[LayerSpec, ...]) -> tuple[dict[str, Any], ...]:
    """The description rows of the spec's layers, as Keras builds them on ``input_shape``."""
    import keras

    saved = random.getstate(), np.random.get_state()   # initializers draw seeds from Python's random
    try:
        built = [_build_layer(keras, spec) for spec in layers]
        try:
            keras.Sequential([keras.Input(shape=input_shape), *built])
        except (TypeError, ValueError) as exc:
            raise ModelSpecError(f"Keras cannot build the spec's layers on the input shape {input_shape}: "
                                 f"{exc}") from exc
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
    return tuple(describe_layer(b, [name for name, _ in spec.settings]) for b, spec in zip(built, layers))


def spec_rows(spec: ModelSpec) -> list[dict[str, Any]]:
    """The spec's layers as description rows (the form ``describe_layer`` gives), built by Keras."""
    return [dict(row) for row in _built_rows(tuple(spec.input_shape), tuple(spec.layers))]


def expected_params(spec: ModelSpec) -> list[int]:
    """Parameters of each layer of ``spec``, as Keras builds its layers on the spec's input shape."""
    return [row["params"] for row in spec_rows(spec)]


def verified_rows(spec: ModelSpec) -> list[dict[str, Any]]:
    """``spec_rows``, refused (ModelSpecError) when the total the spec states disagrees with its layers."""
    rows = spec_rows(spec)
    counted = sum(row["params"] for row in rows)
    if spec.total_params is not None and counted != spec.total_params:
        kinds = ", ".join(row["kind"] for row in rows)
        raise ModelSpecError(
            f"the spec's model (input {tuple(spec.input_shape)}: {kinds}) states total_params="
            f"{spec.total_params:,}, but Keras builds its layers with {counted:,} parameters: correct the "
            "layers, or the total the exercise states (and the texts that state it)")
    return rows


# --------------------------------------------------------------------------
# A student's model


def model_layers(model: Any) -> list[Any]:
    """The model's layers after its input (InputLayer objects left out)."""
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


def model_input_shape(model: Any) -> tuple[int, ...] | None:
    """The model's input shape without the batch axis; None when the model has no defined input."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs or len(inputs) != 1:
        return None
    return tuple(None if d is None else int(d) for d in inputs[0].shape[1:])


def total_params(model: Any) -> int:
    """Every parameter of the model, counted from its weights (not from ``count_params``)."""
    seen: dict[int, Any] = {}
    for weight in model.weights:
        seen[id(weight)] = weight
    return int(sum(math.prod(tuple(w.shape)) for w in seen.values()))


def describe_model(model: Any, expected: list[dict[str, Any]], spec: ModelSpec) -> list[dict[str, Any]]:
    """The student's layers as rows, each with the settings the spec names at its position (when of that kind)."""
    rows = []
    for i, layer in enumerate(model_layers(model)):
        same_kind = i < len(expected) and layer_kind(layer) == expected[i]["kind"]
        rows.append(describe_layer(layer, [name for name, _ in spec.layers[i].settings] if same_kind else None))
    return rows


# --------------------------------------------------------------------------
# The table and the hints


ROW_WIDTH = 51  # the width of one format_row line
SHOWN_APART = ("kind", "output_shape", "params")   # not among a row's arguments


def _value_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _argument(name: str, value: Any) -> str | None:
    """One setting as the table writes it (None: not shown)."""
    if value == NOT_SET:
        return f"{name}={NOT_SET}"
    if name in ("units", "filters", "padding", "activation", "rate"):
        return _value_text(value)
    if name == "kernel_size" and isinstance(value, tuple):
        return "x".join(map(str, value))
    if name == "strides" and isinstance(value, tuple):
        return f"strides={value[0]}" if len(set(value)) == 1 else f"strides={value}"
    if name == "pool_size":
        return str(value)
    if name == "regularizer":
        return None if value == "none" else f"reg={value}"
    return f"{name}={_value_text(value)}"


def format_row(row: dict[str, Any] | None) -> str:
    """A description row as one short line, e.g. ``Dense(16, relu, reg=L2(0.001))  272 params``."""
    if row is None:
        return "(no layer)"
    args = [text for name, value in row.items() if name not in SHOWN_APART
            for text in [_argument(name, value)] if text is not None]
    text = f"{row['kind']}({', '.join(args)})"
    return f"{text:<34} {row['params']:>9,} params"


def _same(expected: Any, actual: Any) -> bool:
    numbers = (int, float)
    if isinstance(expected, numbers) and isinstance(actual, numbers) and \
            not isinstance(expected, bool) and not isinstance(actual, bool):
        return math.isclose(expected, actual, rel_tol=1e-6)
    return expected == actual


def first_difference(expected: dict | None, actual: dict | None) -> str | None:
    """The first field where two rows differ (``"layer"`` when one side has no layer), else None."""
    if expected is None or actual is None:
        return None if expected is actual else "layer"
    for name, value in expected.items():
        if not _same(value, actual.get(name, NOT_SET)):
            return name
    return None


def comparison_table(expected: list[dict], actual: list[dict]) -> tuple[list[str], int | None, str | None]:
    """Side-by-side lines of expected vs actual layers; the index and field of the first difference."""
    first_index, first_field = None, None
    lines = [f"     {'#':>2}  {'expected':<{ROW_WIDTH}}  actual"]
    for i in range(max(len(expected), len(actual))):
        exp = expected[i] if i < len(expected) else None
        act = actual[i] if i < len(actual) else None
        diff = first_difference(exp, act)
        marker = "   "
        if diff and first_index is None:
            first_index, first_field, marker = i, diff, ">>>"
        elif diff:
            marker = " ! "
        lines.append(f"{marker}  {i + 1:>2}  {format_row(exp):<{ROW_WIDTH}}  {format_row(act)}")
    return lines, first_index, first_field


def mistake_for(field_name: str, actual: dict | None) -> str:
    """The mistake name of a first difference in ``field_name`` (``actual``: the student's row there)."""
    if field_name == "layer":
        return "extra_layer" if actual is not None else "missing_layer"
    if field_name == "kind":
        return "separate_activation" if actual["kind"] == "Activation" else "layer_kind"
    return field_name if field_name in ARCHITECTURE_MISTAKES else "setting"


def _layer_hint(field_name: str, expected: dict | None, actual: dict | None, position: int) -> str:
    """The hint of a missing, extra or other kind of layer at ``position``."""
    where = f"layer {position}"
    if expected is None:
        return (f"your model has an extra layer at position {position} ({actual['kind']}); "
                "remove it" + (" and pass activation=... to the layer before instead"
                               if actual["kind"] == "Activation" else ""))
    if field_name == "layer":
        return f"your model is missing {where}: a {expected['kind']} layer belongs there"
    if actual["kind"] == "Activation":
        return (f"{where} is a separate Activation layer; pass activation='{actual['activation']}' "
                "to the layer before it instead")
    return f"{where} should be a {expected['kind']} layer, not {actual['kind']} (check the order of your layers)"


def hint_for(field_name: str, expected: dict | None, actual: dict | None, position: int) -> str:
    """A hint about the first difference, in the student's terms."""
    if field_name in ("layer", "kind"):
        return _layer_hint(field_name, expected, actual, position)
    where = f"layer {position}"
    kind = expected["kind"]
    hints = {
        "units": f"{where} should have {expected.get('units')} units: {kind}({expected.get('units')}, ...)",
        "filters": f"{where} should have {expected.get('filters')} filters: {kind}({expected.get('filters')}, ...)",
        "kernel_size": f"{where} should use kernel_size={expected.get('kernel_size')}",
        "strides": f"{where} should use strides={expected.get('strides')}",
        "padding": f"{where} should use padding='{expected.get('padding')}' "
                   "('same' keeps the image size, 'valid' shrinks it by the kernel size minus 1)",
        "pool_size": (f"{where} should pool with pool_size={expected.get('pool_size')}"
                      + ("; a (1, 1) window takes the maximum of one value, so it pools nothing"
                         if actual and actual.get("pool_size") == (1, 1) else "")),
        "rate": f"{where}: Dropout's argument is the fraction of inputs to drop, here {expected.get('rate'):g}"
                if isinstance(expected.get("rate"), float) else f"{where} should have rate={expected.get('rate')}",
        "activation": f"{where} should have activation='{expected.get('activation')}' "
                      "(a layer without one is linear)",
        "regularizer": (f"{where} should have kernel_regularizer {expected.get('regularizer')} "
                        "(use the factor your builder is given)"
                        if expected.get("regularizer") != "none" else
                        f"{where} should have no regularizer (regularize the hidden layers only, "
                        "not the output layer)"),
        "output_shape": f"{where} has the right settings but gives output shape {actual.get('output_shape')} "
                        f"instead of {expected.get('output_shape')} (per sample): check its other arguments "
                        "(strides, padding, return_sequences, ...)",
        "params": f"{where} has the right settings but {actual.get('params') if actual else 0:,} parameters "
                  f"instead of {expected.get('params'):,}: check the input shape and use_bias",
    }
    return hints.get(field_name, f"{where} should have {field_name}={_value_text(expected.get(field_name))} "
                                 f"({kind}({field_name}=...)), not {_value_text(actual.get(field_name))}")


# --------------------------------------------------------------------------
# The check


def build_student_model(build: Callable[..., Any], what: str, *args: Any, **kwargs: Any) -> Any:
    """Call the student's builder; it must return a Keras model (else CheckFailure)."""
    import keras

    model = call_student(build, *args, **kwargs)
    if not isinstance(model, keras.Model):
        raise CheckFailure(
            f"{what} should return a Keras model\n"
            f"  expected: a keras.Model (for example keras.Sequential([...]))\n"
            f"  received: {type(model).__name__}: {str(model)[:120]}\n"
            f"  hint: end the function with `return model`", mistake="not_a_model")
    return model


def _check_input_shape(model: Any, spec: ModelSpec, what: str) -> None:
    shape = model_input_shape(model)
    if shape != tuple(spec.input_shape):
        raise CheckFailure(
            f"{what}: the model's input shape is wrong\n"
            f"  expected: input shape {tuple(spec.input_shape)} (per sample, without the batch axis)\n"
            f"  received: {'no defined input' if shape is None else shape}\n"
            f"  hint: start the model with keras.Input(shape={tuple(spec.input_shape)})", mistake="input_shape")


def compare_model(model: Any, spec: ModelSpec, what: str) -> None:
    """Fail with the layer table unless ``model`` matches ``spec`` exactly (ModelSpecError: the spec is wrong)."""
    expected = verified_rows(spec)
    _check_input_shape(model, spec, what)
    actual = describe_model(model, expected, spec)
    lines, index, field_name = comparison_table(expected, actual)
    if index is not None:
        exp = expected[index] if index < len(expected) else None
        act = actual[index] if index < len(actual) else None
        count = ""
        if len(actual) != len(expected):
            count = (f"your model has {len(actual)} layers after the input, the exercise asks for "
                     f"{len(expected)}; ")
        raise CheckFailure(
            f"{what}: the model's layers differ from the exercise's (first difference: layer {index + 1}, "
            f"{field_name}; marked >>>)\n" + "\n".join(lines) + "\n"
            f"  hint: {count}{hint_for(field_name, exp, act, index + 1)}",
            mistake=mistake_for(field_name, act))
    counted = total_params(model)
    wanted = sum(row["params"] for row in expected)
    if counted != wanted:
        raise CheckFailure(
            f"{what}: the model's weights hold the wrong number of parameters\n"
            f"  expected: {wanted:,}\n  received: {counted:,} (counted from the model's weights)\n"
            f"  hint: every weight should belong to one of the layers above", mistake="param_count")


def check_architecture(build: Callable[..., Any], spec: ModelSpec, what: str, *args: Any, **kwargs: Any) -> Any:
    """Build the student's model with ``build(*args, **kwargs)``, compare it with ``spec``, return it."""
    model = build_student_model(build, what, *args, **kwargs)
    compare_model(model, spec, what)
    return model
