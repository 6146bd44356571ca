import sys

print("x" * (20 * 2**20))
sys.stderr.write("y" * (5 * 2**20) + "\n")
_reference_predict = predict


def predict(X, m, b):
    print("predicting", m, b, "-" * 200)
    return _reference_predict(X, m, b)
