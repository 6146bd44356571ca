# Parameters that stay numpy floats all the way (m, b, the log and the history), one-argument rng.integers.
def gradient_descent(X, y, lr=0.05, iterations=10):
    m, b = np.float64(0.2), np.float64(0.2)
    log, mse_history = [], []
    for _ in range(iterations):
        residual = y - (m * X + b)
        grads = {"m": -2 * np.mean(X * residual), "b": -2 * np.mean(residual)}
        m, b = m - lr * grads["m"], b - lr * grads["b"]
        log.append((m, b))
        mse_history.append(np.mean((y - (m * X + b)) ** 2))
    return m, b, log, mse_history


def sample_batch(n_samples, batch_size, rng):
    return rng.integers(n_samples, size=batch_size)
