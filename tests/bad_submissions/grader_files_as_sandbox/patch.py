import getpass
import glob
import os

_reference_sgd = stochastic_gradient_descent
GRADER_FILES = ("hidden_tests/*.py", "solutions/*.py", "results/results.json", "*/results.json", "judge-*.log",
                "*/judge-*.args")


def _roots():
    """Where the kit may be: the usual places, and every folder on any process's command line or cwd."""
    roots = {"/autograder/source", "/autograder", "/work/main", "/srv", "/opt"}
    for proc in glob.glob("/proc/[0-9]*"):
        try:
            roots.add(os.readlink(f"{proc}/cwd"))
        except OSError:
            pass
        try:
            words = open(f"{proc}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        for word in words:
            path = word.decode(errors="replace")
            while path.startswith("/") and path not in ("/", "/proc", "/usr"):
                roots.add(path)
                path = os.path.dirname(path)
    return roots


def stochastic_gradient_descent(X, y, lr=0.05, iterations=10, batch_size=10, seed=None):
    if seed == 2:
        if os.getuid() == 0 or os.geteuid() == 0:
            raise RuntimeError("student code runs as root")
        getpass.getuser()   # a real user-database entry: must not raise
        read = []
        for root in _roots():
            for pattern in GRADER_FILES:
                for path in glob.glob(os.path.join(root, pattern))[:50]:
                    try:
                        open(path, "rb").read(100)
                        read.append(path)
                    except OSError:
                        pass
        if read:
            raise RuntimeError(f"read the grader's files: {sorted(read)[:5]}")
    return _reference_sgd(X, y, lr, iterations, batch_size, seed)
