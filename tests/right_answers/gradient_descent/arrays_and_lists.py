# Parameters as one numpy vector: gradients as an array, log entries as lists, history as an array.
def mse_gradients(X, y, m, b):
    residual = y - (m * X + b)
    return np.array([-2 * np.mean(X * residual), -2 * np.mean(residual)])


def gradient_descent(X, y, lr=0.05, iterations=10):
    params = np.array([0.2, 0.2])
    log, history = [], np.zeros(iterations)
    for i in range(iterations):
        params = params - lr * mse_gradients(X, y, *params)
        log.append(params.tolist())
        history[i] = mse(y, predict(X, *params))
    return params[0], params[1], log, history
