# Other numpy calls for the same numbers: ufuncs, dot products, rng.choice for the batch.
def predict(X, m, b):
    return np.add(np.multiply(X, m), b)


def mse(y, y_hat):
    d = np.subtract(y, y_hat)
    return float(d @ d / d.size)


def mse_gradients(X, y, m, b):
    X = np.asarray(X, dtype=float)
    r = y - predict(X, m, b)
    n = len(X)
    return float(-2 * X @ r / n), float(-2 * r.sum() / n)


def sample_batch(n_samples, batch_size, rng):
    return rng.choice(n_samples, size=batch_size, replace=True)
