"""Fixed model specs that the architecture check's own failure tests are written against.

They are the workshop's models as the tests were written for them, deliberately not the exercises'
specs (``autograder/specs/``): those tests build wrong models by hand, layer by layer, so an
instructor's change of an exercise's model (the recipes of ``docs/authoring.md``) leaves them
alone. Tests of the exercises themselves — the references pass their specs, the texts state the
specs' counts — use the exercises' specs.
"""

from __future__ import annotations

from autograder.checks.architecture import LayerSpec, ModelSpec, conv2d, dense, dropout, flatten, max_pool


def imdb_stack(units: int = 16, regularizer: tuple[str, float] | None = None,
               dropout_rate: float | None = None) -> ModelSpec:
    """10,000 multi-hot inputs → (Dense(units, relu, regularizer), Dropout?) × 2 → Dense(1, sigmoid)."""
    hidden: tuple[LayerSpec, ...] = (dense(units, "relu", regularizer),)
    if dropout_rate is not None:
        hidden += (dropout(dropout_rate),)
    return ModelSpec(input_shape=(10_000,), layers=hidden * 2 + (dense(1, "sigmoid"),))


def mnist_dense() -> ModelSpec:
    """784 → Dense(100, relu) → Dense(10, softmax): 79,510 parameters."""
    return ModelSpec(input_shape=(784,), layers=(dense(100, "relu"), dense(10, "softmax")), total_params=79_510)


def mnist_cnn(pool_size: tuple[int, int] = (2, 2)) -> ModelSpec:
    """Conv2D(25, 3×3, valid, relu) → MaxPool2D(pool_size) → Flatten → Dense(100, relu) → Dense(10)."""
    return ModelSpec(input_shape=(28, 28, 1), layers=(conv2d(25), max_pool(pool_size), flatten(),
                                                      dense(100, "relu"), dense(10, "softmax")))


def cifar() -> ModelSpec:
    """Three same-padded 3×3 convolutions with pooling and dropout, then a dense head of 500 and 250."""
    def conv(filters: int) -> LayerSpec:
        return conv2d(filters, padding="same")

    return ModelSpec(input_shape=(32, 32, 3),
                     layers=(conv(50), conv(75), max_pool(), dropout(0.25), conv(125), max_pool(), dropout(0.25),
                             flatten(), dense(500, "relu"), dropout(0.4), dense(250, "relu"), dropout(0.3),
                             dense(10, "softmax")))
