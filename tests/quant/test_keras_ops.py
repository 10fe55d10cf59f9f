"""Keras ops, layout layers and reductions, one at a time: HGQ2 == reference == program, or a clear refusal.

Cheap legs without Verilator (tests/sim/test_ops_layers.py takes them to RTL): each model is a
Quantizer and one op, calibrated, checked on data and on values beyond the calibration range.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hgq.config import QuantizerConfig  # noqa: E402
from hgq.layers import QSum  # noqa: E402
from hgq.quantizer import Quantizer  # noqa: E402
from hgq.utils import trace_minmax  # noqa: E402
from keras import ops  # noqa: E402

import da_core  # noqa: E402
import quant  # noqa: E402

L = keras.layers
ONE_OP = {
    "slice": lambda q: q[:, 1:3],
    "index": lambda q: q[..., 1],
    "constants": lambda q: (3.0 - q) * 0.25 + np.array([1.5, -2.0, 0.0], np.float32),
    "broadcast": lambda q: ops.maximum(q, q[:, :1]) - ops.minimum(q[:, 1:2], q),
    "split_stack": lambda q: ops.stack(ops.split(q, [1, 2], axis=2)[::-1], axis=1),
    "abs_clip": lambda q: ops.relu(ops.clip(ops.abs(ops.negative(q)), 0.5, 1.0)),
    "sum_mean": lambda q: ops.concatenate([ops.sum(q, axis=2), ops.mean(q, axis=1, keepdims=True)[:, 0]], -1),
    "qsum": lambda q: QSum(axes=(1, 2), scale=4.0)(q),
    "pad_crop_up": lambda q: L.UpSampling1D(3)(L.Cropping1D((0, 2))(L.ZeroPadding1D(2)(q))),
    "repeat_permute": lambda q: L.Permute((2, 1))(L.RepeatVector(2)(q[:, 0])),
    "product": lambda q: ops.multiply(q, q[:, :1]),  # two tensors, one broadcast
}


def _one_op(make, shape=(4, 3)):
    keras.utils.set_random_seed(0)
    inp = keras.Input(shape)
    return keras.Model(inp, make(Quantizer(QuantizerConfig("kif", "datalane", f0=2), name="q")(inp)))


@pytest.mark.parametrize("name", sorted(ONE_OP))
def test_one_op_reference_and_program_equal_hgq2(name):
    model = _one_op(ONE_OP[name])
    rng = np.random.default_rng(0)
    x = (rng.integers(-8, 8, size=(256, 4, 3)) / 4).astype(np.float32)
    trace_minmax(model, x, verbose=False)
    x = np.concatenate([x, (rng.integers(-40, 40, size=(768, 4, 3)) / 8).astype(np.float32)])  # off calibration
    net = quant.from_keras(model)
    reference = net.predict(x)
    np.testing.assert_array_equal(reference, model.predict(x, verbose=0))
    program = da_core.lower(net)
    values = np.concatenate([a.reshape(len(a), -1) for a in net.quantize_inputs(x)], axis=1)
    np.testing.assert_array_equal(program(values), reference.reshape(len(x), -1))


def _refused(make, pattern, shape=(4, 3)):
    with pytest.raises(quant.UnsupportedLayerError, match=pattern):
        quant.from_keras(_one_op(make, shape))


def test_constant_float32_cannot_hold_is_refused():
    _refused(lambda q: q * 0.3, r"\(Multiply\) has the constant 0.3, which float32 cannot hold exactly")


def test_mean_over_three_is_refused():
    _refused(lambda q: ops.mean(q, axis=2), r"\(Mean\) averages 3 elements; a mean is exact only over a power-of-two")


def test_bilinear_upsampling_is_refused():
    _refused(lambda q: L.UpSampling2D(2, interpolation="bilinear")(q[..., None]),
             r"\(UpSampling2D\) does not only move elements")


def test_batch_axis_reduction_is_refused():
    _refused(lambda q: ops.sum(q, axis=0), r"\(Sum\) reduces over the batch axis; supported: feature axes")


def test_model_input_read_raw_by_an_op_is_refused():
    inp = keras.Input((4, 3))
    with pytest.raises(quant.UnsupportedLayerError, match=r"the model input is not quantized: .*\(GetItem\)"):
        quant.from_keras(keras.Model(inp, Quantizer()(inp[:, 1:])))


def test_value_float32_would_round_is_refused():
    model = _one_op(lambda q: q + 2.0**30)
    x = np.full((4, 4, 3), 0.25, np.float32)
    trace_minmax(model, x, verbose=False)
    with pytest.raises(OverflowError, match="more than float32's 24 significant bits"):
        quant.from_keras(model).predict(x)
