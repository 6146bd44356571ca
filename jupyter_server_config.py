"""JupyterLab started from the repo root (`.venv/bin/jupyter lab`) loads this file.

The notebooks' check cells import the kit (`autograder`); kernels inherit this
environment, so the repo root goes on their PYTHONPATH.
"""

import os

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [HERE, os.environ.get("PYTHONPATH", "")] if p)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
