"""QSoftmax in the front end: stochastic rounding modes read as HGQ2 runs them, refusals naming the layer.

Cheap legs without Verilator (tests/sim/test_softmax.py takes whole models to RTL).
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hgq.config import QuantizerConfig  # noqa: E402
from hgq.layers import QSoftmax  # noqa: E402
from hgq.quantizer import Quantizer  # noqa: E402
from hgq.utils import trace_minmax  # noqa: E402

import quant  # noqa: E402
from quant.hgq_quantizer import read_quantizer  # noqa: E402


def _softmax_model(n: int, **options):
    keras.utils.set_random_seed(0)
    inp = keras.Input((n,))
    model = keras.Model(inp, QSoftmax(name="sm", **options)(Quantizer(QuantizerConfig("kif", "datalane", f0=3))(inp)))
    x = (np.random.default_rng(0).integers(-16, 16, (256, n)) / 8).astype(np.float32)
    trace_minmax(model, x, verbose=False)
    return model, x


@pytest.mark.parametrize("mode, read_as", [("S_RND", "RND"), ("S_RND_CONV", "RND_CONV"), ("RND_CONV", "RND_CONV")])
def test_stochastic_rounding_is_its_deterministic_mode_outside_training(mode, read_as):
    q = Quantizer(QuantizerConfig("kif", "datalane", f0=2, round_mode=mode))
    x = (np.arange(-64, 64) / 16).astype(np.float32)[:, None]  # halves of the 1/4 grid: the modes differ there
    hgq2 = np.asarray(q(x, training=False))
    frozen = read_quantizer(q, q)
    assert frozen.round_mode == read_as
    np.testing.assert_array_equal(frozen(x.astype(np.float64)), hgq2)


def test_a_softmax_over_one_axis_equals_hgq2_with_half_to_even_tables():
    model, x = _softmax_model(5, exp_iq_conf=QuantizerConfig("kif", "datalane", f0=2, round_mode="RND_CONV"))
    net = quant.from_keras(model)
    assert [n.op.quantizer.round_mode for n in net.nodes if n.name == "sm/exp_iq"] == ["RND_CONV"]
    wild = np.concatenate([x, x * 4])
    np.testing.assert_array_equal(net.predict(wild), model.predict(wild, verbose=0))


def test_an_unstable_softmax_is_refused_naming_the_layer():
    model, _ = _softmax_model(4, stable=False, enable_iq=True)
    with pytest.raises(quant.UnsupportedLayerError, match=r"'sm' \(QSoftmax\).*stable=False; supported: stable=True"):
        quant.from_keras(model)


def test_a_group_sum_float32_would_round_is_refused():
    """20-bit exp entries, 32 per group: HGQ2's float32 sum could round, so there is no exact reference."""
    model, _ = _softmax_model(32, exp_oq_conf=QuantizerConfig("kbi", "table", b0=20, i0=1))
    with pytest.raises(quant.UnsupportedLayerError, match=r"'sm' \(QSoftmax\).*float32 rounds past 24"):
        quant.from_keras(model)


def test_the_inverse_table_keeps_only_the_entries_a_row_sum_can_reach():
    """Each row's own maximum gives exp(0) = 1, so no row sums below 1: the 1/x entries there (up to the saturated
    1/0) are never read and take their nearest reachable neighbour's value. The table's range, and the product
    after it, shrink to [1/4, 1], while the reference still equals HGQ2 beyond the calibration data."""
    from da_core.lower import lower_with_intervals

    model, x = _softmax_model(4, exp_iq_conf=QuantizerConfig("kif", "datalane", k0=1, i0=2, f0=4, overflow_mode="SAT"),
                              inv_iq_conf=QuantizerConfig("kif", "datalane", i0=3, f0=4, overflow_mode="SAT"),
                              exp_oq_conf=QuantizerConfig("kif", "table", i0=1, f0=3),
                              inv_oq_conf=QuantizerConfig("kif", "table", i0=3, f0=3))
    net = quant.from_keras(model)
    inverse = next(node.op for node in net.nodes if node.name == "sm/inv")
    grid = (np.arange(-128, 128) / 16).astype(np.float32)[:, None]  # every inv_iq code: k=1, i=3, f=4
    hgq2 = np.asarray(model.get_layer("sm").inv_table(grid, training=False)).ravel()
    sums = np.arange(8, 33) / 8  # exp entries are multiples of 1/8 in [0, 1]: a row of 4 sums to 1 .. 4
    reachable = (sums * 16).astype(int) + 128
    table = inverse.tables[inverse.table_of[0]]
    np.testing.assert_array_equal(table[reachable], hgq2[reachable])
    assert hgq2.max() > 1 == table.max()
    wild = np.concatenate([x, x * 4])
    np.testing.assert_array_equal(net.predict(wild), model.predict(wild, verbose=0))
    _, intervals = lower_with_intervals(net)
    assert {iv.hi * 2.0**iv.exp for iv in intervals["sm/inv"]} == {1.0}
