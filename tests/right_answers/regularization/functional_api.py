# The functional API for every model, through one helper; compile with Keras objects at their defaults.
def _stack(units, regularizer=None, rate=None):
    inputs = keras.Input(shape=(NUM_WORDS,))
    x = inputs
    for _ in range(2):
        x = keras.layers.Dense(units, activation="relu", kernel_regularizer=regularizer)(x)
        if rate is not None:
            x = keras.layers.Dropout(rate)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)


def build_original_model():
    return _stack(16)


def build_smaller_model():
    return _stack(8)


def build_bigger_model():
    return _stack(512)


def build_l2_model(factor=0.001):
    return _stack(16, keras.regularizers.L2(factor))


def build_l1_model(factor=0.001):
    return _stack(16, keras.regularizers.L1(factor))


def build_dropout_model(rate=0.5):
    return _stack(16, rate=rate)


def compile_model(model):
    model.compile(optimizer=keras.optimizers.RMSprop(), loss=keras.losses.BinaryCrossentropy(),
                  metrics=["accuracy"])
    return model
