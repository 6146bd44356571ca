# Multi-hot vectors filled word by word; the best epoch found with min over the epochs' numbers.
def vectorize_sequences(sequences, dimension=NUM_WORDS):
    result = np.zeros((len(sequences), dimension), dtype="float32")
    for i, sequence in enumerate(sequences):
        for word in sequence:
            if word < dimension:
                result[i, word] = 1.0
    return result


def best_epoch(history):
    losses = history.history["val_loss"]
    return min(range(1, len(losses) + 1), key=lambda epoch: losses[epoch - 1])
