"""Rebuilding a student's Keras model in the judge, in Keras' safe mode, never from the student's classes."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from autograder.grade.child import codec

CODE_RUNNING_LAYERS = ("Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer")


def check_config(tree: Any, depth: int = 0) -> None:
    """Refuse configs that name anything outside Keras (custom classes, functions, modules)."""
    if depth > 200:
        raise codec.CodecError("the model's configuration is nested too deeply")
    if isinstance(tree, dict):
        module = tree.get("module")
        if module is not None and not (module in ("keras", "builtins") or str(module).startswith("keras.")):
            raise codec.CodecError(f"it uses {tree.get('class_name', 'an object')!r} from module {module!r}, "
                                   "which is not part of Keras")
        if tree.get("registered_name") not in (None, tree.get("class_name")) and \
                ">" in str(tree.get("registered_name")):
            raise codec.CodecError(f"it uses the custom object {tree.get('registered_name')!r}")
        if tree.get("class_name") in CODE_RUNNING_LAYERS:
            raise codec.CodecError(f"it uses a {tree['class_name']} layer, which runs arbitrary code")
        for value in tree.values():
            check_config(value, depth + 1)
    elif isinstance(tree, list):
        for value in tree:
            check_config(value, depth + 1)


def rebuild_model(config: Any, weights: list[np.ndarray], compile_config: Any):
    """A Keras model from the student's ``to_json()``, weights and compile config."""
    import keras
    from keras.src.saving import serialization_lib

    if not isinstance(config, str):
        raise codec.CodecError("the model's configuration is not text")
    try:
        data = json.loads(config)
        check_config(data)
        if compile_config is not None:
            check_config(compile_config)
        with serialization_lib.SafeModeScope(True):
            model = serialization_lib.deserialize_keras_object(data, safe_mode=True)
            if not isinstance(model, keras.Model):
                raise codec.CodecError(f"it rebuilt as a {type(model).__name__}, not a Keras model")
            if weights:
                model.set_weights(weights)
            if compile_config:
                model.compile_from_config(compile_config)
    except codec.CodecError as exc:
        raise codec.CodecError(f"your model could not be rebuilt for grading: {exc}\n"
                               f"  hint: build it with keras.Sequential([...]) (or keras.Model(inputs, outputs)) "
                               f"and Keras' own layers, not a class of your own") from None
    except Exception as exc:  # noqa: BLE001 - Keras' errors on a bad config
        raise codec.CodecError(
            f"your model could not be rebuilt for grading: {type(exc).__name__}: {str(exc)[:300]}; "
            "use Keras' built-in layers only (no custom classes or Lambda layers)") from None
    return model


def apply_compile_config(model: Any, compiled: Any) -> None:
    """Compile the judge's copy of a model the way the student's process compiled it."""
    from keras.src.saving import serialization_lib

    try:
        check_config(compiled)
        with serialization_lib.SafeModeScope(True):
            model.compile_from_config(compiled)
    except Exception as exc:  # noqa: BLE001
        raise codec.CodecError(f"the model's compile settings could not be rebuilt: "
                               f"{type(exc).__name__}: {str(exc)[:300]}") from None
