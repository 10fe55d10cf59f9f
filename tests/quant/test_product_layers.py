"""Products of two variable tensors in the front end: the Einsum op's pairs, QDot's axes, refusals.

Cheap legs without Verilator (tests/sim/test_products.py takes whole models to RTL).
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hgq.config import QuantizerConfig  # noqa: E402
from hgq.layers import QDot, QEinsum, QMultiply  # noqa: E402
from hgq.utils import trace_minmax  # noqa: E402

import da_core  # noqa: E402
import quant  # noqa: E402
from rtl_emit.ports import flat_samples  # noqa: E402


@pytest.mark.parametrize("equation, a, b", [("qhd,khd->hqk", (2, 3, 4), (5, 3, 4)), ("ij,jk->ik", (3, 4), (4, 2)),
                                            ("ii,i->i", (3, 3), (3,)), ("i,i->", (5,), (5,)),
                                            ("ij,k->ik", (2, 3), (4,))])
def test_einsum_pairs_are_numpy_einsum(equation, a, b):
    rng = np.random.default_rng(0)
    x, y = rng.integers(-9, 9, a), rng.integers(-9, 9, b)
    want = np.einsum(equation, x, y)
    op = quant.Einsum(equation, a, b, want.shape)
    pairs = op.pairs()
    got = (x.reshape(-1)[pairs[..., 0]] * y.reshape(-1)[pairs[..., 1]]).sum(axis=1)
    np.testing.assert_array_equal(got.reshape(want.shape), want)
    np.testing.assert_array_equal(op(x[None] * 0.5, y[None] * 0.25)[0], want * 0.125)


def _two_input(layer, shapes, iq_f: int = 3):
    keras.utils.set_random_seed(0)
    inputs = [keras.Input(s) for s in shapes]
    conf = QuantizerConfig("kif", "datalane", f0=iq_f)
    return keras.Model(inputs, layer(iq_confs=[conf, conf])(inputs))


@pytest.mark.parametrize("axes, shapes", [(1, ((4,), (4,))), (-1, ((3, 4), (3, 4))), ((1, 2), ((3, 3), (3, 3))),
                                          ((3, 2), ((2, 3, 3), (2, 3, 3)))])
def test_dot_products_follow_keras_batch_dot(axes, shapes):
    """Operands of one shape: HGQ2's own resource estimate multiplies their bit-widths elementwise."""
    model = _two_input(lambda **kw: QDot(axes=axes, **kw), shapes)
    rng = np.random.default_rng(1)
    xs = [(rng.integers(-16, 16, (256, *s)) / 8).astype(np.float32) for s in shapes]
    trace_minmax(model, xs, verbose=False)
    xs = [np.concatenate([x, (rng.integers(-40, 40, x.shape) / 8).astype(np.float32)]) for x in xs]  # off range
    net = quant.from_keras(model)
    reference = net.predict(xs)
    np.testing.assert_array_equal(reference, model.predict(xs, verbose=0))
    values = flat_samples(net.quantize_inputs(xs))
    for mode in ("lut", "dsp"):
        np.testing.assert_array_equal(da_core.lower(net, multipliers=mode)(values), flat_samples(reference))


@pytest.mark.parametrize("equation", ["bi,bj->ib", "bi,bi,bi->bi", "bi,ci->bc"])
def test_einsums_that_move_the_batch_axis_or_take_three_operands_are_refused(equation):
    n = equation.split("->")[0].count(",") + 1
    inputs = [keras.Input((4,)) for _ in range(n)]
    model = keras.Model(inputs, QEinsum(equation, name="eq")(inputs))
    with pytest.raises(quant.UnsupportedLayerError, match=r"'eq' \(QEinsum\).*supported: two inputs, the batch axis"):
        quant.from_keras(model)


def test_a_product_float32_would_round_is_refused_naming_the_layer():
    model = _two_input(lambda **kw: QMultiply(name="wide", **kw), ((3,), (3,)), iq_f=10)
    rng = np.random.default_rng(2)
    xs = [(rng.integers(-16384, 16384, (64, 3)) / 1024).astype(np.float32) for _ in range(2)]
    trace_minmax(model, xs, verbose=False)
    net = quant.from_keras(model)
    with pytest.raises(OverflowError, match=r"wide \(QMultiply\).*float32's 24 significant bits"):
        net.predict(xs)
