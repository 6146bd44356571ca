"""Compare a student's Keras model with a declarative spec, layer by layer.

A spec lists the input shape and the layers after it (``dense``, ``conv2d``,
``max_pool``, ``dropout``, ``flatten``). ``check_architecture`` calls the
student's builder, describes every layer of the model it returns from the
layer's own configuration and weights (never from ``count_params``), and fails
with a side-by-side table of expected and actual layers that marks the first
difference, plus a hint written for the student.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from autograder.checks.values import CheckFailure, call_student

# The fields a layer description may have, in the order the table shows them.
FIELDS = ("kind", "units", "filters", "kernel_size", "strides", "padding", "pool_size",
          "rate", "activation", "regularizer", "params")

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
    "params": "a layer with the right settings but the wrong number of parameters",
    "input_shape": "the model's input shape is wrong, or the model has no defined input",
    "not_a_model": "the builder does not return a Keras model",
    "param_count": "the model holds weights outside its layers (the total parameter count is wrong)",
}


@dataclass(frozen=True)
class LayerSpec:
    """One expected layer: its kind and the settings that matter for it (None = not checked)."""

    kind: str
    units: int | None = None
    filters: int | None = None
    kernel_size: tuple[int, int] | None = None
    strides: tuple[int, int] | None = None
    padding: str | None = None
    pool_size: tuple[int, int] | None = None
    rate: float | None = None
    activation: str | None = None
    regularizer: str | None = None  # "L2(0.001)", "L1(0.01)" or "none"


@dataclass(frozen=True)
class ModelSpec:
    """An expected model: input shape (without the batch axis) and its layers in order."""

    input_shape: tuple[int, ...]
    layers: tuple[LayerSpec, ...]
    total_params: int | None = None  # as stated in the exercise; checked against the layers
    notes: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------
# Building specs


def regularizer_text(kind: str | None, factor: float | None = None) -> str:
    """The one spelling of a kernel regularizer: ``"L2(0.001)"``, ``"L1(0.01)"``, ``"none"``."""
    return "none" if kind is None else f"{kind}({factor:g})"


def dense(units: int, activation: str, regularizer: tuple[str, float] | None = None) -> LayerSpec:
    """A Dense layer; ``regularizer`` is ``("L2", 0.001)``-style or None for no kernel regularizer."""
    return LayerSpec("Dense", units=units, activation=activation,
                     regularizer=regularizer_text(*regularizer) if regularizer else "none")


def conv2d(filters: int, kernel_size: tuple[int, int] = (3, 3), strides: tuple[int, int] = (1, 1),
           padding: str = "valid", activation: str = "relu") -> LayerSpec:
    """A Conv2D layer."""
    return LayerSpec("Conv2D", filters=filters, kernel_size=tuple(kernel_size), strides=tuple(strides),
                     padding=padding, activation=activation)


def max_pool(pool_size: tuple[int, int] = (2, 2)) -> LayerSpec:
    """A MaxPool2D layer (strides = pool size, Keras' default)."""
    return LayerSpec("MaxPool2D", pool_size=tuple(pool_size))


def dropout(rate: float) -> LayerSpec:
    """A Dropout layer."""
    return LayerSpec("Dropout", rate=rate)


def flatten() -> LayerSpec:
    """A Flatten layer."""
    return LayerSpec("Flatten")


# --------------------------------------------------------------------------
# Expected parameters, by shape propagation through the spec


def _conv_side(size: int, kernel: int, stride: int, padding: str) -> int:
    if padding == "same":
        return math.ceil(size / stride)
    return (size - kernel) // stride + 1


def expected_params(spec: ModelSpec) -> list[int]:
    """Parameters of each layer of ``spec``, computed from the input shape and the layer settings."""
    shape = tuple(spec.input_shape)
    counts = []
    for layer in spec.layers:
        params = 0
        if layer.kind == "Dense":
            params = (shape[-1] + 1) * layer.units
            shape = shape[:-1] + (layer.units,)
        elif layer.kind == "Conv2D":
            (h, w, channels), (kh, kw), (sh, sw) = shape, layer.kernel_size, layer.strides
            params = (kh * kw * channels + 1) * layer.filters
            shape = (_conv_side(h, kh, sh, layer.padding), _conv_side(w, kw, sw, layer.padding), layer.filters)
        elif layer.kind == "MaxPool2D":
            (h, w, channels), (ph, pw) = shape, layer.pool_size
            shape = ((h - ph) // ph + 1, (w - pw) // pw + 1, channels)
        elif layer.kind == "Flatten":
            shape = (math.prod(shape),)
        counts.append(params)
    return counts


def spec_rows(spec: ModelSpec) -> list[dict[str, Any]]:
    """The spec's layers as description rows (the same form ``describe_model`` gives)."""
    rows = []
    for layer, params in zip(spec.layers, expected_params(spec)):
        row = {name: getattr(layer, name) for name in FIELDS if name != "params"}
        row["params"] = params
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


# --------------------------------------------------------------------------
# Describing a student's model


def _pair(value: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in value) if isinstance(value, (tuple, list)) else (int(value), int(value))


def _activation_name(layer: Any) -> str:
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", str(activation)) if activation is not None else "linear"


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


def describe_layer(layer: Any) -> dict[str, Any]:
    """One layer of a Keras model as a description row."""
    kind = KIND_NAMES.get(type(layer).__name__, type(layer).__name__)
    row: dict[str, Any] = {"kind": kind}
    if kind == "Dense":
        row.update(units=int(layer.units), activation=_activation_name(layer),
                   regularizer=_all_regularizers(layer))
    elif kind == "Conv2D":
        row.update(filters=int(layer.filters), kernel_size=_pair(layer.kernel_size), strides=_pair(layer.strides),
                   padding=str(layer.padding), activation=_activation_name(layer))
    elif kind == "MaxPool2D":
        row.update(pool_size=_pair(layer.pool_size))
    elif kind == "Dropout":
        row.update(rate=float(layer.rate))
    elif kind == "Activation":
        row.update(activation=_activation_name(layer))
    row["params"] = layer_params(layer)
    return row


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


# --------------------------------------------------------------------------
# The table and the hints


ROW_WIDTH = 51  # the width of one format_row line


def format_row(row: dict[str, Any] | None) -> str:
    """A description row as one short line, e.g. ``Dense(16, relu, L2(0.001))  272 params``."""
    if row is None:
        return "(no layer)"
    kind = row["kind"]
    if kind == "Dense":
        args = [str(row["units"]), row["activation"]]
        if row.get("regularizer", "none") != "none":
            args.append(f"reg={row['regularizer']}")
    elif kind == "Conv2D":
        args = [str(row["filters"]), "x".join(map(str, row["kernel_size"])),
                f"strides={row['strides'][0]}" if len(set(row["strides"])) == 1 else f"strides={row['strides']}",
                row["padding"], row["activation"]]
    elif kind == "MaxPool2D":
        args = [f"{row['pool_size']}"]
    elif kind == "Dropout":
        args = [f"{row['rate']:g}"]
    elif kind == "Activation":
        args = [row["activation"]]
    else:
        args = []
    text = f"{kind}({', '.join(args)})"
    return f"{text:<34} {row['params']:>9,} params"


def _same(field_name: str, expected: Any, actual: Any) -> bool:
    if field_name == "rate" and isinstance(expected, float) and isinstance(actual, float):
        return math.isclose(expected, actual, rel_tol=1e-6)
    return expected == actual


def first_difference(expected: dict | None, actual: dict | None) -> str | None:
    """The first field where two rows differ (``"layer"`` when one side has no layer), else None."""
    if expected is None or actual is None:
        return None if expected is actual else "layer"
    for name in FIELDS:
        if name in expected and not _same(name, expected[name], actual.get(name)):
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
    return field_name


def hint_for(field_name: str, expected: dict | None, actual: dict | None, position: int) -> str:
    """A hint about the first difference, in the student's terms."""
    where = f"layer {position}"
    if field_name == "layer":
        if expected is None:
            return (f"your model has an extra layer at position {position} ({actual['kind']}); "
                    "remove it" + (" and pass activation=... to the layer before instead"
                                   if actual["kind"] == "Activation" else ""))
        return f"your model is missing {where}: a {expected['kind']} layer belongs there"
    if field_name == "kind":
        if actual["kind"] == "Activation":
            return (f"{where} is a separate Activation layer; pass activation='{actual['activation']}' "
                    "to the layer before it instead")
        return f"{where} should be a {expected['kind']} layer, not {actual['kind']} (check the order of your layers)"
    hints = {
        "units": f"{where} should have {expected.get('units')} units: Dense({expected.get('units')}, ...)",
        "filters": f"{where} should have {expected.get('filters')} filters: Conv2D({expected.get('filters')}, ...)",
        "kernel_size": f"{where} should use kernel_size={expected.get('kernel_size')}",
        "strides": f"{where} should use strides={expected.get('strides')}",
        "padding": f"{where} should use padding='{expected.get('padding')}' "
                   "('same' keeps the image size, 'valid' shrinks it by the kernel size minus 1)",
        "pool_size": (f"{where} should pool with pool_size={expected.get('pool_size')}"
                      + ("; a (1, 1) window takes the maximum of one value, so it pools nothing"
                         if actual and actual.get("pool_size") == (1, 1) else "")),
        "rate": f"{where}: Dropout's argument is the fraction of inputs to drop, here {expected.get('rate'):g}"
                if expected.get("rate") is not None else "",
        "activation": f"{where} should have activation='{expected.get('activation')}' "
                      "(a layer without one is linear)",
        "regularizer": (f"{where} should have kernel_regularizer {expected.get('regularizer')} "
                        "(use the factor your builder is given)"
                        if expected.get("regularizer") != "none" else
                        f"{where} should have no regularizer (regularize the hidden layers only, "
                        "not the output layer)"),
        "params": f"{where} has the right settings but {actual.get('params') if actual else 0:,} parameters "
                  f"instead of {expected.get('params'):,}: check the input shape and use_bias",
    }
    return hints.get(field_name, f"{where} differs in {field_name}")


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


def compare_model(model: Any, spec: ModelSpec, what: str) -> None:
    """Fail with the layer table unless ``model`` matches ``spec`` exactly."""
    shape = model_input_shape(model)
    if shape != tuple(spec.input_shape):
        raise CheckFailure(
            f"{what}: the model's input shape is wrong\n"
            f"  expected: input shape {tuple(spec.input_shape)} (per sample, without the batch axis)\n"
            f"  received: {'no defined input' if shape is None else shape}\n"
            f"  hint: start the model with keras.Input(shape={tuple(spec.input_shape)})", mistake="input_shape")
    expected = spec_rows(spec)
    actual = [describe_layer(layer) for layer in model_layers(model)]
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
