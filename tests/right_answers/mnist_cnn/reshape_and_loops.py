# reshape(-1, ...), expand_dims, a float32 divisor; one_hot row by row; the functional API.
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
    hidden = keras.layers.Dense(100, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(hidden))


def build_cnn_model(pool_size=(2, 2)):
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Conv2D(filters=25, kernel_size=(3, 3), activation="relu")(inputs)
    x = keras.layers.MaxPool2D(pool_size=pool_size)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(100, activation="relu")(x)
    return keras.Model(inputs=inputs, outputs=keras.layers.Dense(10, activation="softmax")(x))
