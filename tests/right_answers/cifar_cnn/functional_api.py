# The functional API; scale in float64 then convert; one_hot from an identity matrix (float64);
# compile with Keras objects (Adam's default learning rate spelled out).
def preprocess(images):
    return (images / 255.0).astype(np.float32)


def one_hot(labels, n_classes=N_CLASSES):
    return np.eye(n_classes)[np.ravel(labels)]


def build_cifar_model():
    inputs = keras.Input(shape=(32, 32, 3))
    x = inputs
    for filters in (50, 75):
        x = keras.layers.Conv2D(filters, (3, 3), padding="same", activation="relu")(x)
    x = keras.layers.MaxPool2D((2, 2))(x)
    x = keras.layers.Dropout(0.25)(x)
    x = keras.layers.Conv2D(125, (3, 3), padding="same", activation="relu")(x)
    x = keras.layers.MaxPool2D((2, 2))(x)
    x = keras.layers.Dropout(0.25)(x)
    x = keras.layers.Flatten()(x)
    for units, rate in ((500, 0.4), (250, 0.3)):
        x = keras.layers.Dense(units, activation="relu")(x)
        x = keras.layers.Dropout(rate)(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def compile_model(model):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss=keras.losses.CategoricalCrossentropy(),
                  metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")])
    return model
