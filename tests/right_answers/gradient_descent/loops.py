# Loops where a student writes them: a batch drawn index by index, the batch gradient summed in a loop.
def sample_batch(n_samples, batch_size, rng):
    return [int(rng.integers(0, n_samples)) for _ in range(batch_size)]


def stochastic_gradient_descent(X, y, lr=0.05, iterations=10, batch_size=10, seed=None):
    rng = np.random.default_rng(seed)
    m = b = 0.5
    log, mse_history = [], []
    for _ in range(iterations):
        batch = sample_batch(len(X), batch_size, rng)
        dm = db = 0.0
        for i in batch:
            error = y[i] - (m * X[i] + b)
            dm += -2 * X[i] * error / batch_size
            db += -2 * error / batch_size
        m, b = m - lr * dm, b - lr * db
        log.append((m, b))
        mse_history.append(mse(y, predict(X, m, b)))
    return m, b, log, mse_history
