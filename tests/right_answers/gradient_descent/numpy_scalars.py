# The student: numpy's reductions return numpy floats (np.float64), never converted.
def mse(y, y_hat):
    return np.mean((np.asarray(y) - np.asarray(y_hat)) ** 2)


def mse_gradients(X, y, m, b):
    f = y - (m * X + b)
    return -2 * np.mean(X * f), -2 * np.mean(f)
