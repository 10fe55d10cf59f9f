"""Program + pipeline plan -> Verilog text directly, for designs too large for Amaranth's netlist.

Same module, ports, wires and register chains (``netlist``) and arithmetic as
``amaranth_backend`` (which stays the reference: both are checked bit for bit
against ``Program.run`` in Verilator), but written as text in one pass over the
program: about 1 s per 10,000 adders, where Amaranth's bit-level netlist and the
WebAssembly Yosys take about 15 ms per adder.

Every wire holds its value's code, unsigned-declared; arithmetic is done modulo
2**width on operands that are sign- or zero-extended (by their own signedness)
and aligned by concatenating zeros, which is exact because every result lies in
its interval. Comparisons extend both sides one bit past the wider and compare
``$signed``; a multiplier is ``$signed(a) * $signed(b)`` on the operands' own widths,
so synthesis sees the true product size (and maps it to a DSP48E2).
"""

from itertools import pairwise

from da_core.program import Op, Program, is_bit
from da_core.quantize import saturation_bounds
from da_core.tables import is_logic, rom_image

from . import ports as P
from .netlist import Operand, output_taps, wires
from .pipeline import PipelinePlan
from .ports import Interface, bus_width, check_name


def write(program: Program, plan: PipelinePlan, name: str, interface: Interface = Interface()) -> str:
    """The Verilog text of one module called ``name``, written directly (fast on large programs)."""
    check_name(name)
    interface.check(plan.combinational)
    ops = program.ops
    ins, outs = program.input_intervals, program.output_intervals
    lines, regs = [], []
    roms: dict[tuple, list[str]] = {}  # one function per distinct ROM image, by (address bits, width, image)
    decl = lines.append

    def operand(x: Operand) -> tuple[str, int, bool] | int:
        """A wire as (verilog name, width, signed); a constant as its integer code."""
        if isinstance(x, int):
            return x
        iv = ops[x.root].interval
        return x.name, iv.width, iv.signed

    for wire in wires(program, plan):
        target, w = wire.chain[0].name, wire.op.interval.width
        if wire.input_lsb is not None:
            decl(f"  wire [{w - 1}:0] {target} = {P.INPUT}[{wire.input_lsb + w - 1}:{wire.input_lsb}];")
        else:
            decl(f"  wire [{w - 1}:0] {target};")
            args = [operand(a) for a in wire.args]
            if wire.op.kind == "lut":
                lines.extend(_lut_lines(target, wire.op, args[0], wire.arg_intervals[0], roms))
            else:
                lines.extend(_op_lines(target, wire.op, args, wire.arg_intervals))
        for before, tap in pairwise(wire.chain):
            decl(f"  reg [{w - 1}:0] {tap.name} = {w}'d0;")
            regs.append(f"{tap.name} <= {before.name};")

    pieces = [_const(x, iv.width) if isinstance(x, int) else x.name
              for x, iv in zip(output_taps(program, plan), outs) if iv.width]
    out_width, inp_width = bus_width(outs), bus_width(ins)
    body = []
    if pieces:
        body.append(f"  assign {P.OUTPUT} = {{{', '.join(reversed(pieces))}}};")
    valid_regs = []
    if interface.valid:
        previous = P.INPUT_VALID
        for k in range(1, plan.latency_cycles + 1):
            decl(f"  reg valid_d{k} = 1'b0;")
            valid_regs.append(f"valid_d{k} <= {previous};")
            previous = f"valid_d{k}"
        body.append(f"  assign {P.OUTPUT_VALID} = {previous};")
    if regs or valid_regs:
        body.append(f"  always @(posedge {P.CLOCK}) begin")
        if interface.reset and valid_regs:
            body.append(f"    if ({P.RESET}) begin")
            body += [f"      valid_d{k} <= 1'b0;" for k in range(1, len(valid_regs) + 1)]
            body.append("    end else" + (f" if ({P.ENABLE})" if interface.clock_enable else "") + " begin")
            body += [f"      {r}" for r in valid_regs]
            body.append("    end")
            valid_regs = []
        indent = "    "
        if interface.clock_enable:
            body.append(f"    if ({P.ENABLE}) begin")
            indent = "      "
        body += [indent + r for r in valid_regs + regs]
        if interface.clock_enable:
            body.append("    end")
        body.append("  end")

    port_lines = []
    for port in interface.ports(plan.combinational):
        width = {P.INPUT: inp_width, P.OUTPUT: out_width}.get(port, 1)
        direction = "output" if port in (P.OUTPUT, P.OUTPUT_VALID) else "input"
        if width:
            port_lines.append(f"  {direction} wire {f'[{width - 1}:0] ' if port in (P.INPUT, P.OUTPUT) else ''}{port}")
    header = [f"// {name}: written by adderflow (rtl_emit.verilog_backend). Ports, bus layout and element",
              (f"// formats: {name}.md / {name}.json. Latency {plan.latency_cycles} clock cycles, a new sample "
               "every clock."),
              "`default_nettype none", f"module {name} (", ",\n".join(port_lines), ");"]
    functions = [line for rom in roms.values() for line in rom]
    return "\n".join(header + functions + lines + body + ["endmodule", "`default_nettype wire", ""])


def _const(code: int, width: int) -> str:
    return f"{width}'d{code % (1 << width)}" if width else "1'd0"


def _ext(x, width: int, shift: int = 0) -> str:
    """``x * 2**shift`` modulo ``2**width``; x is (name, w, signed) or an integer code."""
    if isinstance(x, int):
        return _const(x << shift, width)
    name, w, signed = x
    n = width - shift  # bits of x that survive
    if n <= 0:
        return _const(0, width)
    if n <= w:
        core = name if n == w else f"{name}[{n - 1}:0]"
    else:
        fill = f"{name}[{w - 1}]" if signed else "1'b0"
        core = f"{{{{{n - w}{{{fill}}}}}, {name}}}"
    return f"{{{core}, {shift}'d0}}" if shift else core


def _op_lines(target: str, op: Op, args: list, arg_ivs) -> list[str]:
    e, w = op.interval.exp, op.interval.width
    match op.kind:
        case "add":
            shift, sign = op.params
            a = _ext(args[0], w, arg_ivs[0].exp - e)
            b = _ext(args[1], w, arg_ivs[1].exp + shift - e)
            return [f"  assign {target} = {a} {'+' if sign > 0 else '-'} {b};"]
        case "neg":
            return [f"  assign {target} = -{_ext(args[0], w)};"]
        case "relu":
            name, wa, signed = args[0]
            if not signed:  # never negative: a wire
                return [f"  assign {target} = {_ext(args[0], w)};"]
            return [f"  assign {target} = {name}[{wa - 1}] ? {_const(0, w)} : {_ext(args[0], w)};"]
        case "max" | "min":
            shifts = [arg_ivs[0].exp - e, arg_ivs[1].exp - e]
            wc = max(iv.width + s for iv, s in zip(arg_ivs, shifts)) + 1
            a, b = f"{target}_a", f"{target}_b"
            pick = ">" if op.kind == "max" else "<"
            return [f"  wire [{wc - 1}:0] {a} = {_ext(args[0], wc, shifts[0])};",
                    f"  wire [{wc - 1}:0] {b} = {_ext(args[1], wc, shifts[1])};",
                    f"  assign {target} = $signed({a}) {pick} $signed({b}) ? {a}[{w - 1}:0] : {b}[{w - 1}:0];"]
        case "quant":
            return _quant_lines(target, op, args[0], arg_ivs[0])
        case "lut":
            return _lut_lines(target, op, args[0], arg_ivs[0])
        case "mul":
            if is_bit(arg_ivs[1]):  # a select: an AND of every bit with the one bit
                return [f"  assign {target} = {_ext(args[0], w)} & {{{w}{{{args[1][0]}}}}};"]
            return [f"  assign {target} = {_signed(args[0])} * {_signed(args[1])};"]
    raise ValueError(f"op kind {op.kind!r} has no direct Verilog mapping; use backend='amaranth'")


def _signed(x) -> str:
    """A wire as a signed operand (an unsigned one with a zero on top): Verilog then sign-extends both
    operands of ``*`` to the assignment's width, so the low bits are the exact product's."""
    name, w, signed = x
    return f"$signed({name})" if signed else f"$signed({{1'b0, {name}}})"


def _quant_lines(target: str, op: Op, x, iv) -> list[str]:
    """As ``amaranth_backend._quantize``: round (add half, drop bits), then wrap or clamp."""
    k, i, f, round_mode, overflow_mode = op.params
    w, exp = op.interval.width, iv.exp
    up = max(exp + f, 0)
    drop = max(-f - exp, 0)
    wt = max(iv.width + 2, drop + 2) + up  # the code, aligned, with room for rounding and its sign
    t = f"{target}_t"
    lines = [f"  wire [{wt - 1}:0] {t} = {_ext(x, wt, up)}"
             + (f" + {_const(1 << (drop - 1), wt)};" if drop and round_mode == "RND" else ";")]
    c, wc = f"{target}_r", wt - drop
    lines.append(f"  wire [{wc - 1}:0] {c} = {t}[{wt - 1}:{drop}];")  # arithmetic shift right by drop
    if overflow_mode == "WRAP":
        return [*lines, f"  assign {target} = {_ext((c, wc, True), w)};"]
    bottom, top = saturation_bounds(k, i, f, overflow_mode)
    wk = max(wc, bottom.bit_length() + 1, top.bit_length() + 1) + 1
    s = f"{target}_c"
    lines.append(f"  wire [{wk - 1}:0] {s} = {_ext((c, wc, True), wk)};")
    lo, hi = _const(bottom, wk), _const(top, wk)
    lines.append(f"  assign {target} = $signed({s}) > $signed({hi}) ? {_const(top, w)} : "
                 f"$signed({s}) < $signed({lo}) ? {_const(bottom, w)} : {s}[{w - 1}:0];")
    return lines


def _lut_lines(target: str, op: Op, x, iv, roms: dict) -> list[str]:
    """A table: a select of constants over its few address bits, or a call of its ROM (a function written
    once per distinct ROM image, however many ops read it)."""
    base, base_exp, table = op.params
    if base_exp != iv.exp:
        raise ValueError(f"lut operand at exponent {iv.exp}, table at {base_exp}")
    if isinstance(x, int):
        raise ValueError("a table of a constant is a constant: the builder folds it")
    name, wa, _ = x
    w = op.interval.width
    if is_logic(wa):
        choices = [f"{name} == {_const((base + j) % (1 << wa), wa)} ? {_const(entry, w)} : "
                   for j, entry in enumerate(table[:-1])]
        return [f"  assign {target} = {''.join(choices)}{_const(table[-1], w)};"]
    image = tuple(rom_image(base, table, wa))
    key = (wa, w, image)
    if key not in roms:
        fn = f"rom{len(roms)}"
        roms[key] = [f"  function [{w - 1}:0] {fn};", f"    input [{wa - 1}:0] a;", "    case (a)"]
        roms[key] += [f"      {wa}'d{a}: {fn} = {_const(c, w)};" for a, c in enumerate(image) if c]
        roms[key] += [f"      default: {fn} = {_const(0, w)};", "    endcase", "  endfunction"]
    fn = roms[key][0].split()[-1].rstrip(";")
    return [f"  assign {target} = {fn}({name});"]
