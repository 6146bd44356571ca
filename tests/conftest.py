"""The kit's own tests: the plugins every test file gets (``docs/testing.md``).

Helpers live in ``tests/helpers/``; no test module imports another.
"""

from __future__ import annotations

# Sets the offline data directory and the non-root opt-in before anything reads them.
import tests.helpers.kit  # noqa: F401

# pytester's in-process runs forget modules first imported inside them, and numpy's, scipy's and
# TensorFlow's C extensions cannot be imported twice: import them here, once (the tier guard imports keras).
import numpy.fft  # noqa: F401,E402
import sklearn.linear_model  # noqa: F401,E402
import sklearn.metrics  # noqa: F401,E402

pytest_plugins = ["pytester", "tests.helpers.tiers", "tests.helpers.fixtures"]
