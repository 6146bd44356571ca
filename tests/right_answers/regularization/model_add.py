# model.add one layer at a time; the lower-case regularizer aliases and L1L2 with one factor; list.index.
def _sequential(units, regularizer=None, rate=None):
    model = keras.Sequential()
    model.add(keras.Input(shape=(NUM_WORDS,)))
    for _ in range(2):
        model.add(keras.layers.Dense(units, "relu", kernel_regularizer=regularizer))
        if rate is not None:
            model.add(keras.layers.Dropout(rate=rate))
    model.add(keras.layers.Dense(1, "sigmoid"))
    return model


def build_original_model():
    return _sequential(16)


def build_smaller_model():
    return _sequential(8)


def build_bigger_model():
    return _sequential(512)


def build_l2_model(factor=0.001):
    return _sequential(16, keras.regularizers.l2(factor))


def build_l1_model(factor=0.001):
    return _sequential(16, keras.regularizers.L1L2(l1=factor))


def build_dropout_model(rate=0.5):
    return _sequential(16, rate=rate)


def best_epoch(history):
    losses = history.history["val_loss"]
    return losses.index(min(losses)) + 1
