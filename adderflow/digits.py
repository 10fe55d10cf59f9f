"""The bundled default: a small HGQ2 MLP trained on scikit-learn's 8x8 digits (offline data)."""

import numpy as np


def load_digits_split(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Train/test split of the 1,797 digits, pixels scaled to [0, 1] (exact multiples of 1/16)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    return train_test_split(x, digits.target, test_size=0.25, random_state=seed, stratify=digits.target)


def train_digits_mlp(hidden: tuple[int, ...] = (32, 16), epochs: int = 60, seed: int = 0, beta: float = 1e-5,
                     batch_size: int = 64):
    """Train and calibrate a QDense MLP 64-hidden-10; returns (model, x_train, x_test, y_test).

    beta weighs HGQ2's resource penalty (EBOPs): larger beta, fewer bits. Bit widths move by about
    the learning rate per optimizer step, so smaller batches (more steps) let beta act sooner.
    """
    import keras
    from hgq.layers import QDense
    from hgq.utils import trace_minmax

    keras.utils.set_random_seed(seed)
    x_train, x_test, y_train, y_test = load_digits_split(seed)
    inputs = keras.Input((64,))
    x = inputs
    for units in hidden:
        x = QDense(units, activation="relu", beta0=beta)(x)
    outputs = QDense(10, beta0=beta)(x)
    model = keras.Model(inputs, outputs, name="digits_mlp")
    model.compile(keras.optimizers.Adam(3e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0)
    trace_minmax(model, x_train)
    return model, x_train, x_test, y_test
