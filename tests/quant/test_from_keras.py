"""The NumPy reference equals HGQ2's own forward pass, and bad models are refused by name."""

import keras
import numpy as np
import pytest
from hgq.layers import QDense
from hgq.utils import trace_minmax

import quant


def test_reference_equals_hgq2_predict(digits, digits_net, many_inputs):
    model = digits[0]
    assert len(many_inputs) >= 10_000
    expected = model.predict(many_inputs, batch_size=len(many_inputs), verbose=0)  # one batch: one compile
    got = digits_net.predict(many_inputs)
    mismatch = np.argwhere(got != expected)
    assert mismatch.size == 0, \
        f"first mismatch at {mismatch[0]}: {got[tuple(mismatch[0])]} != {expected[tuple(mismatch[0])]}"


def test_network_structure_follows_the_layers(digits_net):
    kinds = [type(node.op).__name__ for node in digits_net.nodes]
    # the first layer's input quantizer is also the port format: applying it again is the identity
    assert kinds == ["Quantize", "Dense", "Relu", "Quantize", "Dense", "Relu", "Quantize", "Dense"]
    assert digits_net.inputs[0].shape == (64,)


def _tiny_model(*layers, n_in=4):
    inputs = keras.Input((n_in,))
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x)


def _calibrated(model, n_in=4):
    x = np.random.default_rng(0).normal(size=(64, n_in)).astype(np.float32)
    trace_minmax(model, x)
    return model


def test_unsupported_layer_is_named():
    model = _calibrated(_tiny_model(QDense(3), keras.layers.Dense(2, name="plain_dense")))
    with pytest.raises(quant.UnsupportedLayerError, match=r"'plain_dense' \(Dense\) is not supported"):
        quant.from_keras(model)


def test_unsupported_activation_is_named():
    model = _calibrated(_tiny_model(QDense(3, activation="tanh", name="tanh_dense")))
    with pytest.raises(quant.UnsupportedLayerError, match=r"'tanh_dense' \(QDense\) has activation 'tanh'"):
        quant.from_keras(model)


def test_uncalibrated_model_is_refused():
    model = _tiny_model(QDense(3, activation="relu"), QDense(2))
    x = np.random.default_rng(0).normal(size=(256, 4)).astype(np.float32)
    model.compile("adam", "mse")
    model.fit(x, x[:, :2], epochs=3, verbose=0)
    with pytest.raises(quant.NotCalibratedError, match="trace_minmax"):
        quant.from_keras(model)
    trace_minmax(model, x)
    quant.from_keras(model)  # calibrated now: accepted


def test_unquantized_input_is_refused():
    model = _calibrated(_tiny_model(QDense(3, enable_iq=False, name="first")))
    with pytest.raises(quant.UnsupportedLayerError, match="input is not quantized"):
        quant.from_keras(model)


def test_not_a_model_is_refused():
    with pytest.raises(TypeError, match="keras.Model"):
        quant.from_keras("model.keras")
