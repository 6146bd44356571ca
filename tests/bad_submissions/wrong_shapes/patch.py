def mse_gradients(X, y, m, b):
    residual = np.asarray(y, dtype=np.float64) - (m * np.asarray(X, dtype=np.float64) + b)
    return np.array([[-2.0 * np.mean(X * residual), -2.0 * np.mean(residual)]])
