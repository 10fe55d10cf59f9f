"""Small HGQ2 models that together use every supported layer, each trained a few steps and calibrated.

Shared by the reference, program and RTL tests. Sizes are small so that HGQ2's float32 forward pass is
itself exact (accumulators well under 24 bits) and a Verilator build takes seconds.
"""

import functools
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

N_SAMPLES = 10_240


def _fit(model, xs, y, steps: int = 30):
    import keras

    model.compile(keras.optimizers.Adam(3e-3), "mse")
    model.fit(xs, y, epochs=1, batch_size=-(-len(y) // steps), verbose=0)


def _calibrate(model, xs):
    from hgq.utils import trace_minmax

    trace_minmax(model, xs, batch_size=4096)


def _digits_images():
    from adderflow.digits import load_digits_split

    x_train, x_test, y_train, _ = load_digits_split()
    return x_train.reshape(-1, 8, 8, 1), x_test.reshape(-1, 8, 8, 1), y_train


def _many(x: np.ndarray, rng, lo: float, hi: float, step: float) -> np.ndarray:
    """The data several times, then grid values beyond its range: >= N_SAMPLES samples."""
    reps = -(-N_SAMPLES // (2 * len(x)))
    wild = rng.integers(int(lo / step), int(hi / step), size=(N_SAMPLES // 2,) + x.shape[1:]) * step
    return np.concatenate([np.tile(x, (reps,) + (1,) * (x.ndim - 1)), wild]).astype(np.float32)


@functools.cache  # trained once per session, shared by the Verilog and VHDL tests
def conv_net():
    """Conv2D - MaxPool2D - BatchNormalization - Flatten - Dense - Dense on 8x8 digits."""
    import keras
    from hgq.config import QuantizerConfig
    from hgq.layers import QBatchNormalization, QConv2D, QDense, QMaxPool2D

    keras.utils.set_random_seed(1)
    x_train, x_test, y_train = _digits_images()
    inp = keras.Input((8, 8, 1))
    x = QConv2D(2, 3, activation="relu", kq_conf=QuantizerConfig("kbi", "weight", b0=4), name="conv")(inp)
    x = QMaxPool2D(2, name="maxpool")(x)
    x = QBatchNormalization(name="bn")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = QDense(8, activation="relu", name="dense1")(x)
    out = QDense(10, name="dense2")(x)
    model = keras.Model(inp, out, name="conv_net")
    _fit(model, x_train, keras.utils.to_categorical(y_train, 10))
    _calibrate(model, x_train)
    return model, _many(np.concatenate([x_train, x_test]), np.random.default_rng(1), -1.0, 2.0, 1 / 16)


@functools.cache  # trained once per session, shared by the Verilog and VHDL tests
def residual_mlp():
    """An einsum-batchnorm block, a tanh table and an add around a skip connection, a batchnorm-dense head."""
    import keras
    from hgq.config import QuantizerConfig
    from hgq.layers import QAdd, QBatchNormDense, QDense, QEinsumDenseBatchnorm, QUnaryFunctionLUT

    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    x = (rng.integers(-32, 32, size=(2048, 12)) / 16).astype(np.float32)
    y = np.tanh(x[:, :4] - x[:, 4:8]) + 0.1 * x[:, 8:]
    inp = keras.Input((12,))
    h = QEinsumDenseBatchnorm("ab,bc->ac", (8,), bias_axes="c", activation="relu", name="einsum_bn")(inp)
    t = QUnaryFunctionLUT("tanh", iq_conf=QuantizerConfig("kif", "datalane", f0=3), name="tanh_table")(h)
    skip = QDense(8, name="skip")(inp)
    s = QAdd(name="add")([t, skip])
    out = QBatchNormDense(4, name="head_bn")(s)
    model = keras.Model(inp, out, name="residual_mlp")
    _fit(model, x, y)
    _calibrate(model, x)
    return model, _many(x, rng, -3.0, 3.0, 1 / 16)


@functools.cache  # trained once per session, shared by the Verilog and VHDL tests
def zoo_1d():
    """Two inputs, two outputs: a scaled Quantizer, 1-D convolutions (same/valid, strides), 1-D pools,
    maximum/minimum/subtract, leaky and plain ReLU layers, an einsum, concatenate, dropout, output quantizers."""
    import keras
    from hgq.config import QuantizerConfig
    from hgq.layers import (QAvgPool1D, QConv1D, QDense, QEinsumDense, QGlobalAvgPool1D, QGlobalMaxPool1D, QMaximum,
                            QMaxPool1D, QMinimum, QSubtract)
    from hgq.quantizer import Quantizer

    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    a = (rng.integers(-16, 16, size=(2048, 8, 2)) / 8).astype(np.float32)
    b = (rng.integers(-16, 16, size=(2048, 5)) / 8).astype(np.float32)
    in_a, in_b = keras.Input((8, 2), name="seq"), keras.Input((5,), name="vec")
    s = Quantizer(QuantizerConfig("kif", "datalane", scaler=2.0), name="scaled_q")(in_a)
    c1 = QConv1D(3, 3, padding="same", name="conv_same")(s)  # (8, 3)
    c2 = QConv1D(3, 3, strides=2, activation="relu", name="conv_valid_s2")(s)  # (3, 3)
    m = QMaxPool1D(2, name="maxpool1d")(c1)  # (4, 3)
    av = QAvgPool1D(2, name="avgpool1d")(c1)  # (4, 3)
    hi = QMaximum(name="maximum")([m, av])
    lo = QMinimum(name="minimum")([m, av])
    d = QSubtract(name="subtract")([hi, lo])
    g1 = QGlobalAvgPool1D(name="gavg1d")(d)  # window 4
    g2 = QGlobalMaxPool1D(name="gmax1d")(c2)
    leaky = keras.layers.LeakyReLU(0.125, name="leaky")(c1)
    e = QEinsumDense("abc,cd->abd", (8, 2), bias_axes="d", name="einsum")(leaky)
    v = QDense(4, name="vec_dense")(in_b)
    v = keras.layers.ReLU(name="relu_layer")(v)
    v = keras.layers.Dropout(0.1, name="dropout")(v)
    cat = keras.layers.Concatenate(name="concat")([g1, g2, v])
    out1 = QDense(3, enable_oq=True, name="out1")(cat)
    out2 = QDense(2, name="out2")(keras.layers.Reshape((16,), name="reshape")(e))
    model = keras.Model([in_a, in_b], [out1, out2], name="zoo_1d")
    y1, y2 = a[:, :3, 0] - b[:, :3], a[:, :2, 1] * 0.5
    _fit(model, [a, b], [y1, y2])
    _calibrate(model, [a, b])
    return model, [_many(a, rng, -3.0, 3.0, 1 / 8), _many(b, rng, -3.0, 3.0, 1 / 8)]


@functools.cache  # trained once per session, shared by the Verilog and VHDL tests
def zoo_2d():
    """2-D convolution with 'same' padding and strides, 2-D average and global pools, an activation layer."""
    import keras
    from hgq.layers import QAdd, QAvgPool2D, QConv2D, QDense, QGlobalAvgPool2D, QGlobalMaxPool2D

    keras.utils.set_random_seed(4)
    x_train, x_test, y_train = _digits_images()
    inp = keras.Input((8, 8, 1))
    c = QConv2D(2, 3, strides=2, padding="same", name="conv_same_s2")(inp)  # (4, 4, 2)
    c = keras.layers.Activation("relu", name="act_relu")(c)
    p = QAvgPool2D(2, name="avgpool2d")(c)  # (2, 2, 2)
    g1 = QGlobalMaxPool2D(name="gmax2d")(p)
    g2 = QGlobalAvgPool2D(name="gavg2d")(c)  # window 16
    s = QAdd(name="add")([g1, g2])
    out = QDense(10, name="head")(s)
    model = keras.Model(inp, out, name="zoo_2d")
    _fit(model, x_train, keras.utils.to_categorical(y_train, 10))
    _calibrate(model, x_train)
    return model, _many(np.concatenate([x_train, x_test]), np.random.default_rng(4), -1.0, 2.0, 1 / 16)


MODELS = {"conv_net": conv_net, "residual_mlp": residual_mlp, "zoo_1d": zoo_1d, "zoo_2d": zoo_2d}
