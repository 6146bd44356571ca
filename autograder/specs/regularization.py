"""Spec of the regularization exercise (workshop section 1): IMDB, 10,000 words, multi-hot.

Layer specs, points, subset sizes, epochs and the behavioural checks' settings live
here (the one place). ``benchmarks/sweep_thresholds.py`` shows that the reference
passes the behavioural checks for 20 seeds (``benchmarks/sweep_thresholds.txt``).
"""

from autograder.checks.architecture import LayerSpec, ModelSpec, dense, dropout
from autograder.checks.training import TrainingSetup
from autograder.specs import Check, Exercise

NUM_WORDS = 10_000

# Total parameters as the exercise states them.
TOTALS = {16: 160_305, 8: 80_089, 512: 5_383_681}


def dense_stack_spec(units: int = 16, regularizer: tuple[str, float] | None = None,
                     dropout_rate: float | None = None) -> ModelSpec:
    """10,000 → Dense(units, relu) ×2 (each with ``regularizer``, each followed by Dropout) → Dense(1, sigmoid)."""
    layers: list[LayerSpec] = []
    for _ in range(2):
        layers.append(dense(units, "relu", regularizer))
        if dropout_rate is not None:
            layers.append(dropout(dropout_rate))
    layers.append(dense(1, "sigmoid"))
    return ModelSpec(input_shape=(NUM_WORDS,), layers=tuple(layers), total_params=TOTALS.get(units))


EXERCISE = Exercise(
    name="regularization",
    title="1. Regularization on IMDB",
    module="regularization",
    functions=("vectorize_sequences", "build_original_model", "build_smaller_model", "build_bigger_model",
               "build_l2_model", "build_l1_model", "build_dropout_model", "compile_model", "best_epoch"),
    checks=(
        Check("vectorize_multi_hot", 1, describe="vectorize_sequences: float32 multi-hot rows, not counts"),
        Check("original_architecture", 1, describe="build_original_model: 10,000 → 16 → 16 → 1"),
        Check("smaller_architecture", 1, describe="build_smaller_model: 10,000 → 8 → 8 → 1"),
        Check("bigger_architecture", 1, describe="build_bigger_model: 10,000 → 512 → 512 → 1"),
        Check("l2_architecture", 1, describe="build_l2_model(): L2(0.001) on both hidden layers"),
        Check("l1_architecture", 1, describe="build_l1_model(): L1(0.001) on both hidden layers"),
        Check("dropout_architecture", 1, describe="build_dropout_model(): Dropout(0.5) after each hidden layer"),
        Check("compile_settings", 1, describe="compile_model: rmsprop, binary cross-entropy, accuracy"),
        Check("best_epoch_value", 1, describe="best_epoch finds the epoch of lowest validation loss"),
        Check("vectorize_real_reviews", 1, hidden=True,
              describe="vectorize_sequences on real reviews, out-of-range indices ignored"),
        Check("factor_and_rate_used", 2, hidden=True,
              describe="build_l2_model, build_l1_model and build_dropout_model use their argument"),
        Check("best_epoch_hidden", 1, hidden=True, describe="best_epoch: ties, 1-based, a Python int"),
        Check("bigger_overfits_sooner", 2, training=True,
              describe="on IMDB the bigger model reaches its lowest validation loss before the original does"),
        Check("regularization_helps", 2, hidden=True, training=True,
              describe="L2 and dropout models end with a smaller gap between validation and training loss"),
    ),
    extra={
        "num_words": NUM_WORDS,
        # IMDB subset: n_train reviews, the last validation_fraction of them for validation.
        # Sweep (20 seeds): the reference passes both behavioural checks 20/20; L2's gap is below
        # the original's by at least 0.027 (mean 0.071), dropout's by at least 0.109 (mean 0.173).
        "training": TrainingSetup(n_train=1200, n_test=10, batch_size=128, max_epochs=8,
                                  validation_fraction=1 / 3),
        # The bigger model overfits within a few epochs; it trains only this many (it is the costly one).
        "bigger_epochs": 3,
        # The behavioural check's L2 factor: at 0.001 the effect on 800 reviews is within seed noise.
        "l2_behaviour_factor": 0.01,
    },
)
