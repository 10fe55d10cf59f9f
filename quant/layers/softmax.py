"""QSoftmax as HGQ2 computes it: two lookup tables and one product per element.

With ``stable=True`` HGQ2 subtracts each element from its group's maximum, quantizes that with ``exp_iq``,
looks ``exp(-d)`` up in a table (entries rounded by ``exp_oq``), sums the group, quantizes the sum with
``inv_iq``, looks ``1/sum`` up in a second table (``inv_oq``) and multiplies. Both tables are computed by
HGQ2's own sub-layers on every input code, so the entries are HGQ2's bit for bit; the rest is exact
fixed-point arithmetic that float32 holds exactly, checked here or by ``Network``.
"""

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..hgq_quantizer import read_quantizer
from ..network import FLOAT32_EXACT_BITS, Einsum, Gather, Merge, Pool, Table, to_codes
from ..registry import handles
from .grid import MAX_TABLE_BITS, build_table
from .reduce import feature_axes, reduction_groups, sum_linear


@handles("softmax and attention", "hgq.layers.QSoftmax", quantized_io=False,
         limits=f"`stable=True`, feature `axis` (one or several); exp and 1/x tables over at most {MAX_TABLE_BITS} "
                "input bits, entries computed by HGQ2; the group sum and the product within float32's 24 bits")
def softmax(reader, layer, ins: list[str], call) -> str:
    return softmax_of(reader, layer, layer, ins[0])


def softmax_of(reader, owner, sm, x: str, prefix: str = "") -> str:
    """Nodes computing the QSoftmax ``sm`` (``owner`` itself, or a sub-layer of it) of tensor ``x``.

    Its own input and output quantizers included: a softmax inside an attention layer has them too.
    """
    def name(suffix: str) -> str:
        return prefix + suffix

    if not sm.stable:
        raise UnsupportedLayerError(f"{where(owner)} has a softmax with stable=False; supported: stable=True (its "
                                    "exp table needs the max-subtracted input's quantizer)")
    if sm.enable_iq:
        x = reader.quantize(owner, name("iq"), read_quantizer(sm.iq, owner), x)
    shape = reader.shapes[x]
    axes = feature_axes(owner, sm.axes, len(shape))
    groups = reduction_groups(shape, axes)  # (P, W)
    group_of = np.empty(groups.size, np.int64)
    group_of[groups] = np.arange(len(groups))[:, None]
    sum_shape = tuple(1 if a in axes else n for a, n in enumerate(shape))

    top = reader.add(owner, name("max"), Pool("max", groups, 0, sum_shape), [x], sum_shape)
    spread = reader.add(owner, name("max_each"), Gather(group_of, shape), [top], shape)
    shifted = reader.add(owner, name("max_minus_x"), Merge("sub"), [spread, x], shape)
    exp_iq = read_quantizer(sm.exp_table.iq, owner)
    shifted = reader.quantize(owner, name("exp_iq"), exp_iq, shifted)
    exp_table = _table(sm.exp_table, exp_iq, shape)
    _check_sum_exact(owner, exp_table.tables, groups.shape[1])
    exps = reader.add(owner, name("exp"), exp_table, [shifted], shape)
    total = reader.add(owner, name("sum"), sum_linear(shape, axes, 1.0, keepdims=True), [exps], sum_shape)
    inv_iq = read_quantizer(sm.inv_table.iq, owner)
    total = reader.quantize(owner, name("inv_iq"), inv_iq, total)
    inverse = reader.add(owner, name("inv"), _table(sm.inv_table, inv_iq, sum_shape), [total], sum_shape)
    inverse = reader.add(owner, name("inv_each"), Gather(group_of, shape), [inverse], shape)
    out = reader.add(owner, name("product"), Einsum.elementwise(shape), [exps, inverse], shape)
    if sm.enable_oq:
        out = reader.quantize(owner, name("oq"), read_quantizer(sm.oq, owner), out)
    return out


def _table(table_layer, iq, shape: tuple[int, ...]) -> Table:
    """A softmax's exp or 1/x sub-layer run by Keras on every code of its input quantizer (its oq included)."""
    import keras

    def run(grid: np.ndarray) -> np.ndarray:
        return keras.ops.convert_to_numpy(table_layer(grid, training=False))

    return build_table(table_layer, iq.formats(shape), shape, run)


def _check_sum_exact(owner, tables: tuple, count: int) -> None:
    """HGQ2 sums a group's exp entries in float32, in an order of its own: every partial sum of these
    non-negative entries is at most the largest entry times the group's size, on the entries' grid."""
    codes, _ = to_codes(np.concatenate(tables))
    bound = int(codes.max(initial=0)) * count
    if bound >= 2**FLOAT32_EXACT_BITS:
        raise UnsupportedLayerError(f"{where(owner)}: a softmax group of {count} exp entries may sum to "
                                    f"{bound.bit_length()} significant bits; float32 rounds past "
                                    f"{FLOAT32_EXACT_BITS}, so HGQ2's sum has no exact reference (supported: "
                                    "fewer exp_oq bits or smaller groups)")
