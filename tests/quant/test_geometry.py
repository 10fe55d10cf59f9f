"""Convolution and pooling windows (padding, strides, even kernels) match HGQ2 exactly, without training."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hgq.layers import QAvgPool2D, QConv1D, QConv2D, QMaxPool1D, QMaxPool2D  # noqa: E402
from hgq.utils import trace_minmax  # noqa: E402

import da_core  # noqa: E402
import quant  # noqa: E402

CASES = [
    ((7, 2), lambda: QConv1D(3, 2, padding="same")),
    ((9, 1), lambda: QConv1D(2, 4, strides=3, padding="same")),
    ((8, 2), lambda: QConv1D(2, 3, strides=2, padding="valid")),
    ((5, 6, 2), lambda: QConv2D(2, (2, 3), strides=(2, 1), padding="same")),
    ((6, 5, 1), lambda: QConv2D(2, 4, strides=2, padding="same")),
    ((7, 2), lambda: QMaxPool1D(3, strides=2, padding="same")),
    ((5, 5, 2), lambda: QMaxPool2D(2, padding="same")),
    ((6, 4, 1), lambda: QAvgPool2D((2, 4), strides=(2, 4))),
]


@pytest.mark.parametrize("shape, make", CASES, ids=[f"case{j}" for j in range(len(CASES))])
def test_windows_match_hgq2(shape, make):
    keras.utils.set_random_seed(7)
    inp = keras.Input(shape)
    model = keras.Model(inp, make()(inp))
    x = (np.random.default_rng(7).integers(-24, 24, size=(512, *shape)) / 8).astype(np.float32)
    trace_minmax(model, x)
    net = quant.from_keras(model)
    expected = model.predict(x, verbose=0)
    np.testing.assert_array_equal(net.predict(x), expected)
    program = da_core.lower(net)
    quantized = np.concatenate([a.reshape(len(a), -1) for a in net.quantize_inputs(x)], axis=1)
    np.testing.assert_array_equal(program(quantized), expected.reshape(len(x), -1))
