"""QSoftmax as HGQ2 computes it: two lookup tables and one product per element.

With ``stable=True`` HGQ2 subtracts each element from its group's maximum, quantizes that with ``exp_iq``,
looks ``exp(-d)`` up in a table (entries rounded by ``exp_oq``), sums the group, quantizes the sum with
``inv_iq``, looks ``1/sum`` up in a second table (``inv_oq``) and multiplies. Both tables are computed by
HGQ2's own sub-layers on every input code, so the entries are HGQ2's bit for bit; the rest is exact
fixed-point arithmetic that float32 holds exactly, checked here or by ``Network``. The 1/x entries that no row's
sum can reach (every row holds its maximum, so exp(0)'s entry) take a reachable neighbour's value, which narrows
the table's range and the products after it without changing any output.
"""

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..fixed import quantize
from ..hgq_quantizer import read_quantizer
from ..network import FLOAT32_EXACT_BITS, Einsum, Gather, Merge, Pool, Table, to_codes
from ..registry import handles
from .grid import MAX_TABLE_BITS, build_table
from .reduce import feature_axes, reduction_groups, sum_linear

_MAX_SUMS = 1 << 20  # row sums _reachable_only enumerates per row, at most


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
    inverse = _reachable_only(_table(sm.inv_table, inv_iq, sum_shape), inv_iq, exp_table, exp_iq, groups)
    inverse = reader.add(owner, name("inv"), inverse, [total], sum_shape)
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


def _reachable_only(inverse: Table, inv_iq, exps: Table, exp_iq, groups: np.ndarray) -> Table:
    """The 1/x table with every entry that no row's sum can reach replaced by its nearest reachable one.

    A row's maximum minus itself is 0, which every ``exp_iq`` keeps 0, so each row sums exp(0)'s entry and
    W - 1 others: its sum lies between that plus the least entries and the sum of the greatest. Only the
    ``inv_iq`` codes of those sums are ever looked up; the others take a reachable neighbour's value, so the
    table's output range (and every product of it) narrows while every entry a sum can reach stays HGQ2's.
    A table whose range would not narrow (a wrapped sum of 0 reads 1/0) keeps HGQ2's entries.
    """
    _, exp = to_codes(np.concatenate(exps.tables))
    tables = [np.round(t * 2.0**-exp).astype(np.int64) for t in exps.tables]  # codes at one exponent
    zero = np.array([tables[t][-lo] for t, lo in zip(exps.table_of.tolist(), exps.lo.tolist())])
    # max - x >= 0 stays >= 0 through exp_iq unless a signed WRAP turns it over: the other codes are never read
    first = np.where((exp_iq.formats(exps.shape)[:, 0] == 0) | (exp_iq.overflow_mode != "WRAP"), -exps.lo, 0)
    least, most = (np.array([pick(tables[t][j:]) for t, j in zip(exps.table_of.tolist(), first.tolist())])
                   for pick in (np.min, np.max))
    formats = inv_iq.formats(inverse.shape)
    filled, table_of, known = [], np.zeros(len(groups), np.int64), {}
    for g, row in enumerate(groups):
        low = least[row].sum() + (zero[row] - least[row]).min()
        if most[row].sum() - low >= _MAX_SUMS:
            return inverse  # too many sums to run through inv_iq: HGQ2's entries, all of them
        sums = np.arange(low, most[row].sum() + 1) * 2.0**exp
        k, i, f = formats[g].tolist()
        seen = quantize(sums, k, i, f, inv_iq.round_mode, inv_iq.overflow_mode) * 2.0 ** -int(inverse.exp[g])
        table = inverse.tables[int(inverse.table_of[g])]
        entry = table[_nearest(np.unique(seen.astype(np.int64) - int(inverse.lo[g])), len(table))]
        if (entry.min(), entry.max()) == (table.min(), table.max()):
            entry = table  # the range stays: HGQ2's own entries (other fills only move Yosys' count either way)
        table_of[g] = known.setdefault(entry.tobytes(), len(filled))
        if table_of[g] == len(filled):
            filled.append(entry)
    return Table(inverse.exp, inverse.lo, table_of, tuple(filled), inverse.shape)


def _nearest(reachable: np.ndarray, n: int) -> np.ndarray:
    """Per address 0..n-1, the nearest of the sorted ``reachable`` addresses (the lower on a tie)."""
    j = np.arange(n)
    above = np.minimum(np.searchsorted(reachable, j), len(reachable) - 1)
    below = np.maximum(above - 1, 0)
    return np.where(np.abs(reachable[below] - j) <= np.abs(reachable[above] - j), reachable[below], reachable[above])


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
