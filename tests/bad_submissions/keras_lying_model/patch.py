class LyingSequential(keras.Sequential):
    """A model class of the student's own, whose count_params lies."""

    def count_params(self):
        return 160_305


def build_original_model():
    return {"model": "a dict, not a Keras model", "count_params": 160_305}


def build_smaller_model():
    return LyingSequential([keras.Input(shape=(NUM_WORDS,)), keras.layers.Dense(2, activation="relu"),
                            keras.layers.Dense(1, activation="sigmoid")])


_reference_bigger = build_bigger_model


def build_bigger_model():
    model = _reference_bigger()
    model.count_params = lambda: 1  # a lie that changes nothing: the checks count the weights
    return model
