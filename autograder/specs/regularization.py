"""Spec of the regularization exercise (workshop section 1): IMDB, 10,000 words, multi-hot.

Layer specs, points, subset sizes, epochs and the behavioural checks' settings live
here (the one place). ``benchmarks/sweep_thresholds.py`` shows that the reference
passes the behavioural checks for 20 seeds (``benchmarks/sweep_thresholds.txt``).
"""

from autograder.checks.architecture import ARCHITECTURE_MISTAKES, LayerSpec, ModelSpec, dense, dropout
from autograder.checks.training import COMPILE_MISTAKES, PIPELINE_MISTAKES, TrainingSetup
from autograder.specs import Check, Exercise, with_hidden

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


def architecture_check(name: str, describe: str) -> Check:
    """A 1-point check of one builder against its spec (it names the architecture mistakes)."""
    return Check(name, 1, describe=describe, mistakes=ARCHITECTURE_MISTAKES)


EXERCISE = with_hidden(Exercise(
    name="regularization",
    title="1. Regularization on IMDB",
    module="regularization",
    order=1,
    functions=("vectorize_sequences", "build_original_model", "build_smaller_model", "build_bigger_model",
               "build_l2_model", "build_l1_model", "build_dropout_model", "compile_model", "best_epoch"),
    checks=(
        Check("vectorize_multi_hot", 1, describe="vectorize_sequences: float32 multi-hot rows, not counts",
              mistakes={"not_one_row_per_sequence": "not one row per sequence and one column per word index",
                        "not_float32": "the vectors are not float32",
                        "counts_not_multi_hot": "counts a word's occurrences instead of a 1.0"}),
        architecture_check("original_architecture", "build_original_model: 10,000 → 16 → 16 → 1"),
        architecture_check("smaller_architecture", "build_smaller_model: 10,000 → 8 → 8 → 1"),
        architecture_check("bigger_architecture", "build_bigger_model: 10,000 → 512 → 512 → 1"),
        architecture_check("l2_architecture", "build_l2_model(): L2(0.001) on both hidden layers"),
        architecture_check("l1_architecture", "build_l1_model(): L1(0.001) on both hidden layers"),
        architecture_check("dropout_architecture", "build_dropout_model(): Dropout(0.5) after each hidden layer"),
        Check("compile_settings", 1, describe="compile_model: rmsprop, binary cross-entropy, accuracy",
              mistakes=COMPILE_MISTAKES),
        Check("best_epoch_value", 1, describe="best_epoch finds the epoch of lowest validation loss",
              mistakes={"epochs_from_zero": "returns the 0-based index of the epoch (counts epochs from 0)"}),
        Check("bigger_overfits_sooner", 2, training=True,
              describe="on IMDB the bigger model reaches its lowest validation loss before the original does",
              mistakes={**PIPELINE_MISTAKES,
                        "bigger_not_sooner": "the bigger model does not reach its best validation loss earlier "
                                             "than the original (a builder or the training set-up is off)"}),
    ),
    extra={
        "num_words": NUM_WORDS,
        # IMDB subset: n_train reviews, the last validation_fraction of them for validation.
        # Sweep (20 seeds): the reference passes the training checks 20/20 (benchmarks/sweep_thresholds.txt).
        "training": TrainingSetup(n_train=1200, n_test=10, batch_size=128, max_epochs=8,
                                  validation_fraction=1 / 3),
        # The bigger model overfits within a few epochs; it trains only this many (it is the costly one).
        "bigger_epochs": 3,
    },
    hidden_count=4,
    hidden_points=6,
))
