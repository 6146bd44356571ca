"""Spec of the gradient-descent exercise (workshop section 2)."""

from autograder.specs import Check, Exercise, with_hidden

EXERCISE = with_hidden(Exercise(
    name="gradient_descent",
    title="2. Gradient descent on California housing",
    module="gradient_descent",
    functions=("predict", "mse", "mse_gradients", "gradient_descent", "sample_batch",
               "stochastic_gradient_descent"),
    checks=(
        Check("predict_values", 1, describe="predict returns m * x + b for every sample"),
        Check("mse_value", 1, describe="mse matches the definition"),
        Check("gradients_numerical", 2, describe="mse_gradients agrees with a numerical gradient"),
        Check("gd_first_step", 1, describe="gradient_descent starts at 0.2, 0.2 and takes one correct step"),
        Check("gd_workshop_result", 2, describe="gradient_descent reproduces the workshop's result"),
        Check("gd_log_history", 1, describe="log and mse_history have one entry per step, with the right meaning"),
        Check("batch_shape_range", 1, describe="sample_batch returns batch_size indices in range"),
        Check("batch_reproducible", 1, describe="sample_batch draws with the generator it is given"),
        Check("sgd_start_point", 1, describe="stochastic_gradient_descent starts at 0.5, 0.5"),
        Check("sgd_seed", 1, describe="stochastic_gradient_descent is reproducible per seed"),
        Check("sgd_log_history", 1, describe="SGD's log and mse_history (on the whole data)"),
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
