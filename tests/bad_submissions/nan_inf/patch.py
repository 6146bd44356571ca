def mse_gradients(X, y, m, b):
    return float("nan"), float("inf")
