"""Lookup tables computed by the layer itself: every input code of an element's format, run through Keras.

A table layer (QUnaryFunctionLUT, the HGQ-LUT layers QDenseT and kin) maps each element of a quantized
tensor through a function of that element alone. Feeding the layer's own float32 code path a batch whose
row ``j`` holds every element's ``j``-th input code gives each element's whole table, exactly as the
model computes it; identical tables are kept once.
"""

from collections.abc import Callable

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..network import Gather, Quantize, Reshape, Table, to_codes

MAX_TABLE_BITS = 14  # input bits of a lookup table: 16,384 entries per distinct table


def build_table(layer, formats: np.ndarray, shape: tuple[int, ...], run: Callable) -> Table:
    """The per-element tables of ``run`` (a float32 batch of ``shape`` -> outputs of ``shape``) over every
    code of each element's (k, i, f) format (``formats``: (n, 3), C order)."""
    n = len(formats)
    los, exps, sizes = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    for e, (k, i, f) in enumerate(np.asarray(formats).tolist()):
        if k + i + f <= 0:  # pruned: always 0
            los[e], exps[e], sizes[e] = 0, 0, 1
            continue
        i = max(i, -f)
        bits = k + i + f
        if bits > MAX_TABLE_BITS:
            raise UnsupportedLayerError(f"{where(layer)} has an input of {bits} bits; tables are supported up to "
                                        f"{MAX_TABLE_BITS} input bits (lower the input quantizer's bit width)")
        los[e], exps[e], sizes[e] = -k << (i + f), -f, 1 << bits
    rows = int(sizes.max(initial=1))
    j = np.minimum(np.arange(rows)[:, None], sizes[None, :] - 1)
    grid = ((los[None, :] + j) * 2.0 ** exps[None, :]).astype(np.float32)
    values = np.asarray(run(grid.reshape(rows, *shape)), dtype=np.float64).reshape(rows, n)
    if not np.all(np.isfinite(values)):
        raise UnsupportedLayerError(f"{where(layer)} gives non-finite table entries")
    tables, table_of, known = [], np.zeros(n, np.int64), {}
    for e in range(n):
        entry = values[: sizes[e], e]
        key = entry.tobytes()
        if key not in known:
            known[key] = len(tables)
            tables.append(entry.copy())
        table_of[e] = known[key]
    return Table(exps, los, table_of, tuple(tables), tuple(shape))


def upstream_formats(reader, layer, x: str) -> np.ndarray:
    """(k, i, f) per element of tensor ``x`` as its last quantizer left it (through layout ops): the grid
    of a table that does not quantize its own input (``enable_iq=False``)."""
    shape = reader.shapes[x]
    made_by = {node.name: node for node in reader.nodes}
    node = made_by.get(x)
    if node is None:
        spec = next((s for s in getattr(reader, "inputs", ()) if s.name == x), None)
        if spec is not None:
            return spec.quantizer.formats(shape)
    elif isinstance(node.op, Quantize):
        return node.op.quantizer.formats(shape)
    elif isinstance(node.op, Table):
        return np.array([covering_format(node.op.tables[t]) for t in node.op.table_of.tolist()], np.int64)
    elif isinstance(node.op, Reshape):
        return upstream_formats(reader, layer, node.inputs[0])
    elif isinstance(node.op, Gather) and np.all(node.op.index >= 0):
        joined = np.concatenate([upstream_formats(reader, layer, n) for n in node.inputs])
        return joined[node.op.index]
    raise UnsupportedLayerError(f"{where(layer)} has enable_iq=False and reads {x!r}, whose values are not on a "
                                "known grid; supported: enable_iq=False right after a quantizer (an hgq Quantizer, "
                                "or a layer with enable_oq=True), or enable_iq=True")


def covering_format(values: np.ndarray) -> tuple[int, int, int]:
    """The narrowest (k, i, f) holding every one of ``values`` exactly (a table's entries: what the next
    table reads)."""
    codes, exp = to_codes(values)
    lo, hi = int(codes.min()), int(codes.max())
    k = int(lo < 0)
    bits = max(hi.bit_length(), (-lo - 1).bit_length() if lo < 0 else 0)
    return k, bits + exp, -exp


def layout_index(layer, move: Callable, in_shape: tuple[int, ...]) -> tuple[np.ndarray, tuple[int, ...]]:
    """Where each output element of ``move`` (a pure layout of a (1, *in_shape) batch) comes from: flat
    input indices (-1 = a padded zero) and the output's feature shape; checked on a second numbering."""
    n = int(np.prod(in_shape))
    shuffle = np.random.default_rng(0).permutation(n)
    plain, shuffled = (np.asarray(move((v + 1).astype(np.float32).reshape(1, *in_shape)), np.float64)
                       for v in (np.arange(n), shuffle))
    index = plain.reshape(-1) - 1
    if np.any(index != np.round(index)) or not np.array_equal(
            shuffled.reshape(-1), np.where(index >= 0, shuffle[index.astype(np.int64)] + 1, 0)):
        raise UnsupportedLayerError(f"{where(layer)}: its input layout is not a plain gather")
    return index.astype(np.int64), tuple(plain.shape[1:])
