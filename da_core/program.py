"""The flat SSA program of scalar fixed-point ops that every later stage reads.

Value ``v`` is the result of ``ops[v]``. Each op carries the exact interval of
its value, its adder depth and its cost, so pipelining, emission and reports
only read the program. Kinds and their ``args`` / ``params``:

============ ========== =========================================================
kind         args       params and meaning
============ ========== =========================================================
``input``    ()         (index,): the index-th input port
``const``    ()         (): the value is ``interval.lo * 2**interval.exp``
``add``      (a, b)     (shift, sign): ``a + sign * b * 2**shift`` (shift may be < 0)
``neg``      (a,)       (): ``-a``
``shift``    (a,)       (s,): ``a * 2**s``, free wiring
``quant``    (a,)       (k, i, f, round, overflow): HGQ2's quantizer, exactly
``relu``     (a,)       (): ``max(a, 0)``
``max``      (a, b)     (): elementwise maximum
``min``      (a, b)     (): elementwise minimum
``lut``      (a,)       (base, base_exp, table): the code ``table[c - base]``, where
                        ``c`` is ``a``'s value as a code at exponent ``base_exp``;
                        the table holds one output code per input code (a tuple of ints;
                        identical tables are one object, saved once: ``Program.tables``)
``pack``     (a, ...)   (weights,): ``sum(w * a)`` over a few narrow values, one table of their
                        concatenated codes (``da_core.lut_pack``)
``mul``      (a, b)     (): ``a * b`` exactly, the exponent the sum of the operands'; a
                        select (AND) when ``b`` is one unsigned bit ([0..1]), else a
                        multiplier (a DSP, or shift-and-add by ``da_core.multipliers``)
``mux``      (s, v...)  (): ``v[c]``, ``c`` the raw code of the unsigned ``s`` (at most 4
                        values; a radix-4 partial product of ``da_core.products``)
============ ========== =========================================================
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quant.network import FLOAT64_EXACT_BITS

from .cost import dsp_tiles
from .interval import Interval
from .lut_pack import pack_codes
from .quantize import quantize_codes

ADDER_KINDS = ("add", "neg")


def is_bit(iv: Interval) -> bool:
    """One unsigned bit: a ``mul`` by it is a select (AND), not a multiplier."""
    return iv.lo == 0 and iv.hi == 1


def multiplier_dsps(a: Interval, b: Interval) -> int:
    """DSP48E2s of a multiplier with operands in ``a`` and ``b`` (an unsigned one takes a sign bit more)."""
    return dsp_tiles(a.width + (not a.signed), b.width + (not b.signed))


@dataclass(frozen=True)
class Op:
    """One scalar value of the program: what computes it (kind, args, params, see the table above) and
    what it is known to be (exact interval, adder depth, LUT cost), so later stages never re-derive it."""

    kind: str
    args: tuple[int, ...]
    params: tuple
    interval: Interval
    depth: int  # adder levels from the inputs
    cost: int  # LUT estimate

    def to_dict(self) -> dict:
        iv = self.interval
        return {"kind": self.kind, "args": list(self.args), "params": _listed(self.params), "lo": iv.lo,
                "hi": iv.hi, "exp": iv.exp, "depth": self.depth, "cost": self.cost}

    @classmethod
    def from_dict(cls, d: dict) -> "Op":
        return cls(d["kind"], tuple(d["args"]), _tupled(d["params"]), Interval(d["lo"], d["hi"], d["exp"]),
                   d["depth"], d["cost"])


def _listed(params) -> list:
    return [_listed(p) if isinstance(p, tuple) else p for p in params]


def _tupled(params):
    """JSON lists back to the tuples the program holds (tables are tuples inside params)."""
    return tuple(_tupled(p) if isinstance(p, list) else p for p in params)


@dataclass(frozen=True)
class Program:
    """The whole computation as one flat SSA list of ops, in dependency order, plus the output values.

    The one structure between the solver and everything after it: immutable and serialisable
    (``save``/``load``), it runs exactly on integer codes (``run``) or real values (``__call__``), and
    ``rtl_emit`` reads it without changing it. ``origins``, when the program was lowered from a network,
    names for each op the network node (``quant.Node.name``) whose lowering made it, so cost can be
    traced back to layers (``cost_by_origin``).
    """

    ops: tuple[Op, ...]
    outputs: tuple[int, ...]
    origins: tuple[str, ...] | None = None

    @property
    def inputs(self) -> tuple[int, ...]:
        """Value ids of the input ops, in port order."""
        found = {op.params[0]: v for v, op in enumerate(self.ops) if op.kind == "input"}
        return tuple(found[i] for i in range(len(found)))

    @property
    def input_intervals(self) -> list[Interval]:
        return [self.ops[v].interval for v in self.inputs]

    @property
    def output_intervals(self) -> list[Interval]:
        return [self.ops[v].interval for v in self.outputs]

    @property
    def n_adders(self) -> int:
        return sum(op.kind in ADDER_KINDS for op in self.ops)

    @property
    def cost(self) -> int:
        return sum(op.cost for op in self.ops)

    @property
    def multipliers(self) -> list[int]:
        """Value ids of the ``mul`` ops that are multipliers (not selects): written as ``*`` for a DSP."""
        return [v for v, op in enumerate(self.ops) if op.kind == "mul" and not is_bit(self.ops[op.args[1]].interval)]

    @property
    def dsps(self) -> int:
        """DSP48E2s the multipliers take (``da_core.cost.dsp_tiles``); 0 once they are expanded into adders."""
        return sum(multiplier_dsps(*(self.ops[a].interval for a in self.ops[v].args)) for v in self.multipliers)

    @property
    def depth(self) -> int:
        return max((self.ops[v].depth for v in self.outputs), default=0)

    def cost_by_origin(self) -> dict[str, dict[str, int]]:
        """Ops, adders and LUT cost per network node, in program order (needs ``origins``)."""
        if self.origins is None:
            raise ValueError("this program records no origins: lower it from a network with da_core.lower")
        table: dict[str, dict[str, int]] = {}
        for op, origin in zip(self.ops, self.origins):
            row = table.setdefault(origin, dict(ops=0, adders=0, luts=0))
            row["ops"] += 1
            row["adders"] += op.kind in ADDER_KINDS
            row["luts"] += op.cost
        return table

    def __repr__(self) -> str:
        dsps = f", {self.dsps} DSPs" if self.multipliers else ""
        return (f"Program({len(self.inputs)} inputs, {len(self.outputs)} outputs, {len(self.ops)} ops, "
                f"{self.n_adders} adders{dsps}, cost {self.cost}, depth {self.depth})")

    def run(self, codes: np.ndarray) -> np.ndarray:
        """Interpret on integer input codes (n_samples, n_inputs); returns output codes (int64).

        Every signal is at most 62 bits wide (the builder checks INT64_SAFE_BITS), so int64 is exact.
        """
        codes = self.check_codes(codes)
        values: list[np.ndarray | None] = [None] * len(self.ops)
        for v, op in enumerate(self.ops):
            values[v] = _evaluate(op, [values[a] for a in op.args], [self.ops[a].interval for a in op.args], codes)
        n = len(codes)
        return np.stack([np.broadcast_to(values[v], (n,)) for v in self.outputs], axis=1) if self.outputs \
            else np.zeros((n, 0), np.int64)

    def check_codes(self, codes: np.ndarray) -> np.ndarray:
        """Integer input codes (n_samples, n_inputs) as int64, refusing any outside its input's format."""
        codes = np.asarray(codes)
        if codes.ndim != 2 or codes.shape[1] != len(self.inputs):
            raise ValueError(f"expected codes of shape (n_samples, {len(self.inputs)}), got {codes.shape}")
        if not np.issubdtype(codes.dtype, np.integer):
            raise TypeError(f"input codes must be integers, got {codes.dtype}")
        codes = codes.astype(np.int64)
        for port, iv in enumerate(self.input_intervals):
            bad = np.flatnonzero((codes[:, port] < iv.lo) | (codes[:, port] > iv.hi))
            if len(bad):
                raise ValueError(f"input {port}, sample {bad[0]}: code {codes[bad[0], port]} is outside its format "
                                 f"{iv} (codes {iv.lo}..{iv.hi})")
        return codes

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Interpret on real input values; returns real output values (float64, exact)."""
        return self.output_values(self.run(self.input_codes(x)))

    def input_codes(self, values: np.ndarray) -> np.ndarray:
        """Input values (n_samples, n_inputs) -> integer codes, refusing values off the ports' grids."""
        values = np.asarray(values, dtype=np.float64)
        exps = [iv.exp for iv in self.input_intervals]
        if values.ndim != 2 or values.shape[1] != len(exps):
            raise ValueError(f"input values have shape {values.shape}; expected (n_samples, {len(exps)})")
        codes = values * np.exp2(-np.asarray(exps, dtype=np.float64))
        off_grid = np.argwhere(codes != np.round(codes))
        if len(off_grid):
            i, j = off_grid[0]
            raise ValueError(f"input {j} of sample {i} is {values[i, j]!r}, not a multiple of 2**{exps[j]}")
        if np.any(np.abs(codes) >= 2.0**FLOAT64_EXACT_BITS):
            raise OverflowError(f"input codes reach 2**{FLOAT64_EXACT_BITS}: not exact in float64")
        return codes.astype(np.int64)

    def output_values(self, codes: np.ndarray) -> np.ndarray:
        """Real values of output codes, exact in float64."""
        intervals = self.output_intervals
        for j, iv in enumerate(intervals):
            if iv.width > FLOAT64_EXACT_BITS:
                raise OverflowError(f"output {j} is {iv.width} bits wide: its values are not exact in float64")
        return codes * np.exp2(np.array([iv.exp for iv in intervals], dtype=np.float64))

    @property
    def tables(self) -> list[tuple[int, ...]]:
        """The distinct tables of the ``lut`` ops, in order of first use: each is stored (and written as a ROM) once."""
        return list(dict.fromkeys(op.params[2] for op in self.ops if op.kind == "lut"))

    def to_dict(self) -> dict:
        """JSON-ready; each distinct table is stored once (``tables``), a ``lut`` op names it by index."""
        tables = {t: n for n, t in enumerate(self.tables)}
        ops = [op.to_dict() for op in self.ops]
        for d, op in zip(ops, self.ops):
            if op.kind == "lut":
                d["params"][2] = tables[op.params[2]]
        d = {"format": "adderflow.program/2", "ops": ops, "outputs": list(self.outputs),
             "tables": [list(t) for t in tables]}
        if self.origins is not None:
            d["origins"] = list(self.origins)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Program":
        if d.get("format") not in ("adderflow.program/1", "adderflow.program/2"):
            raise ValueError(f"not an adderflow program: format {d.get('format')!r}")
        tables = [tuple(t) for t in d.get("tables", [])]
        ops = []
        for o in d["ops"]:
            op = Op.from_dict(o)
            if op.kind == "lut" and isinstance(op.params[2], int):
                op = Op(op.kind, op.args, (*op.params[:2], tables[op.params[2]]), op.interval, op.depth, op.cost)
            ops.append(op)
        origins = d.get("origins")
        return cls(tuple(ops), tuple(d["outputs"]), None if origins is None else tuple(origins))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict()))

    @classmethod
    def load(cls, path: str | Path) -> "Program":
        return cls.from_dict(json.loads(Path(path).read_text()))


def align(code: np.ndarray, exp: int, to_exp: int) -> np.ndarray:
    """Re-express codes at exponent exp as codes at the finer exponent to_exp."""
    return code << (exp - to_exp)


def _evaluate(op: Op, args: list, arg_ivs: list[Interval], inputs: np.ndarray) -> np.ndarray:
    e = op.interval.exp
    match op.kind:
        case "input":
            return inputs[:, op.params[0]]
        case "const":
            return np.int64(op.interval.lo)
        case "add":
            shift, sign = op.params
            return align(args[0], arg_ivs[0].exp, e) + sign * align(args[1], arg_ivs[1].exp + shift, e)
        case "neg":
            return -args[0]
        case "shift":
            return args[0]
        case "quant":
            k, i, f, round_mode, overflow_mode = op.params
            return quantize_codes(np.asarray(args[0]), arg_ivs[0].exp, k, i, f, round_mode, overflow_mode)
        case "relu":
            return np.maximum(args[0], 0)
        case "max" | "min":
            pick = np.maximum if op.kind == "max" else np.minimum
            return pick(align(args[0], arg_ivs[0].exp, e), align(args[1], arg_ivs[1].exp, e))
        case "lut":
            base, base_exp, table = op.params
            return np.asarray(table, dtype=np.int64)[align(args[0], arg_ivs[0].exp, base_exp) - base]
        case "pack":
            return pack_codes(op.params[0], arg_ivs, e, args)
        case "mux":
            picks = [np.broadcast_to(align(a, iv.exp, e), np.shape(args[0])) for a, iv in zip(args[1:], arg_ivs[1:])]
            return np.choose(args[0], picks)
        case "mul":
            return args[0] * args[1]  # codes multiply, exponents add: at most 62 bits, exact in int64
    raise ValueError(f"unknown op kind {op.kind!r}")
