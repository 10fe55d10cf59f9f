"""Program + pipeline plan -> Verilog text directly, for designs too large for Amaranth's netlist.

Same module, ports, wires and register chains (``netlist``) and arithmetic as
``amaranth_backend`` (which stays the reference: both are checked bit for bit
against ``Program.run`` in Verilator), but written as text in one pass over the
program (``hdl_text``, shared with the VHDL writer): about 1 s per 10,000 adders,
where Amaranth's bit-level netlist and the WebAssembly Yosys take about 15 ms per adder.

Every wire holds its value's code, unsigned-declared. Comparisons are ``$signed``;
a multiplier is ``$signed(a) * $signed(b)`` on the operands' own widths, so
synthesis sees the true product size (and maps it to a DSP48E2).
"""

from da_core.program import Program

from . import ports as P
from .hdl_text import Body, Dialect, Port, Wire
from .hdl_text import write as write_text
from .pipeline import PipelinePlan
from .ports import Interface, check_name
from .ternary import gate_pins, lut_init


def write(program: Program, plan: PipelinePlan, name: str, interface: Interface = Interface(),
          ternary: bool = False) -> str:
    """The Verilog text of one module called ``name``, written directly (fast on large programs);
    ``ternary``: chained adds as three-input adders on LUT6_2 + CARRY4 (``rtl_emit.ternary``)."""
    check_name(name)
    return write_text(program, plan, name, interface, Verilog(), ternary)


class Verilog(Dialect):
    language = "verilog"

    def const(self, code: int, width: int) -> str:
        return f"{width}'d{code % (1 << width)}" if width else "1'd0"

    def extend(self, x: Wire, n: int) -> str:
        name, w, signed = x
        fill = f"{name}[{w - 1}]" if signed else "1'b0"
        return f"{{{{{n - w}{{{fill}}}}}, {name}}}"

    def shifted(self, core: str, shift: int) -> str:
        return f"{{{core}, {shift}'d0}}"

    def slice(self, name: str, hi: int, lo: int) -> str:
        return f"{name}[{hi}:{lo}]"

    def equals(self, a: str, b: str) -> str:
        return f"{a} == {b}"

    def bit_set(self, name: str, bit: int) -> str:
        return f"{name}[{bit}]"

    def signed_compare(self, a: str, relation: str, b: str) -> str:
        return f"$signed({a}) {relation} $signed({b})"

    def wire(self, body: Body, name: str, width: int, expr: str | None = None) -> None:
        body.decls.append(f"  wire [{width - 1}:0] {name};")
        if expr is not None:
            self.assign(body, name, expr)

    def assign(self, body: Body, target: str, expr: str) -> None:
        body.stmts.append(f"  assign {target} = {expr};")

    def choose(self, body: Body, target: str, cases: list[tuple[str, str]], default: str) -> None:
        self.assign(body, target, "".join(f"{c} ? {e} : " for c, e in cases) + default)

    def product(self, body: Body, target: str, width: int, a: Wire, b: Wire) -> None:
        # Verilog sign-extends both signed operands of `*` to the assignment's width, so the low bits
        # are the exact product's; an unsigned operand gets a zero on top first
        self.assign(body, target, f"{_signed(a)} * {_signed(b)}")

    def rom_function(self, name: str, address_bits: int, width: int, image: tuple[int, ...]) -> list[str]:
        lines = [f"  function [{width - 1}:0] {name};", f"    input [{address_bits - 1}:0] a;", "    case (a)"]
        lines += [f"      {address_bits}'d{a}: {name} = {self.const(c, width)};" for a, c in enumerate(image) if c]
        return lines + [f"      default: {name} = {self.const(0, width)};", "    endcase", "  endfunction"]

    def join(self, high: str, low: str) -> str:
        return f"{{{high}, {low}}}"

    def add3(self, body: Body, module: str, target: str, width: int, vectors: list[tuple[str, bool]], kin: bool,
             cin: bool, gates: list[str | None], zero_from: int) -> None:
        s = f"{target}_s"
        self.wire(body, s, width)
        pins = gate_pins(gates)
        inputs = {"z": self.const(0, width), "e": self.const(0, width)} | {p: v for p, (v, _) in zip("xyz", vectors)}
        inputs |= {"z" if pin == 2 else "e": f"{{{width}{{{g}}}}}" for g, pin in zip(gates, pins) if pin is not None}
        ports = ", ".join(f".{p}({inputs[p]})" for p in "xyze")
        init = lut_init(tuple(invert for _, invert in vectors), tuple(pins))
        body.stmts.append(f"  {module} #(.N({width}), .Z({zero_from}), .KIN({int(kin)}), .CIN({int(cin)}), "
                          f".INIT(64'h{init:016x})) "
                          f"{target}_add ({ports}, .s({s}));")

    def register(self, body: Body, name: str, width: int | None, source: str) -> None:
        if width is None:
            body.decls.append(f"  reg {name} = 1'b0;")
            body.valid_regs.append((name, source))
        else:
            body.decls.append(f"  reg [{width - 1}:0] {name} = {width}'d0;")
            body.regs.append((name, source))

    def input_bits(self, hi: int, lo: int) -> str:
        return self.slice(P.INPUT, hi, lo)

    def drive_outputs(self, body: Body, pieces: list[str], valid: str | None) -> None:
        if pieces:
            self.assign(body, P.OUTPUT, f"{{{', '.join(reversed(pieces))}}}")
        if valid is not None:
            self.assign(body, P.OUTPUT_VALID, valid)

    def module(self, name: str, ports: list[Port], body: Body, interface: Interface, latency_cycles: int) -> str:
        port_lines = [f"  {p.direction}put wire {'' if p.width is None else f'[{p.width - 1}:0] '}{p.name}"
                      for p in ports]
        header = [f"// {name}: written by adderflow (rtl_emit.verilog_backend). Ports, bus layout and element",
                  (f"// formats: {name}.md / {name}.json. Latency {latency_cycles} clock cycles, a new sample "
                   "every clock."),
                  "`default_nettype none", f"module {name} (", ",\n".join(port_lines), ");"]
        return "\n".join(header + body.functions + body.decls + body.stmts + _always(body, interface)
                         + ["endmodule"] + body.modules + ["`default_nettype wire", ""])


def _always(body: Body, interface: Interface) -> list[str]:
    """The clocked block: the valid chain (cleared by rst) and the data registers, all held while ce is low."""
    valid = [f"{r} <= {s};" for r, s in body.valid_regs]
    data = [f"{r} <= {s};" for r, s in body.regs]
    if not (valid or data):
        return []
    lines = [f"  always @(posedge {P.CLOCK}) begin"]
    if interface.reset and valid:
        lines.append(f"    if ({P.RESET}) begin")
        lines += [f"      {r} <= 1'b0;" for r, _ in body.valid_regs]
        lines.append("    end else" + (f" if ({P.ENABLE})" if interface.clock_enable else "") + " begin")
        lines += [f"      {r}" for r in valid]
        lines.append("    end")
        valid = []
    indent = "    "
    if interface.clock_enable:
        lines.append(f"    if ({P.ENABLE}) begin")
        indent = "      "
    lines += [indent + r for r in valid + data]
    if interface.clock_enable:
        lines.append("    end")
    return lines + ["  end"]


def _signed(x: Wire) -> str:
    name, w, signed = x
    return f"$signed({name})" if signed else f"$signed({{1'b0, {name}}})"
