# Library calls: the line through np.polyval, the loss through scikit-learn.
from sklearn.metrics import mean_squared_error


def predict(X, m, b):
    return np.polyval([m, b], X)


def mse(y, y_hat):
    return mean_squared_error(y, y_hat)
