# STRICT: numpy's default float64 instead of float32 (twice the memory of every training batch).
def vectorize_sequences(sequences, dimension=NUM_WORDS):
    result = np.zeros((len(sequences), dimension))
    for row, sequence in enumerate(sequences):
        indices = np.asarray(sequence, dtype=np.int64)
        result[row, indices[indices < dimension]] = 1.0
    return result
