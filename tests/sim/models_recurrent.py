"""Small recurrent and spiking HGQ2 models on synthetic pulse sequences, trained a few steps and calibrated.

Shared by the end-to-end tests (tests/sim/test_recurrent.py) and benchmarks/recurrent_cost.py; each takes
the sequence length T. ``sequences`` gives >= 10,000 test sequences, half of them far beyond the
calibration range, so WRAP overflow must match too.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

N_SAMPLES = 10_240
N_TRAIN = 512


def pulses(n: int, n_steps: int, n_features: int, rng, scale: float = 1.0) -> np.ndarray:
    """Noisy pulses (a rise and an exponential fall at a random time) on every feature."""
    t = np.arange(n_steps)[None, :, None]
    start = rng.integers(0, n_steps, size=(n, 1, n_features))
    height = rng.uniform(0.2, 1.5, size=(n, 1, n_features))
    shape = np.where(t >= start, height * 0.6 ** (t - start), 0.0)
    return (scale * (shape + 0.1 * rng.normal(size=shape.shape))).astype(np.float32)


def sequences(n_steps: int, n_features: int, seed: int = 1) -> np.ndarray:
    """N_SAMPLES test sequences: half like the training data, half four times as large."""
    rng = np.random.default_rng(seed)
    half = N_SAMPLES // 2
    return np.concatenate([pulses(half, n_steps, n_features, rng), pulses(half, n_steps, n_features, rng, 4.0)])


def fit_and_calibrate(model, x: np.ndarray, y, steps: int = 4) -> None:
    """A few Adam steps (so the weights and bit widths are trained, not initial), then trace_minmax."""
    import keras
    from hgq.utils import trace_minmax

    model.compile(keras.optimizers.Adam(3e-3), "mse")
    model.fit(x, y, epochs=1, batch_size=len(x) // steps, verbose=0)
    trace_minmax(model, x, batch_size=len(x), verbose=False)


def _train(n_steps: int, n_features: int, seed: int = 0):
    import keras

    keras.utils.set_random_seed(seed)
    return pulses(N_TRAIN, n_steps, n_features, np.random.default_rng(seed))


def stacked_rnn(n_steps: int = 4):
    """QSimpleRNN (return_sequences) - QSimpleRNN - QDense: a pulse's height and time."""
    import keras
    from hgq.layers import QDense, QSimpleRNN

    x = _train(n_steps, 2)
    inp = keras.Input((n_steps, 2))
    h = QSimpleRNN(5, return_sequences=True, name="rnn1")(inp)
    h = QSimpleRNN(4, name="rnn2")(h)
    out = QDense(2, name="readout")(h)
    model = keras.Model(inp, out, name="stacked_rnn")
    y = np.stack([x.max(axis=(1, 2)), x.argmax(axis=1).mean(axis=1) / n_steps], axis=1)
    fit_and_calibrate(model, x, y)
    return model, sequences(n_steps, 2)


def stacked_gru(n_steps: int = 4):
    """QGRU (return_sequences) - QGRU (reset before the product) - QDense: a pulse's height and time."""
    import keras
    from hgq.layers import QDense, QGRU

    x = _train(n_steps, 2, seed=3)
    inp = keras.Input((n_steps, 2))
    h = QGRU(4, return_sequences=True, name="gru1")(inp)
    h = QGRU(3, reset_after=False, name="gru2")(h)
    out = QDense(2, name="readout")(h)
    model = keras.Model(inp, out, name="stacked_gru")
    y = np.stack([x.max(axis=(1, 2)), x.argmax(axis=1).mean(axis=1) / n_steps], axis=1)
    fit_and_calibrate(model, x, y)
    return model, sequences(n_steps, 2)


def relu_rnn(n_steps: int = 4):
    """QSimpleRNN with ReLU and a state quantizer, then QDense: the pulse's area."""
    import keras
    from hgq.layers import QDense, QSimpleRNN

    x = _train(n_steps, 3, seed=1)
    inp = keras.Input((n_steps, 3))
    h = QSimpleRNN(6, activation="relu", enable_sq=True, name="rnn")(inp)
    out = QDense(1, name="readout")(h)
    model = keras.Model(inp, out, name="relu_rnn")
    fit_and_calibrate(model, x, x.sum(axis=(1, 2))[:, None])
    return model, sequences(n_steps, 3)


def spiking_classifier(n_steps: int = 4):
    """QDense per step - QLIF (return_sequences) - Flatten - QDense: which feature pulsed first, 3 classes."""
    import keras
    from hgq.layers import QDense, QLIF

    x = _train(n_steps, 3, seed=2)
    inp = keras.Input((n_steps, 3))
    h = QDense(6, name="encode")(inp)
    h = QLIF(6, beta=0.75, return_sequences=True, name="lif")(h)
    h = keras.layers.Flatten(name="flatten")(h)
    out = QDense(3, name="classes")(h)
    model = keras.Model(inp, out, name="spiking_classifier")
    fit_and_calibrate(model, x, keras.utils.to_categorical(x.max(axis=1).argmax(axis=1), 3))
    return model, sequences(n_steps, 3)


MODELS = {"stacked_rnn": stacked_rnn, "stacked_gru": stacked_gru, "relu_rnn": relu_rnn,
          "spiking_classifier": spiking_classifier}
