"""Workshop section 2 — gradient descent for a line through California housing.

The model is a line, ``y_hat = m * x + b``: ``x`` is a district's median income
(MedInc) and ``y`` its median house value in units of 100,000 USD. The loss is the
mean squared error over the N samples::

    MSE(m, b) = 1/N * sum_i (y_i - (m * x_i + b))**2

Fill in each function that raises ``NotImplementedError``; the docstrings say what
to return. Check yourself with ``pytest exercises/test_gradient_descent.py``.
"""

from __future__ import annotations

import numpy as np

from autograder.datasets import load_california_housing


def load_housing(data_dir: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Provided (nothing to do): median income ``X`` and house value ``y``, float64 1-D arrays.

    The data comes from the kit's data layer: ``data_dir`` if given, else the
    directory in ``$DL3_DATA_DIR``, else the usual caches, else a download.
    """
    housing = load_california_housing(data_dir)
    column = list(housing.feature_names).index("MedInc")
    return housing.data[:, column].astype(np.float64), housing.target.astype(np.float64)


def predict(X: np.ndarray, m: float, b: float) -> np.ndarray:
    """Return the line's prediction ``m * x + b`` for every sample of ``X`` (same shape as ``X``)."""
    ### BEGIN SOLUTION
    return m * np.asarray(X, dtype=np.float64) + b
    ### END SOLUTION


def mse(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Return the mean squared error ``1/N * sum((y_i - y_hat_i)**2)`` as a Python float."""
    ### BEGIN SOLUTION
    residual = np.asarray(y, dtype=np.float64) - np.asarray(y_hat, dtype=np.float64)
    return float(np.mean(residual**2))
    ### END SOLUTION


def mse_gradients(X: np.ndarray, y: np.ndarray, m: float, b: float) -> tuple[float, float]:
    """Return ``(dm, db)``: the partial derivatives of ``MSE(m, b)`` with respect to m and b.

    Differentiate the loss above by hand (chain rule on each squared term); both
    derivatives are averages over the N samples and both involve ``y_i``.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=np.float64)
    residual = np.asarray(y, dtype=np.float64) - (m * X + b)
    dm = -2.0 * np.mean(X * residual)
    db = -2.0 * np.mean(residual)
    return float(dm), float(db)
    ### END SOLUTION


def gradient_descent(X: np.ndarray, y: np.ndarray, lr: float = 0.05,
                     iterations: int = 10) -> tuple[float, float, list, list]:
    """Batch gradient descent on the MSE, as in the workshop.

    Start at ``m = b = 0.2``. At each of the ``iterations`` steps compute both
    gradients on the whole data at the current (m, b), then update both
    parameters together: ``m -= lr * dm`` and ``b -= lr * db``. After each step
    append ``(m, b)`` to ``log`` and the MSE of the new line on the whole data to
    ``mse_history``. Return ``(m, b, log, mse_history)``.
    """
    ### BEGIN SOLUTION
    m, b = 0.2, 0.2
    log, mse_history = [], []
    for _ in range(iterations):
        dm, db = mse_gradients(X, y, m, b)
        m, b = m - lr * dm, b - lr * db
        log.append((m, b))
        mse_history.append(mse(y, predict(X, m, b)))
    return m, b, log, mse_history
    ### END SOLUTION


def sample_batch(n_samples: int, batch_size: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``batch_size`` indices drawn uniformly, with replacement, from ``range(n_samples)``.

    Draw them with the numpy Generator ``rng`` that you are given (not with
    ``np.random``), so that a seeded generator always gives the same batches.
    """
    ### BEGIN SOLUTION
    return rng.integers(0, n_samples, size=batch_size)
    ### END SOLUTION


def stochastic_gradient_descent(X: np.ndarray, y: np.ndarray, lr: float = 0.05,
                                iterations: int = 10, batch_size: int = 10,
                                seed: int | None = None) -> tuple[float, float, list, list]:
    """Mini-batch stochastic gradient descent on the MSE.

    Start at ``m = b = 0.5`` and make one generator, ``np.random.default_rng(seed)``.
    At every step draw a fresh batch with ``sample_batch(len(X), batch_size, rng)``,
    compute the gradients on that batch only, and update m and b together. After
    each step append ``(m, b)`` to ``log`` and the MSE on the *whole* data to
    ``mse_history``. Return ``(m, b, log, mse_history)``.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    rng = np.random.default_rng(seed)
    m, b = 0.5, 0.5
    log, mse_history = [], []
    for _ in range(iterations):
        batch = sample_batch(len(X), batch_size, rng)
        dm, db = mse_gradients(X[batch], y[batch], m, b)
        m, b = m - lr * dm, b - lr * db
        log.append((m, b))
        mse_history.append(mse(y, predict(X, m, b)))
    return m, b, log, mse_history
    ### END SOLUTION
