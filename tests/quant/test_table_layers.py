"""Table layers the reader refuses, each with UnsupportedLayerError naming the layer and what is supported."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hgq.config import QuantizerConfig  # noqa: E402
from hgq.layers import QDense, QDenseT, QUnaryFunctionLUT  # noqa: E402
from hgq.quantizer import Quantizer  # noqa: E402
from hgq.utils import trace_minmax  # noqa: E402

import quant  # noqa: E402


def _model(make, shape=(3,)):
    keras.utils.set_random_seed(0)
    inp = keras.Input(shape)
    model = keras.Model(inp, make(Quantizer(QuantizerConfig("kif", "datalane", f0=3), name="q")(inp)))
    trace_minmax(model, np.random.default_rng(0).normal(size=(64, *shape)).astype(np.float32), verbose=False)
    return model


@pytest.mark.parametrize("make, names", [
    (lambda q: QUnaryFunctionLUT("tanh", enable_iq=False, name="t")(QDense(2, name="d")(q)),
     ("'t'", "enable_iq=False")),
    (lambda q: QDenseT(2, activation="tanh", name="dt")(q), ("'dt'", "activation 'tanh'")),
    (lambda q: QUnaryFunctionLUT("tanh", iq_conf=QuantizerConfig("kif", "datalane", i0=4, f0=16), name="wide")(q),
     ("'wide'", "input bits")),
])
def test_refused_table_configurations_name_the_layer(make, names):
    with pytest.raises(quant.UnsupportedLayerError) as info:
        quant.from_keras(_model(make))
    assert all(n in str(info.value) for n in names) and "supported" in str(info.value)


def test_a_table_layer_on_a_raw_model_input_asks_for_a_quantizer():
    keras.utils.set_random_seed(0)
    inp = keras.Input((3,))
    model = keras.Model(inp, QDenseT(2, name="dt")(inp))
    with pytest.raises(quant.UnsupportedLayerError, match="put an hgq Quantizer layer"):
        quant.from_keras(model)


def test_table_layers_without_their_input_quantizer_read_the_upstream_grid():
    """enable_iq=False after a quantizer: QDenseT and QUnaryFunctionLUT tables span the quantizer's codes, exactly
    as HGQ2 computes them, inputs beyond the calibration range included."""
    from hgq.layers import QEinsumDenseT

    def make(q):
        t = QUnaryFunctionLUT("tanh", enable_iq=False, enable_ebops=False, name="t")(q)
        d = QDenseT(2, enable_iq=False, enable_ebops=False, name="dt")(q)
        e = QEinsumDenseT("bi,ij->bj", (2,), enable_iq=False, enable_ebops=False, name="et")(t)
        return keras.layers.Concatenate()([d, e])

    model = _model(make)
    x = np.random.default_rng(1).uniform(-12, 12, size=(10_240, 3)).astype(np.float32)
    network = quant.from_keras(model)
    assert not any(n.name.endswith("/iq") for n in network.nodes)
    np.testing.assert_array_equal(network.predict(x), model.predict(x, batch_size=len(x), verbose=0))
