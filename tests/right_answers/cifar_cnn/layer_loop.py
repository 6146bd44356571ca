# Layers added in a loop from a table; np.divide with a dtype; to_categorical on (N, 1) labels as they are.
def preprocess(images):
    return np.divide(images, 255, dtype=np.float32)


def one_hot(labels, n_classes=N_CLASSES):
    return keras.utils.to_categorical(labels, n_classes)


def build_cifar_model():
    model = keras.Sequential([keras.Input(shape=(32, 32, 3))])
    for kind, arg in [("conv", 50), ("conv", 75), ("pool", 2), ("drop", 0.25), ("conv", 125), ("pool", 2),
                      ("drop", 0.25), ("flat", None), ("dense", 500), ("drop", 0.4), ("dense", 250), ("drop", 0.3)]:
        if kind == "conv":
            model.add(keras.layers.Conv2D(arg, 3, padding="same", activation="relu"))
        elif kind == "pool":
            model.add(keras.layers.MaxPooling2D(pool_size=arg))
        elif kind == "drop":
            model.add(keras.layers.Dropout(arg))
        elif kind == "flat":
            model.add(keras.layers.Flatten())
        else:
            model.add(keras.layers.Dense(arg, activation="relu"))
    model.add(keras.layers.Dense(N_CLASSES, activation="softmax"))
    return model

