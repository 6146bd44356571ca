"""Spec of the MNIST exercise (workshop section 3): a dense network, then a CNN.

Layer specs, points, subset sizes, epochs and thresholds live here (the one place).
Thresholds come from ``benchmarks/sweep_thresholds.py`` (20 seeds of the reference,
minus a margin; see ``benchmarks/sweep_thresholds.txt``).
"""

from autograder.checks.architecture import ARCHITECTURE_MISTAKES, ModelSpec, conv2d, dense, flatten, max_pool
from autograder.checks.training import (ACCURACY_MISTAKES, COMPILE_MISTAKES, ONE_HOT_MISTAKES, PREPROCESS_MISTAKES,
                                        TrainingSetup)
from autograder.specs import Check, Exercise, with_hidden


def dense_model_spec() -> ModelSpec:
    """784 → Dense(100, relu) → Dense(10, softmax): 79,510 parameters (the workshop's figure)."""
    return ModelSpec(input_shape=(784,), layers=(dense(100, "relu"), dense(10, "softmax")),
                     total_params=79_510)


def cnn_model_spec(pool_size: tuple[int, int] = (2, 2)) -> ModelSpec:
    """Conv2D(25, 3×3, valid, relu) → MaxPool2D(pool_size) → Flatten → Dense(100, relu) → Dense(10, softmax)."""
    totals = {(2, 2): 423_860, (1, 1): 1_691_360}
    return ModelSpec(
        input_shape=(28, 28, 1),
        layers=(conv2d(25, (3, 3), (1, 1), "valid", "relu"), max_pool(pool_size), flatten(),
                dense(100, "relu"), dense(10, "softmax")),
        total_params=totals.get(tuple(pool_size)),
    )


EXERCISE = with_hidden(Exercise(
    name="mnist_cnn",
    title="3. MNIST: dense network and CNN",
    module="mnist_cnn",
    order=3,
    functions=("preprocess_flat", "preprocess_grid", "one_hot", "build_dense_model", "build_cnn_model",
               "compile_model"),
    checks=(
        Check("preprocess_flat", 1, describe="preprocess_flat gives (N, 784) float32 pixels in [0, 1]",
              mistakes={"not_flattened": "the images not reshaped to (N, 784)", **PREPROCESS_MISTAKES}),
        Check("preprocess_grid", 1, describe="preprocess_grid gives (N, 28, 28, 1) float32 pixels in [0, 1]",
              mistakes={"no_channel_axis": "the images not given a channel axis: not (N, 28, 28, 1)",
                        **PREPROCESS_MISTAKES}),
        Check("one_hot", 1, describe="one_hot gives (N, 10) rows with a single 1.0 at the label",
              mistakes={"not_one_row_per_label": "the result is not one row of 10 columns per label",
                        **ONE_HOT_MISTAKES}),
        Check("dense_architecture", 1, describe="build_dense_model: 784 → 100 relu → 10 softmax",
              mistakes=ARCHITECTURE_MISTAKES),
        Check("cnn_architecture", 2, describe="build_cnn_model(): conv, 2×2 pooling, dense head",
              mistakes=ARCHITECTURE_MISTAKES),
        Check("cnn_pool_one_does_nothing", 1,
              describe="build_cnn_model(pool_size=(1, 1)) is the workshop's model; its pooling changes nothing",
              mistakes={**ARCHITECTURE_MISTAKES,
                        "pool_changes_input": "the 1×1 pooling layer changes its input (not a MaxPool2D of 1×1)"}),
        Check("compile_settings", 1, describe="compile_model: adam, categorical cross-entropy, accuracy",
              mistakes=COMPILE_MISTAKES),
        Check("dense_accuracy", 2, training=True,
              describe="the dense network reaches the test accuracy threshold", mistakes=ACCURACY_MISTAKES),
    ),
    extra={
        # Sweep: best of 4 epochs over 20 seeds min 0.896, mean 0.906; threshold = min - 0.03.
        "dense_training": TrainingSetup(n_train=4000, n_test=1000, batch_size=64, max_epochs=4,
                                        threshold=0.86),
    },
    hidden_count=2,
    hidden_points=3,
))
