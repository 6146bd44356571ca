"""The fixed data the checks use, loaded once per process through the kit's data layer."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from autograder.datasets import california_housing_arrays


def housing_xy() -> tuple[np.ndarray, np.ndarray]:
    """California housing: median income X and median house value y (float64, 20,640 each).

    Fresh copies each call, so a student's function that writes into its input
    cannot change what the next check sees.
    """
    X, y = _housing_xy()
    return X.copy(), y.copy()


@lru_cache(maxsize=1)
def _housing_xy() -> tuple[np.ndarray, np.ndarray]:
    data, target, feature_names = california_housing_arrays()
    X = data[:, feature_names.index("MedInc")].astype(np.float64)
    y = target.astype(np.float64)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y
