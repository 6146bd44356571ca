# to_categorical with num_classes and its own float64 result; compile's arguments in another order.
def one_hot(labels, n_classes=N_CLASSES):
    return keras.utils.to_categorical(labels, num_classes=n_classes)


def compile_model(model):
    model.compile(metrics=["accuracy"], loss="categorical_crossentropy", optimizer="adam")
    return model
