"""Constant matrix-vector multiplication: a dyadic matrix becomes shared shift-and-add ops.

``emit_cmvm`` places the solver's adder graph into a program being built (so a
whole network lowers into one program); ``solve`` is the one-matrix front door.
"""

from collections.abc import Sequence
from concurrent.futures import Executor
import json
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path

import numpy as np

from .builder import ProgramBuilder
from .interval import Interval
from .lut_pack import pack_narrow
from .parallel import map_jobs
from .program import Program
from .solver import MAX_IN_DEPTH, solve_integer

MAX_CONSTANT_BITS = 32  # wider weights are almost surely unquantized floats


def dyadic_to_integers(W: np.ndarray, what: str = "W") -> tuple[np.ndarray, int]:
    """Integer matrix and exponent with ``W == W_int * 2**exp`` exactly."""
    W = np.asarray(W)
    if np.issubdtype(W.dtype, np.integer):
        return W.astype(np.int64), 0
    W = W.astype(np.float64)
    if not np.all(np.isfinite(W)):
        raise ValueError(f"{what} has non-finite entries")
    for frac in range(0, 64):
        scaled = np.ldexp(W, frac)
        if np.all(scaled == np.round(scaled)):
            break
    bad = np.flatnonzero(np.abs(scaled) >= 2.0**MAX_CONSTANT_BITS)
    if not np.all(scaled == np.round(scaled)) or bad.size:
        example = W.flat[bad[0]] if bad.size else W.flat[np.flatnonzero(scaled != np.round(scaled))[0]]
        raise ValueError(f"{what} is not a matrix of quantized (dyadic) constants: entry {example!r} needs more than "
                         f"{MAX_CONSTANT_BITS} bits; quantize the weights first")
    W_int = scaled.astype(np.int64)
    # use the coarsest exponent: shared trailing zeros carry no information
    while frac > 0 and np.all(W_int % 2 == 0) and np.any(W_int):
        W_int //= 2
        frac -= 1
    return W_int, -frac


def emit_cmvm(builder: ProgramBuilder, x: Sequence[int], W: np.ndarray, bias: Sequence | None = None,
              max_depth: int | None = None, signs: list[int] | None = None) -> list[int]:
    """Emit ``y = x @ W + bias`` for program values x; returns one value per output.

    With a ``signs`` list, an output that is a negated sum (and has no offset) is returned un-negated and -1 is
    appended for it (+1 for the others): its consumer subtracts instead, at no adder and no level.

    Inputs that can hold only one value (a pixel HGQ2 gave no bits, a ReLU that is never positive) are
    constants: their share of y joins the bias instead of costing adders.
    """
    W_int, w_exp = dyadic_to_integers(W)
    if W_int.shape[0] != len(x):
        raise ValueError(f"W has {W_int.shape[0]} rows but there are {len(x)} inputs")
    ivs = [builder.interval(v) for v in x]
    constant = np.array([iv.lo == iv.hi for iv in ivs], dtype=bool)
    offsets = [Fraction(0)] * W_int.shape[1] if bias is None else [Fraction(b) for b in bias]
    for i in np.flatnonzero(constant):
        c = Fraction(ivs[i].lo) * Fraction(2) ** (ivs[i].exp + w_exp)
        offsets = [o + c * int(w) for o, w in zip(offsets, W_int[i].tolist())]
    W_int = np.where(constant[:, None], 0, W_int)
    exps = np.array([iv.exp for iv in ivs], dtype=np.int64)
    base = int(exps.min(initial=0))
    # fold each input's exponent into its row, so the solver sees integer codes only
    scaled = W_int << (exps - base)[:, None]
    lo = np.array([iv.lo for iv in ivs], dtype=np.int64)
    hi = np.array([iv.hi for iv in ivs], dtype=np.int64)
    depth = np.array([builder.depth(v) for v in x], dtype=np.int64)
    # only the inputs' relative depths shape the adder tree; max_depth counts from the earliest input
    depth = np.minimum(depth - depth.min(initial=0), MAX_IN_DEPTH)
    signals = [builder.shift(v, -int(e)) for v, e in zip(x, exps)]  # the integer code as a value
    if builder.pack_bits:
        signals, scaled, lo, hi, depth = pack_narrow(builder, signals, scaled, lo, hi, depth, builder.pack_bits)
        depth = np.minimum(depth, MAX_IN_DEPTH)
        ivs = [builder.interval(s) for s in signals]
    # an adder graph is exact for any integer inputs: reuse it wherever the same matrix meets inputs of the
    # same widths and depths (every position of a convolution), the builder re-deriving exact intervals
    key = (scaled.shape, scaled.tobytes(), tuple((iv.signed, iv.width) for iv in ivs), depth.tobytes(), max_depth)
    graph = builder.solved.get(key)
    if graph is None:
        graph = builder.solved[key] = solve_integer(scaled, lo, hi, max_depth=max_depth, in_depth=depth)
    flipped = set() if signs is not None else _flippable(graph, offsets)
    for k, (a, b, shift, sign) in enumerate(graph.adders.tolist()):
        # a flipped subtraction ``a - b 2**s`` is emitted as ``b - a 2**-s``: its output's negation is gone
        signals.append(builder.add(signals[b], signals[a], -shift, -1) if k in flipped
                       else builder.add(signals[a], signals[b], shift, sign))
    zero = builder.const(0)
    outputs = []
    for idx, shift, sign, offset in zip(graph.out_index.tolist(), graph.out_shift.tolist(), graph.out_sign.tolist(),
                                        offsets):
        if idx - graph.n_in in flipped:
            shift, sign = shift + int(graph.adders[idx - graph.n_in, 2]), -sign
        v = zero if idx < 0 else builder.shift(signals[idx], shift + base + w_exp)
        if signs is not None:
            left = -1 if sign < 0 and offset == 0 else 1
            signs.append(left)
            sign *= left
        outputs.append(_plus_offset(builder, v, sign, offset))
    return outputs


def _flippable(graph, offsets: list[Fraction]) -> set[int]:
    """Adders whose operands may swap to spare a negation: each the subtraction that alone makes a negated
    output with no offset (whose sign no adder of its own would absorb), used nowhere else."""
    if not graph.n_adders:
        return set()
    uses = np.bincount(np.concatenate([graph.adders[:, :2].reshape(-1), graph.out_index[graph.out_index >= 0]]),
                       minlength=graph.n_in + graph.n_adders)
    flipped = set()
    for idx, sign, offset in zip(graph.out_index.tolist(), graph.out_sign.tolist(), offsets):
        k = idx - graph.n_in
        if sign < 0 and offset == 0 and k >= 0 and uses[idx] == 1 and graph.adders[k, 3] < 0:
            flipped.add(k)
    return flipped


def _plus_offset(builder: ProgramBuilder, v: int, sign: int, offset: Fraction) -> int:
    """``sign * v + offset``, the sign folded into the offset's adder when there is one."""
    if offset == 0:
        return v if sign > 0 else builder.neg(v)
    return builder.add(v, builder.const(offset)) if sign > 0 else builder.sub(builder.const(offset), v)


def input_intervals(inputs, n_in: int) -> list[Interval]:
    """Per-input intervals from None (signed 8-bit integers), one spec for all, or one per input.

    A spec is an ``Interval``, a ``(lo, hi, step)`` tuple, or anything with integer ``k, i, f``.
    """
    if inputs is None:
        return [Interval(-128, 127, 0)] * n_in
    if isinstance(inputs, Interval) or (isinstance(inputs, tuple) and len(inputs) == 3
                                        and not isinstance(inputs[0], (tuple, Interval))) or hasattr(inputs, "k"):
        inputs = [inputs] * n_in
    if len(inputs) != n_in:
        raise ValueError(f"got {len(inputs)} input formats for {n_in} inputs")
    return [_as_interval(spec) for spec in inputs]


def _as_interval(spec) -> Interval:
    if isinstance(spec, Interval):
        return spec
    if hasattr(spec, "k"):
        return Interval.from_kif(int(spec.k), int(spec.i), int(spec.f))
    lo, hi, step = spec
    return Interval.from_bounds(lo, hi, step)


@dataclass(frozen=True)
class Solution:
    """A solved constant matrix: inspect it (``n_adders``, ``cost``, ``depth``) or run it (``sol(x)``).

    Output j of ``program`` is ``out_sign[j] * (x @ W)[:, j]``: a negated output is left to its consumer, which
    subtracts instead of adding (as the peers do), so the negation costs no adder and no level.
    """

    program: Program
    out_sign: tuple[int, ...] = ()

    def __post_init__(self):
        if not self.out_sign:
            object.__setattr__(self, "out_sign", (1,) * len(self.program.outputs))

    @property
    def n_adders(self) -> int:
        return self.program.n_adders

    @property
    def cost(self) -> int:
        return self.program.cost

    @property
    def depth(self) -> int:
        return self.program.depth

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Exact ``x @ W`` for x of shape (n_samples, n_in) on the input formats' grids."""
        return self.program(x) * np.array(self.out_sign, dtype=np.float64)

    def __repr__(self) -> str:
        p = self.program
        negated = self.out_sign.count(-1)
        return (f"Solution({len(p.inputs)}x{len(p.outputs)}: {self.n_adders} adders, cost {self.cost}, "
                f"depth {self.depth}" + (f", {negated} outputs negated" if negated else "") + ")")

    def save(self, path: str | Path) -> None:
        """The program's own file, with ``out_sign`` beside it when an output is negated."""
        d = self.program.to_dict()
        if -1 in self.out_sign:
            d = {"format": "adderflow.solution/1", "program": d, "out_sign": list(self.out_sign)}
        Path(path).write_text(json.dumps(d))

    @classmethod
    def load(cls, path: str | Path) -> "Solution":
        d = json.loads(Path(path).read_text())
        if d.get("format") == "adderflow.solution/1":
            return cls(Program.from_dict(d["program"]), tuple(d["out_sign"]))
        return cls(Program.from_dict(d))


def solve(W: np.ndarray, inputs=None, max_depth: int | None = None) -> Solution:
    """Solve ``y = x @ W`` into shared shift-and-add adders.

    W: (n_in, n_out) integers or floats that are exact multiples of a power of two.
    inputs: formats of x (default signed 8-bit integers), see ``input_intervals``.
    max_depth: adder levels allowed from any input to any output (None: about the minimum).
    """
    W = np.asarray(W)
    if W.ndim != 2:
        raise ValueError(f"W must be a 2-D (n_in, n_out) matrix, got shape {W.shape}")
    intervals = input_intervals(inputs, W.shape[0])
    builder = ProgramBuilder()
    x = [builder.input(iv) for iv in intervals]
    signs: list[int] = []
    outputs = emit_cmvm(builder, x, W, max_depth=max_depth, signs=signs)
    return Solution(builder.build(outputs), tuple(signs))


def solve_many(matrices: Sequence[np.ndarray], inputs=None, max_depth: int | None = None,
               executor: Executor | None = None) -> list[Solution]:
    """``solve`` for each matrix, in order; on ``executor`` (e.g. a ProcessPoolExecutor, or a Dask
    client's ``get_executor()``) when given, with a progress bar."""
    return map_jobs(partial(solve, inputs=inputs, max_depth=max_depth), matrices, executor, desc="solving")
