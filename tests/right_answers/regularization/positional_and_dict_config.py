# Layers from a list comprehension with positional arguments; string names in compile; enumerate for the epoch.
def build_original_model():
    return keras.Sequential([keras.Input((NUM_WORDS,))] + [keras.layers.Dense(16, "relu") for _ in range(2)]
                            + [keras.layers.Dense(1, "sigmoid")])


def build_dropout_model(rate=0.5):
    hidden = []
    for _ in range(2):
        hidden += [keras.layers.Dense(16, activation="relu"), keras.layers.Dropout(rate)]
    return keras.Sequential([keras.Input(shape=(NUM_WORDS,)), *hidden, keras.layers.Dense(1, activation="sigmoid")])


def compile_model(model):
    model.compile(loss="binary_crossentropy", optimizer="RMSprop", metrics=["accuracy"])
    return model


def best_epoch(history):
    best, best_loss = 1, float("inf")
    for epoch, loss in enumerate(history.history["val_loss"], start=1):
        if loss < best_loss:
            best, best_loss = epoch, loss
    return best
