def stochastic_gradient_descent(X, y, lr=0.05, iterations=10, batch_size=10, seed=None):
    return "m", "b", "log", "history"
