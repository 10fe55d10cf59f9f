"""Unsupported layers and options are refused with the layer's name, class and what is supported instead."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hgq.config import QuantizerConfig  # noqa: E402
from hgq.layers import QAvgPool1D, QConv1D, QConv2D, QDense  # noqa: E402
from hgq.quantizer import Quantizer  # noqa: E402

import quant  # noqa: E402


def _model(inputs, outputs):
    return keras.Model(inputs, outputs)


def _refused(model, pattern):
    with pytest.raises(quant.UnsupportedLayerError, match=pattern):
        quant.from_keras(model)


def test_dilated_convolution_is_refused():
    inp = keras.Input((8, 8, 1))
    _refused(_model(inp, QConv2D(2, 3, dilation_rate=2, name="dil")(inp)),
             r"'dil' \(QConv2D\) has .*dilation_rate=\(2, 2\).*supported: channels_last, groups=1, dilation 1")


def test_causal_padding_is_refused():
    inp = keras.Input((8, 2))
    _refused(_model(inp, QConv1D(2, 3, padding="causal", name="causal")(inp)),
             r"'causal' \(QConv1D\).*'valid' or 'same'")


def test_average_pool_of_three_is_refused():
    inp = keras.Input((9, 2))
    _refused(_model(inp, QAvgPool1D(3, name="avg3")(inp)),
             r"'avg3' \(QAveragePooling1D\) averages windows of \[3\].*power-of-two")


def test_an_unsupported_layer_names_the_supported_families():
    inp = keras.Input((4,))
    _refused(_model(inp, keras.layers.Dense(4, name="plain")(QDense(4)(inp))),
             r"'plain' \(Dense\) is not supported; supported: dense and einsum: QDense.*; wiring: ")


def test_leaky_relu_with_a_long_slope_is_refused():
    inp = keras.Input((4,))
    _refused(_model(inp, keras.layers.LeakyReLU(0.3, name="leak")(QDense(4)(inp))),
             r"'leak' \(LeakyReLU\) has negative_slope 0.3.*dyadic")


def test_non_power_of_two_scaler_is_refused():
    inp = keras.Input((4,))
    q = Quantizer(QuantizerConfig("kif", "datalane", scaler=3.0), name="sq")
    _refused(_model(inp, QDense(2)(q(inp))), r"'sq' \(Quantizer\).*scaler 3.0; supported: power-of-two")


def test_shared_layer_is_refused():
    a, b = keras.Input((4,)), keras.Input((4,))
    shared = QDense(2, name="shared")
    _refused(_model([a, b], [shared(a), shared(b)]), r"'shared' \(QDense\) is called 2 times")


def test_input_quantized_two_ways_is_refused():
    inp = keras.Input((4,))
    one = QDense(2, iq_conf=QuantizerConfig("kif", "datalane", f0=3), name="one")(inp)
    two = QDense(2, iq_conf=QuantizerConfig("kif", "datalane", f0=5), name="two")(inp)
    _refused(_model(inp, [one, two]), r"quantized differently by layer 'one' \(QDense\) and layer 'two' \(QDense\)")


def test_relu_with_max_value_is_refused():
    inp = keras.Input((4,))
    _refused(_model(inp, keras.layers.ReLU(max_value=6.0, name="relu6")(QDense(4)(inp))),
             r"'relu6' \(ReLU\) has max_value")


def test_unknown_layer_lists_what_is_supported():
    inp = keras.Input((4,))
    _refused(_model(inp, keras.layers.BatchNormalization(name="plain_bn")(QDense(4)(inp))),
             r"'plain_bn' \(BatchNormalization\) is not supported; supported: .*QDense.*QConv2D")


def test_sequential_models_are_read():
    model = keras.Sequential([keras.Input((4,)), QDense(3, activation="relu"), keras.layers.Dropout(0.5), QDense(2)])
    x = np.random.default_rng(0).normal(size=(256, 4)).astype(np.float32)
    from hgq.utils import trace_minmax

    trace_minmax(model, x)
    net = quant.from_keras(model)
    np.testing.assert_array_equal(net.predict(x), model.predict(x, verbose=0))
