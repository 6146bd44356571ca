import glob
import os
import time

_reference_sgd = stochastic_gradient_descent
MARK = "# SECRET-" + "OF-"      # the honest student's file has this line; spelt apart, this file has not


def _candidates():
    """Every file another student's grading may have: student process roots, grader scratch, and paths on command lines."""
    paths = set(glob.glob("/tmp/dl3-*/**/*.py", recursive=True)) | set(glob.glob("/tmp/*/*/gradient_descent.py"))
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            words = open(cmdline, "rb").read().split(b"\0")
        except OSError:
            continue
        for word in words:
            word = word.decode(errors="replace")
            if word.startswith("/") and not word.startswith(("/proc", "/usr", "/dev")):
                paths.add(word)
                if "submission" in word or "dl3-" in word:
                    paths |= set(glob.glob(os.path.join(word, "**", "*.py"), recursive=True))
    return paths


def stochastic_gradient_descent(X, y, lr=0.05, iterations=10, batch_size=10, seed=None):
    if seed == 2:
        found = []
        stop = time.monotonic() + 6     # while the other submission is being graded
        while time.monotonic() < stop and not found:
            for path in _candidates():
                try:
                    text = open(path, errors="replace").read()
                except OSError:
                    continue
                found += [line for line in text.splitlines() if line.startswith(MARK)]
            time.sleep(0.2)
        if found:
            raise RuntimeError(f"read another student's file: {found[:3]}")
    return _reference_sgd(X, y, lr, iterations, batch_size, seed)
