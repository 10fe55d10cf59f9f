"""Attention in the front end: what is refused names the layer and what is supported; several attention axes.

Cheap legs without training or Verilator; attention over two axes against HGQ2 and the program
(tests/sim/test_attention.py takes whole models to RTL).
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hgq.config import QuantizerConfig  # noqa: E402
from hgq.layers import Quantizer  # noqa: E402
from hgq.layers.attn import QLinformerAttentionT, QMultiHeadAttention, QMultiHeadAttentionT, QSALTAttention  # noqa: E402
from hgq.utils import trace_minmax  # noqa: E402

import da_core  # noqa: E402
import quant  # noqa: E402
from rtl_emit.ports import flat_samples  # noqa: E402


def _refused(build, pattern):
    q_in, v_in = keras.Input((4, 3)), keras.Input((4, 3))
    q, v = Quantizer()(q_in), Quantizer()(v_in)
    model = keras.Model([q_in, v_in], build(q, v))
    with pytest.raises(quant.UnsupportedLayerError, match=pattern):
        quant.from_keras(model)


def test_a_causal_mask_is_refused():
    _refused(lambda q, v: QMultiHeadAttention(2, 2, name="att")(q, v, use_causal_mask=True),
             r"'att' \(QMultiHeadAttention\) is called with \['use_causal_mask'\]; supported: query, value and key")


def test_returned_attention_scores_are_refused():
    _refused(lambda q, v: QMultiHeadAttention(2, 2, name="att")(q, v, return_attention_scores=True)[0],
             r"'att' \(QMultiHeadAttention\) is called with \['return_attention_scores'\]")


def test_a_grouped_salt_convolution_is_refused():
    _refused(lambda q, v: QSALTAttention(2, 2, 2, separate_conv=True, name="salt")(q, v),
             r"'salt' \(QSALTAttention\) convolves the scores with separate_conv=True \(2 groups\); supported")


def test_attention_over_two_axes_equals_hgq2_and_the_program():
    """Attention over both axes of a (2, 3) grid of tokens: the softmax normalizes over two axes at once."""
    keras.utils.set_random_seed(3)
    inp = keras.Input((2, 3, 2))
    q = Quantizer(QuantizerConfig("kif", "datalane", f0=2))(inp)
    model = keras.Model(inp, QMultiHeadAttention(2, 2, attention_axes=(1, 2), name="grid", qkvo_iq_conf=_conf(3),
                                                 qkvo_oq_conf=_conf(3), qkvo_kq_conf=_conf(4, "weight"))(q, q))
    rng = np.random.default_rng(3)
    x = (rng.integers(-8, 8, (512, 2, 3, 2)) / 4).astype(np.float32)
    trace_minmax(model, x, verbose=False)
    x = np.concatenate([x, x * 3])  # beyond the calibration range
    net = quant.from_keras(model)
    assert [n.op.windows.shape[1] for n in net.nodes if n.name == "grid/softmax/max"] == [6]  # 2 x 3 keys per query
    reference = net.predict(x)
    np.testing.assert_array_equal(reference, model.predict(x, verbose=0))
    np.testing.assert_array_equal(da_core.lower(net)(flat_samples(net.quantize_inputs(x))), flat_samples(reference))


def test_table_attention_layers_side_by_side_equal_hgq2_and_the_program():
    """Two HGQ-LUT attention layers in one model (their projections' nodes named after each), QLinformerAttentionT
    with constant ('dense') and shared sequence projections: 10,240 samples, half beyond the calibration range."""
    keras.utils.set_random_seed(4)
    inp = keras.Input((4, 3))
    q = Quantizer(_conf(3))(inp)
    tables = dict(qkvo_iq_conf=_conf(2), qkvo_oq_conf=_conf(3), d_hl=4,
                  qkvo_toq_conf=QuantizerConfig("kif", "table", i0=2, f0=3))
    a = QMultiHeadAttentionT(2, 2, name="mha_t", **tables)(q, q)
    b = QLinformerAttentionT(2, 2, 2, lin_kv_proj_mode="dense", share_kv_proj=True, qkvo_kq_conf=_conf(4, "weight"),
                             name="lin_t", **tables)(a, q)
    model = keras.Model(inp, [a, b])
    rng = np.random.default_rng(4)
    x = (rng.integers(-16, 16, (5120, 4, 3)) / 8).astype(np.float32)
    trace_minmax(model, x, verbose=False)
    x = np.concatenate([x, x * 3])
    net = quant.from_keras(model)
    names = {n.name for n in net.nodes}
    assert {"mha_t/query/table", "lin_t/query/table", "lin_t/lin_key/einsum"} <= names
    reference = net.predict(x)
    for got, expected in zip(reference, model.predict(x, verbose=0)):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(da_core.lower(net)(flat_samples(net.quantize_inputs(x))), flat_samples(reference))


def _conf(bits: int, place: str = "datalane"):
    return QuantizerConfig("kif", place, f0=bits) if place == "datalane" else QuantizerConfig("kbi", place, b0=bits)
