"""Small HGQ2 models with products of two variable tensors: QMultiply, QDot, QEinsum and ``ops.multiply``.

Trained a few steps on synthetic data and calibrated with trace_minmax (``models_ops`` helpers); ``x``
holds the data several times and then values beyond its range (N_SAMPLES samples).
"""

import numpy as np
from models_ops import _data, _fit_and_calibrate, _many, _q


def products_zoo():
    """A batched two-variable QEinsum 'bqhd,bkhd->bhqk', a QDot of a 3-D and a 2-D tensor, ``ops.multiply``."""
    import keras
    from hgq.layers import QDense, QDot, QEinsum
    from keras import ops

    keras.utils.set_random_seed(21)
    rng = np.random.default_rng(21)
    x = _data(rng, (2, 2, 3))
    inp = keras.Input((2, 2, 3))
    q = _q("q")(inp)
    k = QDense(3, name="key")(q)  # (2, 2, 3)
    att = QEinsum("bqhd,bkhd->bhqk", name="attention")([q, k])  # (2, 2, 2)
    flat = keras.layers.Flatten(name="flat")(att)
    v = QDense(4, name="value")(flat)  # (4,)
    dot = QDot(axes=(2, 1), name="dot")([keras.layers.Reshape((2, 4), name="rows")(att), v])  # (2,)
    prod = ops.multiply(_q("qa")(dot), _q("qb")(v[:, 1:3]))  # a Keras op on two tensors
    out = QDense(2, name="head")(keras.layers.Concatenate(name="cat")([prod, dot, v]))
    model = keras.Model(inp, out, name="products_zoo")
    _fit_and_calibrate(model, x, x[:, 0, 0, :2])
    return model, _many(x, rng)


def gated_mlp(n: int = 8):
    """A gated MLP: the QMultiply of two QDense branches (a ReLU gate and a linear value), then a QEinsum
    of the gated vector with a third branch ('bij,bjk->bik'), a QDense head."""
    import keras
    from hgq.layers import QDense, QEinsum, QMultiply

    keras.utils.set_random_seed(22)
    rng = np.random.default_rng(22)
    x = _data(rng, (n,))
    inp = keras.Input((n,))
    gate = QDense(8, activation="relu", name="gate")(inp)
    value = QDense(8, name="value")(inp)
    gated = keras.layers.Reshape((2, 4), name="rows")(QMultiply(name="gated")([gate, value]))
    mix = keras.layers.Reshape((4, 2), name="cols")(QDense(8, name="mix")(inp))
    mixed = QEinsum("bij,bjk->bik", name="einsum")([gated, mix])  # (2, 2)
    out = QDense(2, name="head")(keras.layers.Flatten(name="flat")(mixed))
    model = keras.Model(inp, out, name="gated_mlp")
    _fit_and_calibrate(model, x, x[:, :2] * x[:, 2:4])
    return model, _many(x, rng)


PRODUCTS = {"products_zoo": products_zoo, "gated_mlp": gated_mlp}
