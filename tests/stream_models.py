"""Small trained HGQ2 models that stream (per-channel quantizers, valid padding): shared by the stream
lowering tests and the end-to-end Verilator tests through the session fixture ``stream_model`` (conftest).

Each builder returns the model and >= 1,000 inputs: the calibration data, then values up to 4x beyond it.
"""

import numpy as np

N_WILD = 1200  # inputs up to 4x beyond the calibration range


def per_channel():
    """HGQ2 activation quantizers with one format per channel, shared by every position."""
    from hgq.config import QuantizerConfigScope

    return QuantizerConfigScope(place="datalane", homogeneous_axis=None, heterogeneous_axis=(-1,))


def train(model, x, y, fit: bool = True):
    """A few Adam steps (trained weights and bit-widths, not initial ones; skipped for refusals), calibration."""
    import keras
    from hgq.utils import trace_minmax

    if fit:
        model.compile(keras.optimizers.Adam(3e-3), "mse")
        model.fit(x, y, epochs=1, batch_size=64, verbose=0)
    trace_minmax(model, x, verbose=False)


def wild_inputs(x, rng):
    """The calibration data, then values on its grid up to 4x beyond its range."""
    wild = rng.integers(-64, 64, size=(N_WILD, *x.shape[1:])) / 16
    return np.concatenate([x, wild]).astype(np.float32)


def conv_model(padding="valid", per_channel_conv2=True, fit=True):
    """8x8x1 -> conv 3x3 (3 ch, relu) -> max pool 2 -> conv 2x2 (2 ch) -> flatten -> dense 2."""
    import contextlib

    import keras
    from hgq.layers import QConv2D, QDense, QMaxPool2D

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = (rng.integers(-16, 16, size=(256, 8, 8, 1)) / 16).astype(np.float32)
    y = np.stack([x[:, :4].mean((1, 2, 3)), x[:, :, :4].max((1, 2, 3))], 1)
    with per_channel():
        inp = keras.Input((8, 8, 1))
        h = QConv2D(3, 3, activation="relu", padding=padding, name="conv1")(inp)
        h = QMaxPool2D(2, name="pool")(h)
    with per_channel() if per_channel_conv2 else contextlib.nullcontext():
        h = QConv2D(2, 2, name="conv2")(h)
        out = QDense(2, name="head")(keras.layers.Flatten(name="flatten")(h))
    model = keras.Model(inp, out)
    train(model, x * np.linspace(0.2, 1, 8)[None, :, None, None], y, fit)  # positions of different ranges
    return model, wild_inputs(x, rng)


def pulses(n: int, n_steps: int, rng, scale: float = 1.0) -> np.ndarray:
    """Noisy pulses (a rise, then an exponential fall) on 2 features, on a grid of 1/64."""
    t = np.arange(n_steps)[None, :, None]
    start, height = rng.integers(0, n_steps, (n, 1, 2)), rng.uniform(0.2, 1.5, (n, 1, 2))
    shape = np.where(t >= start, height * 0.6 ** (t - start), 0.0) + 0.1 * rng.normal(size=(n, n_steps, 2))
    return (np.round(scale * shape * 64) / 64).astype(np.float32)


def recurrent_model(layer, n_steps=5, fit=True):
    """A recurrent layer on pulse sequences of 2 features, then dense 2; and >= 1,000 sequences (half 4x larger)."""
    import keras
    from hgq.layers import QDense

    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    x = pulses(256, n_steps, rng)
    inp = keras.Input((n_steps, 2))
    model = keras.Model(inp, QDense(2, name="head")(layer(inp)))  # per step after return_sequences
    train(model, x, np.stack([x.max((1, 2)), x.sum((1, 2))], 1), fit)
    return model, np.concatenate([x, pulses(N_WILD, n_steps, rng, 4.0)])


def deep_sets_model():
    """8 particles x 3 features -> per-particle QEinsumDense (relu) and QDense (relu) -> QSum / 8 -> dense 2."""
    import keras
    from hgq.layers import QDense, QEinsumDense, QSum

    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = (rng.integers(-16, 16, size=(256, 8, 3)) / 16).astype(np.float32)
    y = np.stack([x[..., 0].sum(1), (x[..., 1] * x[..., 2]).max(1)], 1)
    with per_channel():
        inp = keras.Input((8, 3))
        h = QEinsumDense("bpf,fo->bpo", (8, 4), bias_axes="o", activation="relu", name="phi1")(inp)
        h = QDense(4, activation="relu", name="phi2")(h)
        h = QSum(axes=1, scale=1 / 8, name="pool")(h)
        out = QDense(2, name="rho")(h)
    model = keras.Model(inp, out)
    train(model, x, y)
    return model, wild_inputs(x, rng)


def zoo_1d_model():
    """13 steps x 2 -> conv1d 3/2 (relu) -> per-position dense -> tanh table -> add the conv back -> avg pool 2
    -> global max pool -> dense 2."""
    import keras
    from hgq.config import QuantizerConfig
    from hgq.layers import QAdd, QAvgPool1D, QConv1D, QDense, QGlobalMaxPool1D, QUnaryFunctionLUT

    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    x = (rng.integers(-16, 16, size=(256, 13, 2)) / 16).astype(np.float32)
    with per_channel():
        inp = keras.Input((13, 2))
        c = QConv1D(4, 3, strides=2, activation="relu", name="conv")(inp)  # (6, 4)
        table = QUnaryFunctionLUT("tanh", iq_conf=QuantizerConfig("kif", "datalane", f0=3), name="tanh")
        s = QAdd(name="add")([table(QDense(4, name="per_position")(c)), c])
        g = QGlobalMaxPool1D(name="gmax")(QAvgPool1D(2, name="avg")(s))
        out = QDense(2, name="head")(g)
    model = keras.Model(inp, out)
    train(model, x, x[:, :2, 0])
    return model, wild_inputs(x, rng)


def gru_model():
    """A QGRU of 3 units over 5 steps, then dense 2."""
    from hgq.layers import QGRU

    return recurrent_model(QGRU(3, name="gru"))


def same_conv_model():
    """7x6x1 -> conv 3x3 'same' (2 ch, relu) -> conv 2x2 stride 2 'same' (2 ch) -> conv 4x4 'same' (2 ch, zero
    padding 1 before and 2 after) -> flatten -> dense 2: zero padding of odd and even kernels at strides 1 and 2."""
    import keras
    from hgq.layers import QConv2D, QDense

    keras.utils.set_random_seed(4)
    rng = np.random.default_rng(4)
    x = (rng.integers(-16, 16, size=(256, 7, 6, 1)) / 16).astype(np.float32)
    y = np.stack([x[:, :3].mean((1, 2, 3)), x[:, :, 3:].max((1, 2, 3))], 1)
    with per_channel():
        inp = keras.Input((7, 6, 1))
        h = QConv2D(2, 3, padding="same", activation="relu", name="conv1")(inp)
        h = QConv2D(2, 2, strides=2, padding="same", name="conv2")(h)
        h = QConv2D(2, 4, padding="same", name="conv3")(h)
        out = QDense(2, name="head")(keras.layers.Flatten(name="flatten")(h))
    model = keras.Model(inp, out)
    train(model, x, y)
    return model, wild_inputs(x, rng)
