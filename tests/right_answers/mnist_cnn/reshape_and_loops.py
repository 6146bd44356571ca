# reshape(-1, ...), expand_dims, a float32 divisor; one_hot row by row; the functional API.
# The layers' settings are the reference's (above), read off the models it builds, so that an instructor's
# change of the model (docs/authoring.md, "Change a layer") changes them here too: what this variant writes
# differently is the Keras API, not the model.
_DENSE = build_dense_model().layers[0]
_CONV, *_, _HIDDEN, _ = build_cnn_model().layers


def preprocess_flat(images):
    return images.reshape(-1, 784) / np.float32(255)


def preprocess_grid(images):
    return np.expand_dims(images, axis=-1).astype("float32") / 255


def one_hot(labels, n_classes=N_CLASSES):
    encoded = np.zeros((len(labels), n_classes), dtype=np.float32)
    for row, label in enumerate(labels):
        encoded[row, label] = 1.0
    return encoded


def build_dense_model():
    inputs = keras.Input(shape=(784,))
    hidden = keras.layers.Dense(_DENSE.units, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(hidden))


def build_cnn_model(pool_size=(2, 2)):
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Conv2D(filters=_CONV.filters, kernel_size=_CONV.kernel_size, activation="relu")(inputs)
    x = keras.layers.MaxPool2D(pool_size=pool_size)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(_HIDDEN.units, activation="relu")(x)
    return keras.Model(inputs=inputs, outputs=keras.layers.Dense(10, activation="softmax")(x))
