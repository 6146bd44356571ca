"""Spec of the gradient-descent exercise (workshop section 2)."""

from autograder.checks.gradients import GRADIENT_MISTAKES
from autograder.checks.upstream import UPSTREAM_MISTAKES
from autograder.specs import Check, Exercise, with_hidden

EXERCISE = with_hidden(Exercise(
    name="gradient_descent",
    title="2. Gradient descent on California housing",
    module="gradient_descent",
    order=2,
    functions=("predict", "mse", "mse_gradients", "gradient_descent", "sample_batch",
               "stochastic_gradient_descent"),
    checks=(
        Check("predict_values", 1, describe="predict returns m * x + b for every sample",
              mistakes={"not_m_x_plus_b": "predict does not return m * x + b (a term lost or swapped)"}),
        Check("mse_value", 1, describe="mse matches the definition",
              mistakes={"not_mean_of_squares": "mse is not the mean of the squared differences "
                                               "(a sum, a root, or no square)"}),
        Check("gradients_numerical", 2, describe="mse_gradients agrees with a numerical gradient",
              mistakes=GRADIENT_MISTAKES),
        Check("gd_first_step", 1, describe="gradient_descent starts at 0.2, 0.2 and takes one correct step",
              mistakes={"wrong_first_step": "the first step is wrong: another start point, or gradients "
                                            "not taken at the start point",
                        "uses_wrong_gradients": UPSTREAM_MISTAKES["uses_wrong_gradients"]}),
        Check("gd_workshop_result", 2, describe="gradient_descent reproduces the workshop's result",
              mistakes={"not_simultaneous_update": "m and b not updated together from the same gradients "
                                                   "(or another start, rate or step count)",
                        "uses_wrong_gradients": UPSTREAM_MISTAKES["uses_wrong_gradients"]}),
        Check("gd_log_history", 1, describe="log and mse_history have one entry per step, with the right meaning",
              mistakes={"log_length": "log does not hold one entry per step",
                        "history_length": "mse_history does not hold one entry per step",
                        "log_before_step": "log records (m, b) before the step, so its last entry is not the result",
                        "history_wrong_line": "mse_history[i] is not the MSE, on all the data, "
                                              "of the line in log[i]",
                        **{k: UPSTREAM_MISTAKES[k] for k in ("uses_wrong_gradients", "uses_wrong_mse")}}),
        Check("batch_shape_range", 1, describe="sample_batch returns batch_size indices in range",
              mistakes={"index_out_of_range": "indices outside range(0, n_samples) (off by one)"}),
        Check("batch_reproducible", 1, describe="sample_batch draws with the generator it is given",
              mistakes={"global_np_random": "draws with np.random instead of the generator it is given",
                        "ignores_rng": "the generator's seed does not decide the batch",
                        "reseeds_generator": "makes a new, seeded generator at each call: every batch the same"}),
        Check("sgd_start_point", 1, describe="stochastic_gradient_descent starts at 0.5, 0.5",
              mistakes={"wrong_start_point": "SGD does not start at m = b = 0.5"}),
        Check("sgd_seed", 1, describe="stochastic_gradient_descent is reproducible per seed",
              mistakes={"not_reproducible": "two runs with the same seed differ (the generator not made from seed)",
                        "seed_ignored": "runs with different seeds give the same result",
                        "uses_wrong_sample_batch": UPSTREAM_MISTAKES["uses_wrong_sample_batch"]}),
        Check("sgd_log_history", 1, describe="SGD's log and mse_history (on the whole data)",
              mistakes={"history_on_batch": "mse_history measured on the batch, not on the whole data",
                        "uses_wrong_mse": UPSTREAM_MISTAKES["uses_wrong_mse"]}),
    ),
    extra={
        "start_gd": (0.2, 0.2),
        "start_sgd": (0.5, 0.5),
        # The workshop's printed result (In [13]) for lr=0.01, 1,000 iterations.
        "workshop_lr": 0.01,
        "workshop_iterations": 1000,
        "workshop_result": (0.41893244701097204, 0.44612945637258383),
        "gradient_rel_error": 1e-6,
    },
    hidden_count=5,
    hidden_points=9,
))
