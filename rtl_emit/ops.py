"""Each op of a program as combinational Amaranth logic, bit-exact with ``Program.run``.

Every operand arrives as a Value whose shape is its interval's code (two's
complement, signed iff ``lo < 0``). Amaranth arithmetic widens instead of
wrapping and extends each operand by its own signedness, so an expression is
the exact integer; assigning it to the op's signal keeps the low
``interval.width`` bits, which is exact because the value lies in the interval.

Adders (and ``neg``) are the exception: each operand is extended and cut to the result's
``interval.width`` bits, unsigned, and the sum taken modulo ``2**width`` (as
``verilog_writer`` does). The low bits are the same, but Yosys no longer sees a
signed operand whose sign extension it can strip, so ``alumacc`` does not merge
chains of adders into multi-operand ``$macc`` cells (trees of LUTs instead of one
carry chain per adder; 25% fewer LUTs on the digits MLP, benchmarks/RESULTS.md).
"""

from amaranth.hdl import Array, Cat, Const, Mux, Shape, Value, signed, unsigned

from da_core.interval import Interval
from da_core.program import Op
from da_core.quantize import saturation_bounds


def code_shape(iv: Interval) -> Shape:
    return signed(iv.width) if iv.signed else unsigned(iv.width)


def const_value(iv: Interval) -> Value:
    return Const(iv.lo, code_shape(iv))


def op_value(op: Op, args: list[Value], arg_ivs: list[Interval]) -> Value:
    """The integer code of ``op``'s result (at exponent ``op.interval.exp``) from its operands' codes."""
    e = op.interval.exp
    match op.kind:
        case "add":
            shift, sign = op.params
            w = op.interval.width
            a = _wrap(_align(args[0], arg_ivs[0].exp, e), w)
            b = _wrap(_align(args[1], arg_ivs[1].exp + shift, e), w)
            return (a + b)[:w] if sign > 0 else (a - b)[:w]
        case "neg":
            w = op.interval.width
            return (-_wrap(args[0], w))[:w]
        case "quant":
            return _quantize(args[0], arg_ivs[0].exp, *op.params)
        case "relu":
            x = args[0]  # the sign bit; Yosys keeps ``x < 0`` as a comparator cell ($lt -> $lcu)
            return Mux(x[-1], 0, x) if x.shape().signed else x
        case "max" | "min":
            a = _align(args[0], arg_ivs[0].exp, e)
            b = _align(args[1], arg_ivs[1].exp, e)
            return Mux(a > b, a, b) if op.kind == "max" else Mux(a < b, a, b)
        case "lut":
            return _lut(op, args[0], arg_ivs[0])
    raise ValueError(f"op kind {op.kind!r} has no hardware mapping")


def _lut(op: Op, code: Value, iv: Interval) -> Value:
    """A ROM addressed by the operand's raw code bits (two's complement), no index arithmetic."""
    base, base_exp, table = op.params
    if base_exp != iv.exp:
        raise ValueError(f"lut operand at exponent {iv.exp}, table at {base_exp}")
    width, shape = iv.width, code_shape(op.interval)
    rom = [0] * (1 << width)
    for j, entry in enumerate(table):
        rom[(base + j) & ((1 << width) - 1)] = entry
    return Array(Const(c, shape) for c in rom)[code.as_unsigned()]


def _align(code: Value, exp: int, to_exp: int) -> Value:
    if exp < to_exp:
        raise ValueError(f"cannot align a value at exponent {exp} to the coarser exponent {to_exp}")
    return code << (exp - to_exp)


def _quantize(code: Value, exp: int, k: int, i: int, f: int, round_mode: str, overflow_mode: str) -> Value:
    """HGQ2's quantizer as ``da_core.quantize.quantize_codes``, but rounding before saturating.

    Saturating first (as HGQ2 and the interpreter do) or last gives the same codes:
    rounding is monotone and maps the finely scaled bounds onto the bounds themselves.
    """
    if exp >= -f:
        c = code << (exp + f)
    else:
        drop = -f - exp
        c = (code + (1 << (drop - 1)) if round_mode == "RND" else code) >> drop
    if overflow_mode == "WRAP":
        bits = k + max(i, -f) + f
        c = _extend(c, bits)[:bits]
        return c.as_signed() if k else c
    bottom, top = saturation_bounds(k, i, f, overflow_mode)
    return Mux(c > top, top, Mux(c < bottom, bottom, c))


def _wrap(value: Value, width: int) -> Value:
    """``value`` modulo ``2**width``, as ``width`` unsigned bits (extended by its own signedness first)."""
    return _extend(value, width)[:width]


def _extend(value: Value, width: int) -> Value:
    """``value`` extended by its own signedness to at least ``width`` bits."""
    missing = width - len(value)
    if missing <= 0:
        return value
    fill = value[-1].replicate(missing) if value.shape().signed else Const(0, missing)
    return Cat(value, fill)
