# STRICT: returns numpy's integer (np.int64), not a Python int; the spec asks for int(...).
def best_epoch(history):
    return np.argmin(history.history["val_loss"]) + 1
