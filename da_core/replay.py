"""Re-emitting a program's ops into a new builder, on operands whose intervals may have changed.

The passes that rewrite a program (``da_core.precision.trim`` narrows values,
``da_core.multipliers.expand`` replaces multipliers) rebuild it op by op through a
``ProgramBuilder``, which re-derives every interval, depth and cost; the new ops keep
the origin (network node) of the op they replace.
"""

from fractions import Fraction

from .builder import ProgramBuilder
from .program import Op, Program
from .products import multiply


def port_inputs(b: ProgramBuilder, program: Program) -> list[int | None]:
    """Per value of ``program``: its new id for the inputs (made in port order), None for the rest."""
    new: list[int | None] = [None] * len(program.ops)
    for v in program.inputs:
        b.origin = origin(program, v)
        new[v] = b.input(program.ops[v].interval)
    return new


def origin(program: Program, v: int) -> str:
    """The network node value ``v`` was made for ("" when the program records none)."""
    return program.origins[v] if program.origins else ""


def replay(b: ProgramBuilder, op: Op, args: list[int]) -> int:
    """``op`` (not an input) on the new operands ``args``."""
    iv = op.interval
    match op.kind:
        case "const":
            return b.const(Fraction(iv.lo) * Fraction(2) ** iv.exp)
        case "add":
            return b.add(args[0], args[1], *op.params)
        case "neg":
            return b.neg(args[0])
        case "shift":
            return b.shift(args[0], op.params[0])
        case "quant":
            return b.quant(args[0], *op.params)
        case "relu":
            return b.relu(args[0])
        case "max":
            return b.maximum(args[0], args[1])
        case "min":
            return b.minimum(args[0], args[1])
        case "lut":
            return _lut(b, args[0], op)
        case "pack":
            return b.pack(args, list(op.params[0]))
        case "mul":
            return multiply(b, args[0], args[1])
        case "mux":
            return b.mux(args[0], args[1:])
    raise ValueError(f"cannot rebuild an op of kind {op.kind!r}")


def _lut(b: ProgramBuilder, a: int, op: Op) -> int:
    """Re-emit a table over its operand's new interval; codes the old one could not reach are never met."""
    base, base_exp, table = op.params
    iv = b.interval(a)
    step = 1 << (iv.exp - base_exp)
    first, last = min(base, iv.lo * step), max(base + len(table) - 1, iv.hi * step)
    extended = [table[c - base] if base <= c < base + len(table) else table[0] for c in range(first, last + 1)]
    return b.lut(a, first, base_exp, extended, op.interval.exp)
