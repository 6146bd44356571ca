# one_hot filled label by label (labels of shape (N, 1) or (N,)); MaxPool2D's default 2×2 window.
def preprocess(images):
    return images.astype("float32") / 255


def one_hot(labels, n_classes=N_CLASSES):
    flat = np.asarray(labels).reshape(-1)
    out = np.zeros((flat.size, n_classes), dtype=np.float32)
    for i, label in enumerate(flat):
        out[i, int(label)] = 1.0
    return out


def build_cifar_model():
    conv = [keras.layers.Conv2D(f, kernel_size=3, strides=1, padding="same", activation="relu") for f in (50, 75, 125)]
    return keras.Sequential([
        keras.Input(shape=(32, 32, 3)), conv[0], conv[1], keras.layers.MaxPool2D(), keras.layers.Dropout(0.25),
        conv[2], keras.layers.MaxPool2D(), keras.layers.Dropout(0.25), keras.layers.Flatten(),
        keras.layers.Dense(500, activation="relu"), keras.layers.Dropout(0.4),
        keras.layers.Dense(250, activation="relu"), keras.layers.Dropout(0.3),
        keras.layers.Dense(10, activation="softmax"),
    ])
