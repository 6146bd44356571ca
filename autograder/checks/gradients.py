"""Gradient checks: an analytic gradient against a central-difference numerical one (as in CS231n)."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from autograder.checks.values import expect_finite, fail

# The mistakes check_gradient names (a check using it declares them: ``mistakes={**GRADIENT_MISTAKES, ...}``).
GRADIENT_MISTAKES = {
    "sign_flipped": "the gradient has the opposite sign (the factor -2 of the chain rule lost)",
    "factor_half": "the gradient is half the right value (the factor 2 of the square lost)",
    "not_averaged": "the gradient is N times too large: summed over the samples, not averaged",
    "constant_factor": "every component off by the same constant factor",
    "wrong_formula": "the gradient differs in a way no constant factor explains (a wrong derivative)",
}


def numerical_gradient(f: Callable[..., float], point: Sequence[float], h: float = 1e-5) -> np.ndarray:
    """Central differences ``(f(p + h e_i) - f(p - h e_i)) / 2h`` for each coordinate of ``point``."""
    point = np.asarray(point, dtype=np.float64)
    grad = np.empty_like(point)
    for i in range(point.size):
        step = np.zeros_like(point)
        step[i] = h
        grad[i] = (f(*(point + step)) - f(*(point - step))) / (2 * h)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max_i |a_i - n_i| / max(|a_i| + |n_i|, 1e-12): CS231n's scale-free comparison."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-12)))


def check_gradient(analytic: Sequence[float], loss: Callable[..., float], point: Sequence[float],
                   names: Sequence[str], threshold: float, where: str = "", atol: float = 1e-8) -> None:
    """The analytic gradient at ``point`` must match the numerical gradient of ``loss`` there.

    It passes when the relative error is below ``threshold``, or when both gradients
    are within ``atol`` of each other (at a minimum both are ~0 and the relative
    error is meaningless).
    """
    expect_finite(analytic, f"your gradient {where}".strip())
    numeric = numerical_gradient(loss, point)
    error = relative_error(analytic, numeric)
    close = float(np.max(np.abs(np.ravel(analytic) - numeric))) < atol
    if not (error < threshold or close):
        pairs = ", ".join(f"d{n} = {a:.6g}" for n, a in zip(names, np.ravel(analytic)))
        expected = ", ".join(f"d{n} ≈ {v:.6g}" for n, v in zip(names, numeric))
        mistake, hint = _gradient_hint(np.ravel(analytic), numeric)
        fail(
            f"The gradient {where} does not match the numerical gradient "
            f"(relative error {error:.2g}, allowed {threshold:g})",
            expected, pairs, hint, mistake=mistake,
        )


def _gradient_hint(analytic: np.ndarray, numeric: np.ndarray) -> tuple[str, str]:
    """(mistake name, hint) for an analytic gradient that differs from the numerical one."""
    if np.allclose(analytic, -numeric, rtol=1e-4):
        return "sign_flipped", "the sign is flipped: the derivative of (y - (m x + b))**2 brings a factor -2"
    ratios = analytic / np.where(numeric == 0, np.nan, numeric)
    if np.all(np.isfinite(ratios)) and np.allclose(ratios, ratios[0], rtol=1e-4):
        r = ratios[0]
        if np.isclose(r, 0.5, rtol=1e-3):
            return "factor_half", "off by a factor 2: the derivative of a square brings a factor 2"
        if r > 10:
            return "not_averaged", f"about {r:.0f} times too large: did you divide the sum by N (take the mean)?"
        return "constant_factor", f"every component is {r:.4g} times the right value: check the constant factors"
    return ("wrong_formula",
            "differentiate (y_i - (m x_i + b))**2 with respect to m and to b, then average over the samples")
