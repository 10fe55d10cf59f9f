"""Lowers a whole ``quant.Network`` into one flat program of scalar ops.

Tensors are carried as NumPy arrays of value ids with the tensor's feature
shape, so layout ops (reshape, concatenate, the gathering of a convolution's
patches) are index shuffles and every arithmetic op is emitted per element.
Ports: the network's inputs flattened in C order and concatenated (first input
first); the outputs likewise.

A ``Linear`` op (dense, einsum, convolution, batch normalization) applies one
constant matrix at every position: ``emit_cmvm`` solves each distinct
(matrix, input formats) once and replays the adder graph at the other positions.
"""

from fractions import Fraction
from functools import partial

import numpy as np
from tqdm.auto import tqdm
from quant import (Clip, Concatenate, Dense, Einsum, Gather, LeakyRelu, Linear, Merge, Network, Pool, Quantize, Relu,
                   Reshape, Table)
from quant.network import to_codes

from .builder import ProgramBuilder
from .cmvm import emit_cmvm
from .interval import Interval
from .liveness import unread_columns
from .lut_pack import check_pack_bits
from .multipliers import DEFAULT_MULTIPLIERS, check_multipliers
from .multipliers import apply as apply_multipliers
from .offsets import sink_offsets
from .products import multiply
from .program import Program

# a layer whose inputs are all this narrow (spikes, binary activations) packs them into LUT6s whatever
# pack_bits says: there a pack replaces whole adders (Yosys LUTs -6% on the spiking classifier, -25% on
# bench_models.binary_mlp), while packing a few narrow inputs among wide ones may cost more (RESULTS.md)
AUTO_PACK_BITS = 1
# a matrix is solved again without its unread columns (da_core.liveness) where at least this share of them
# is unread: half of the spiking classifier's encoder (Yosys LUTs 869 -> 777); 2 of 32 in a digits_mlp layer
# re-solve to 164 fewer cost-model LUTs but 308 more Yosys LUTs (13,884 -> 14,192), a greedy solver's luck
# rather than sharing the unread columns had shaped
UNREAD_SHARE = 0.25


def lower(network: Network, max_depth: int | None = None, trim: bool = True,
          multipliers: str = DEFAULT_MULTIPLIERS, pack_bits: int = 0) -> Program:
    """The program computing ``network.forward`` exactly; ``max_depth`` bounds each layer's adder tree.

    ``multipliers``: products of two variables as shift-and-add ("lut"), as multipliers for DSPs ("dsp"),
    or a DSP only where it pays ("auto"), see ``da_core.multipliers``. ``trim`` runs the backward precision
    pass (``da_core.precision.trim``) afterwards: bits no output can see are dropped. Each op's ``origins``
    entry names the network node (or model input) it was made for. ``pack_bits`` > 0 sums each layer's
    inputs of at most that many bits in LUT6 tables instead of adders (``da_core.lut_pack``); a layer whose
    inputs are all single bits is packed at any ``pack_bits``. A matrix with many outputs that nothing reads
    (``da_core.liveness``) is solved a second time without them.
    """
    return lower_with_intervals(network, max_depth, trim, multipliers, pack_bits=pack_bits)[0]


def lower_with_intervals(network: Network, max_depth: int | None = None, trim: bool = True,
                         multipliers: str = DEFAULT_MULTIPLIERS,
                         input_intervals: dict[str, list[Interval]] | None = None, pack_bits: int = 0
                         ) -> tuple[Program, dict[str, list[Interval]]]:
    """``lower``, and the exact interval of every element (C order) of every model input and node output.

    The intervals are those the forward pass derives, before the precision pass narrows anything:
    what the network's formats allow each value to reach (for profiling against data).
    ``input_intervals`` (by input name) replaces the inputs' quantizer formats: a part of a network lowered
    on what an earlier part gives (``da_core.stream_lower``'s kernels).
    """
    check_multipliers(multipliers)
    check_pack_bits(pack_bits)
    builder, tensors = _lower_nodes(network, max_depth, pack_bits, input_intervals or {}, {})
    intervals = {name: [builder.interval(v) for v in ids.reshape(-1).tolist()] for name, ids in tensors.items()}
    program = _program(builder, network, tensors, multipliers, trim)
    unread = {name: dead for name, dead in unread_columns(network, {n: ids.shape for n, ids in tensors.items()}).items()
              if dead.mean() >= UNREAD_SHARE}
    if unread:  # the matrices again without the columns nothing reads: those shaped the sharing for nothing
        builder, tensors = _lower_nodes(network, max_depth, pack_bits, input_intervals or {}, unread)
        again = _program(builder, network, tensors, multipliers, trim)
        program = again if again.cost < program.cost else program  # greedy sharing: fewer columns may cost more
    return program, intervals


def _program(builder: ProgramBuilder, network: Network, tensors: dict[str, np.ndarray], multipliers: str,
             trim: bool) -> Program:
    outputs = np.concatenate([tensors[name].reshape(-1) for name in network.outputs])
    program = sink_offsets(apply_multipliers(builder.build(outputs.tolist()), multipliers))
    if trim:
        from .precision import trim as trim_program

        program = trim_program(program)
    return program


def _lower_nodes(network: Network, max_depth: int | None, pack_bits: int, input_intervals: dict,
                 unread: dict[str, np.ndarray]) -> tuple[ProgramBuilder, dict[str, np.ndarray]]:
    """Every node into one builder; the Dense/Linear nodes in ``unread`` solve their read columns only."""
    builder = ProgramBuilder()
    builder.pack_bits = pack_bits
    tensors: dict[str, np.ndarray] = {}
    for spec in network.inputs:
        builder.origin = spec.name
        ivs = input_intervals.get(spec.name)
        if ivs is None:
            ivs = [Interval.from_kif(*kif) for kif in spec.quantizer.formats(spec.shape).tolist()]
        ids = [builder.input(iv) for iv in ivs]
        tensors[spec.name] = np.array(ids, dtype=np.int64).reshape(spec.shape)
    for node in tqdm(network.nodes, desc="solving layers", unit="op", leave=False, disable=None):
        lowering = _LOWERINGS.get(type(node.op))
        if lowering is None:
            raise NotImplementedError(f"{node.source or node.name}: no lowering for {type(node.op).__name__}")
        if node.name in unread:
            lowering = partial(lowering, unread=unread[node.name])
        builder.origin = node.name
        tensors[node.name] = lowering(builder, node.op, *(tensors[n] for n in node.inputs), max_depth=max_depth)
    return builder, tensors


def _dense(builder: ProgramBuilder, op: Dense, x: np.ndarray, max_depth: int | None,
           unread: np.ndarray | None = None) -> np.ndarray:
    return _linear(builder, op.as_linear(x.shape), x, max_depth, unread)


def _linear(builder: ProgramBuilder, op: Linear, x: np.ndarray, max_depth: int | None,
            unread: np.ndarray | None = None) -> np.ndarray:
    """``unread`` (flat, per output): outputs nothing reads, whose columns the solver does not see."""
    flat = x.reshape(-1)
    out = np.zeros(int(np.prod(op.out_shape)), dtype=np.int64)
    chosen = builder.pack_bits
    if all(builder.interval(v).width <= AUTO_PACK_BITS for v in flat.tolist()):
        builder.pack_bits = max(chosen, AUTO_PACK_BITS)
    try:
        for p, patch in enumerate(op.patches):
            used = patch >= 0  # padding taps read zeros: drop their rows
            bias = None if op.bias is None else op.bias[p].tolist()
            kernel = op.kernel[used] if unread is None else np.where(unread[op.out_index[p]], 0, op.kernel[used])
            out[op.out_index[p]] = emit_cmvm(builder, flat[patch[used]].tolist(), kernel, bias, max_depth)
    finally:
        builder.pack_bits = chosen
    return out.reshape(op.out_shape)


def _elementwise(fn, x: np.ndarray) -> np.ndarray:
    return np.array([fn(v) for v in x.reshape(-1).tolist()], dtype=np.int64).reshape(x.shape)


def _relu(builder: ProgramBuilder, op: Relu, x: np.ndarray, max_depth: int | None) -> np.ndarray:
    return _elementwise(builder.relu, x)


def _leaky_relu(builder: ProgramBuilder, op: LeakyRelu, x: np.ndarray, max_depth: int | None) -> np.ndarray:
    """``max(x, s x)`` for slopes s <= 1 (``min`` above 1): the same as ``x if x >= 0 else s x``."""
    pick = builder.maximum if op.slope <= 1 else builder.minimum

    def leaky(v: int) -> int:
        sv, = emit_cmvm(builder, [v], np.array([[op.slope]]), max_depth=max_depth)
        return pick(v, sv)

    return _elementwise(leaky, x)


def _quantize(builder: ProgramBuilder, op: Quantize, x: np.ndarray, max_depth: int | None) -> np.ndarray:
    q = op.quantizer
    out = []
    for v, (k, i, f) in zip(x.reshape(-1).tolist(), q.formats(x.shape).tolist()):
        round_mode = q.round_mode
        if round_mode == "RND_CONV":  # (after a table too: its last kept bit becomes a table of its own)
            v, round_mode = _half_even_up(builder, v, f), "TRN"
        # round via the bias, not an adder of its own; a table takes the whole quantizer into its entries
        elif round_mode == "RND" and builder.interval(v).exp < -f and builder.ops[v].kind != "lut":
            v, round_mode = builder.half_lsb_up(v, f), "TRN"
        out.append(builder.quant(v, k, i, f, round_mode, q.overflow_mode))
    return np.array(out, dtype=np.int64).reshape(x.shape)


def _half_even_up(builder: ProgramBuilder, v: int, f: int) -> int:
    """``v`` plus what makes truncating it to f fractional bits round half to even (HGQ2's RND_CONV).

    With q the truncation and d the bits dropped: ``v + 2**-(f+1) - ulp + (q & 1) * ulp``, ulp = v's own step.
    The constant joins v's bias; q's last bit is a wire, so the rounding costs one adder.
    """
    e = builder.interval(v).exp
    if e >= -f:
        return v
    lsb = builder.quant(v, 0, 1 - f, f, "TRN", "WRAP")  # the last kept bit, weight 2**-f
    biased = builder.offset(v, Fraction(2) ** (-f - 1) - Fraction(2) ** e)
    return builder.add(biased, lsb, shift=e + f)


def _table(builder: ProgramBuilder, op: Table, x: np.ndarray, max_depth: int | None) -> np.ndarray:
    coded = [(codes.tolist(), exp) for codes, exp in map(to_codes, op.tables)]
    out = []
    for e, v in enumerate(x.reshape(-1).tolist()):
        codes, exp = coded[int(op.table_of[e])]
        out.append(builder.lut(v, int(op.lo[e]), int(op.exp[e]), codes, exp))
    return np.array(out, dtype=np.int64).reshape(x.shape)


def _merge(builder: ProgramBuilder, op: Merge, *xs: np.ndarray, max_depth: int | None) -> np.ndarray:
    if op.kind == "sub":
        pairs = zip(xs[0].reshape(-1).tolist(), xs[1].reshape(-1).tolist())
        return np.array([builder.sub(a, b) for a, b in pairs], dtype=np.int64).reshape(xs[0].shape)
    fn = {"add": builder.add, "max": builder.maximum, "min": builder.minimum}[op.kind]
    stacked = np.stack([x.reshape(-1) for x in xs], axis=1)
    return np.array([_tree(fn, row.tolist()) for row in stacked], dtype=np.int64).reshape(xs[0].shape)


def _pool(builder: ProgramBuilder, op: Pool, x: np.ndarray, max_depth: int | None) -> np.ndarray:
    flat = x.reshape(-1)
    fn = builder.maximum if op.kind == "max" else builder.add
    out = [_tree(fn, flat[w[w >= 0]].tolist()) for w in op.windows]
    if op.kind == "sum":
        out = [builder.shift(v, op.shift) for v in out]
    return np.array(out, dtype=np.int64).reshape(op.out_shape)


def _tree(fn, values: list[int]) -> int:
    """A balanced reduction: log2(n) levels instead of n - 1."""
    while len(values) > 1:
        values = [fn(values[j], values[j + 1]) if j + 1 < len(values) else values[j]
                  for j in range(0, len(values), 2)]
    return values[0]


def _reshape(builder: ProgramBuilder, op: Reshape, x: np.ndarray, max_depth: int | None) -> np.ndarray:
    return x.reshape(op.shape)


def _concatenate(builder: ProgramBuilder, op: Concatenate, *xs: np.ndarray, max_depth: int | None) -> np.ndarray:
    return np.concatenate(xs, axis=op.axis)


# ---- issue 11: layouts and constant bounds of Keras ops ------------------------------------------------------
def _gather(builder: ProgramBuilder, op: Gather, *xs: np.ndarray, max_depth: int | None) -> np.ndarray:
    """An index shuffle: free wiring; -1 is the constant zero."""
    flat = np.concatenate([x.reshape(-1) for x in xs])
    return np.where(op.index >= 0, flat[np.maximum(op.index, 0)], builder.const(0)).reshape(op.out_shape)


def _clip(builder: ProgramBuilder, op: Clip, x: np.ndarray, max_depth: int | None) -> np.ndarray:
    out = []
    for v, lo, hi in zip(x.reshape(-1).tolist(), op.lo.reshape(-1).tolist(), op.hi.reshape(-1).tolist()):
        v = v if lo == -np.inf else builder.maximum(v, builder.const(lo))
        out.append(v if hi == np.inf else builder.minimum(v, builder.const(hi)))
    return np.array(out, dtype=np.int64).reshape(x.shape)


# ---- products of two variables ------------------------------------------------------------------------------
def _einsum(builder: ProgramBuilder, op: Einsum, a: np.ndarray, b: np.ndarray, max_depth: int | None) -> np.ndarray:
    """Per output: its products (``da_core.products.multiply``), then one depth-aware adder tree."""
    fa, fb = a.reshape(-1).tolist(), b.reshape(-1).tolist()
    out = []
    for terms in op.pairs().tolist():
        products = [multiply(builder, fa[i], fb[j], max_depth) for i, j in terms]
        out.append(products[0] if len(products) == 1 else
                   emit_cmvm(builder, products, np.ones((len(products), 1)), max_depth=max_depth)[0])
    return np.array(out, dtype=np.int64).reshape(op.out_shape)


_LOWERINGS = {Dense: _dense, Linear: _linear, Relu: _relu, LeakyRelu: _leaky_relu, Quantize: _quantize,
              Table: _table, Merge: _merge, Pool: _pool, Reshape: _reshape, Concatenate: _concatenate,
              Gather: _gather, Clip: _clip, Einsum: _einsum}
