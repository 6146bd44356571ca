"""Spec of the CIFAR-10 exercise (workshop section 4): a deeper CNN with pooling and dropout.

Layer specs, points, subset sizes, epochs and thresholds live here (the one place).
Its training check is hidden: its settings and threshold are in ``hidden_tests/hidden_specs.py``.
"""

from autograder.checks.architecture import ARCHITECTURE_MISTAKES, ModelSpec, conv2d, dense, dropout, flatten, max_pool
from autograder.checks.training import COMPILE_MISTAKES, ONE_HOT_MISTAKES, PREPROCESS_MISTAKES
from autograder.specs import Check, Exercise, with_hidden


def cifar_model_spec() -> ModelSpec:
    """The workshop's CIFAR-10 network: 4,247,985 parameters."""
    def conv(filters: int):
        return conv2d(filters, (3, 3), (1, 1), "same", "relu")

    return ModelSpec(
        input_shape=(32, 32, 3),
        layers=(conv(50), conv(75), max_pool((2, 2)), dropout(0.25),
                conv(125), max_pool((2, 2)), dropout(0.25),
                flatten(), dense(500, "relu"), dropout(0.4), dense(250, "relu"), dropout(0.3),
                dense(10, "softmax")),
        total_params=4_247_985,
    )


EXERCISE = with_hidden(Exercise(
    name="cifar_cnn",
    title="4. CIFAR-10: a deeper CNN",
    module="cifar_cnn",
    order=4,
    functions=("preprocess", "one_hot", "build_cifar_model", "compile_model"),
    checks=(
        Check("preprocess", 1, describe="preprocess gives (N, 32, 32, 3) float32 pixels in [0, 1]",
              mistakes={"shape_changed": "the images' shape (N, 32, 32, 3) not kept", **PREPROCESS_MISTAKES}),
        Check("one_hot", 1, describe="one_hot turns (N, 1) labels into (N, 10) one-hot rows",
              mistakes={"labels_not_flattened": "labels of shape (N, 1) not flattened: the result is not (N, 10)",
                        **ONE_HOT_MISTAKES}),
        Check("architecture", 3, describe="build_cifar_model matches the workshop's network layer by layer",
              mistakes=ARCHITECTURE_MISTAKES),
        Check("compile_settings", 1, describe="compile_model: adam, categorical cross-entropy, accuracy",
              mistakes=COMPILE_MISTAKES),
    ),
    hidden_count=2,
    hidden_points=4,
))
