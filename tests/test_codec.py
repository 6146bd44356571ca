"""The sandbox's codec is transparent: every value a check passes in or a student's function returns
comes out of ``Encoder`` → ``Decoder`` with the same type, dtype, shape and value (numpy scalars stay
numpy scalars, 0-d arrays stay 0-d); what it cannot carry gets the same verdict on both routes.

Most tests round-trip values in this process (cheap); one goes through a real sandboxed child.
"""

from __future__ import annotations

import collections
import json
import math
import textwrap

import numpy as np
import pytest

from autograder.checks import values
from autograder.checks.values import CheckFailure
from autograder.grade.child import codec
from autograder.grade.judge.crossing import CrossingModule, cross
from tests.helpers.codec_values import ARRAYS, NUMPY_SCALARS, PYTHON, identical
from tests.helpers.kit import run_kit


def roundtrip(value, rebuild_model=None):
    encoder = codec.Encoder()
    tree = encoder.encode(value)
    blobs = [b"".join(bytes(part) for part in codec.blob_parts(blob)) for blob in encoder.blobs]
    # As it travels: a JSON header and the blobs' bytes, split as the receiving side splits them.
    header, blobs = codec.split_message(json.dumps({"value": tree, "blobs": [len(b) for b in blobs]}).encode(),
                                        b"".join(blobs))
    return codec.Decoder(blobs, rebuild_model=rebuild_model).decode(header["value"])


@pytest.mark.parametrize("value", NUMPY_SCALARS + ARRAYS + PYTHON, ids=lambda v: f"{type(v).__name__}:{v!r}"[:60])
def test_values_round_trip_unchanged(value):
    back = roundtrip(value)
    assert identical(value, back), (value, back)


def test_fortran_order_and_read_only_flags_are_kept():
    fortran = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    assert roundtrip(fortran).flags.f_contiguous
    frozen = np.arange(3.0)
    frozen.setflags(write=False)
    assert not roundtrip(frozen).flags.writeable and roundtrip(np.arange(3.0)).flags.writeable


def test_object_arrays_of_lists_stay_lists_even_of_equal_length():
    reviews = np.empty(3, dtype=object)
    for i, review in enumerate([[1, 2], [3, 4], [5, 6]]):
        reviews[i] = review
    back = roundtrip(reviews)
    assert back.dtype == object and back.shape == (3,) and [type(x) for x in back] == [list] * 3
    assert [list(x) for x in back] == [[1, 2], [3, 4], [5, 6]]


def test_a_generator_comes_back_in_the_same_state():
    rng = np.random.default_rng(5)
    rng.integers(10, size=3)
    back = roundtrip(rng)
    assert isinstance(back, np.random.Generator) and back.bit_generator.state == rng.bit_generator.state


@pytest.mark.parametrize("value, type_name", [({1, 2}, "set"), (frozenset({3}), "frozenset"), (object(), "object"),
                                              (lambda: 1, "function"), (range(3), "range"),
                                              (collections.namedtuple("Pair", "m b")(1.0, 2.0), "Pair")])
def test_what_cannot_cross_becomes_a_stand_in_named_after_its_type(value, type_name):
    back = roundtrip(value)
    assert isinstance(back, codec.Opaque) and type(back).__name__ == type_name
    crossed = cross(value, (), {}, "f")  # the in-process route gives the very same stand-in
    assert isinstance(crossed, codec.Opaque) and type(crossed).__name__ == type_name
    # ... which a type check names as it names the original: "Python set", not a stand-in class
    assert values.type_name(type(back)) == values.type_name(type(value)) == values.type_name(type(crossed))


def test_the_in_process_route_keeps_a_returned_argument_and_copies_the_rest():
    items = [1, 2]
    assert cross(items, (items,), {}, "f") is items
    result = cross((items, np.float64(2.0)), (), {"values": items}, "f")
    assert result[0] is items and type(result[1]) is np.float64
    array = np.arange(6.0).reshape(2, 3)
    back = cross(array, (), {}, "f")
    assert identical(back, array) and back is not array and back.flags.writeable
    for value in NUMPY_SCALARS + ARRAYS + PYTHON:
        assert identical(cross(value, (), {}, "f"), value), value


def test_a_crossing_module_has_only_public_functions():
    import types

    module = types.ModuleType("student")
    module.VALUE = 3
    module.twice = lambda x: np.float64(2 * x)
    crossing = CrossingModule(module, "gradient_descent")
    assert type(crossing.twice(2.0)) is np.float64 and crossing.twice is crossing.twice
    with pytest.raises(CheckFailure, match="gradient_descent.py has no function `VALUE`"):
        crossing.VALUE


def test_keras_models_and_histories_cross_and_come_back_rebuilt():
    import keras

    from autograder.grade.judge.models import rebuild_model

    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="relu",
                                                                          kernel_regularizer=keras.regularizers.L2(0.01)),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    back = roundtrip(model, rebuild_model)
    assert isinstance(back, keras.Model) and back is not model
    assert back.to_json() == model.to_json()
    assert all(np.array_equal(a, b) for a, b in zip(back.get_weights(), model.get_weights()))
    assert back.get_compile_config()["loss"] == "binary_crossentropy"
    history = keras.callbacks.History()
    history.history, history.epoch = {"loss": [0.5, 0.4], "val_loss": [np.float64(0.6), 0.5]}, [0, 1]
    back = roundtrip(history)
    assert type(back) is keras.callbacks.History and identical(back.history, history.history) and back.epoch == [0, 1]


def test_a_model_the_sandbox_will_not_rebuild_is_refused_in_process_too():
    import keras

    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Lambda(lambda x: x * 2)])
    with pytest.raises(CheckFailure, match=r"^the grader could not read what build\(\) returned: your model could "
                                           r"not be rebuilt for grading: it uses a Lambda layer"):
        cross(model, (), {}, "build")


STUDENT = '''
import keras
import numpy as np

def echo(value):
    return value

def build_lambda():
    return keras.Sequential([keras.Input(shape=(2,)), keras.layers.Lambda(lambda x: x * 2)])

def a_set():
    return {1, 2}

def grads():
    X, f = np.array([1.0, 2.0]), np.array([0.5, -0.25])
    return -2 * np.mean(X * f), -2 * np.mean(f)
'''

JUDGE = '''
import json, sys
from pathlib import Path
from autograder.checks.values import CheckFailure
from autograder.grade.limits import Limits
from autograder.grade.judge.manager import SandboxManager
from autograder.grade.judge.proxy import SubmissionProxy
from tests.helpers.codec_values import NUMPY_SCALARS, ARRAYS, PYTHON, identical

manager = SandboxManager(Path(sys.argv[1]), Limits(time_limit=120, memory_mb=4096))
manager.begin_test()
s = SubmissionProxy(manager, "gradient_descent")
out = {"differ": [repr(v) for v in NUMPY_SCALARS + ARRAYS + PYTHON if not identical(v, s.echo(v))]}
g = s.grads()
out["grads"] = [type(x).__name__ for x in g]
out["set"] = type(s.a_set()).__name__
try:
    s.build_lambda()
except CheckFailure as exc:
    out["lambda"] = str(exc)
manager.end_test()
manager.close()
print("RESULT " + json.dumps(out))
'''


@pytest.mark.slow
def test_values_cross_a_real_worker_unchanged_and_refusals_match_the_in_process_route(tmp_path):
    import importlib.util

    target = tmp_path / "target"
    target.mkdir()
    (target / "gradient_descent.py").write_text(textwrap.dedent(STUDENT))
    done = run_kit("-c", JUDGE, str(target), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.split("RESULT ", 1)[1])
    assert out["differ"] == []
    assert out["grads"] == ["float64", "float64"]
    # The in-process route gives the same verdicts on the same module.
    spec = importlib.util.spec_from_file_location("dl3_codec_student", target / "gradient_descent.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    crossing = CrossingModule(module, "gradient_descent")
    assert [type(x).__name__ for x in crossing.grads()] == out["grads"]
    assert type(crossing.a_set()).__name__ == out["set"] == "set"
    with pytest.raises(CheckFailure) as refused:
        crossing.build_lambda()
    assert str(refused.value) == out["lambda"] and "Lambda layer" in out["lambda"]
    assert math.isclose(float(crossing.grads()[1]), -0.25)
