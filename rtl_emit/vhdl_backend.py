"""Program + pipeline plan -> VHDL-2008 text: the direct Verilog writer's module, in VHDL.

The same walk (``hdl_text``) as ``verilog_backend``, so the entity has the same
ports, bus layout, registers and latency; simulated in GHDL it is checked bit for
bit against ``Program.run`` like the Verilog (``sim.verify``).

Ports are ``std_logic`` (clock and control) and ``std_logic_vector`` (the buses);
inside, every wire is ``unsigned`` (ieee.numeric_std) holding its value's code,
and sums are taken modulo ``2**width`` as in the Verilog. The output bus keeps the
name ``out``, a VHDL reserved word, as the extended identifier ``\\out\\``, so a
wrapper or testbench addresses the same port names in both languages.
"""

from da_core.program import Program

from . import ports as P
from .hdl_text import Body, Dialect, Port, Wire
from .hdl_text import write as write_text
from .pipeline import PipelinePlan
from .ports import Interface, check_name

RESERVED = frozenset("""
abs access after alias all and architecture array assert assume assume_guarantee attribute begin block body buffer
bus case component configuration constant context cover default disconnect downto else elsif end entity exit
fairness file for force function generate generic group guarded if impure in inertial inout is label library
linkage literal loop map mod nand new next nor not null of on open or others out package parameter port postponed
procedure process property protected pure range record register reject release rem report restrict
restrict_guarantee return rol ror select sequence severity shared signal sla sll sra srl strong subtype then to
transport type unaffected units until use variable vmode vprop vunit wait when while with xnor xor
""".split())  # VHDL-2008 (IEEE 1076-2008, 15.10)


def check_vhdl_name(name: str) -> None:
    """Refuse a design name that is not a VHDL basic identifier (also a Verilog one, so one name serves both)."""
    check_name(name)
    if name.lower() in RESERVED or name.startswith("_") or name.endswith("_") or "__" in name:
        raise ValueError(f"design name {name!r} is not a VHDL identifier (a reserved word, or an underscore at "
                         f"either end or doubled); choose another name")


def port_name(port: str) -> str:
    """A port's name as written in VHDL: ``out`` as the extended identifier ``\\out\\``."""
    return f"\\{port}\\" if port in RESERVED else port


def write(program: Program, plan: PipelinePlan, name: str, interface: Interface = Interface()) -> str:
    """The VHDL-2008 text of one entity ``name`` with its architecture ``rtl``."""
    check_vhdl_name(name)
    return write_text(program, plan, name, interface, Vhdl())


class Vhdl(Dialect):
    language = "vhdl"

    def const(self, code: int, width: int) -> str:
        width = max(width, 1)
        return f"unsigned'(\"{code % (1 << width):0{width}b}\")"

    def extend(self, x: Wire, n: int) -> str:
        name, _, signed = x
        return f"unsigned(resize(signed({name}), {n}))" if signed else f"resize({name}, {n})"

    def shifted(self, core: str, shift: int) -> str:
        # parenthesised: & binds like + and - in VHDL
        return f"({core} & {self.const(0, shift)})"

    def slice(self, name: str, hi: int, lo: int) -> str:
        return f"{name}({hi} downto {lo})"

    def equals(self, a: str, b: str) -> str:
        return f"{a} = {b}"

    def bit_set(self, name: str, bit: int) -> str:
        return f"{name}({bit}) = '1'"

    def signed_compare(self, a: str, relation: str, b: str) -> str:
        return f"signed({a}) {relation} signed({b})"

    def wire(self, body: Body, name: str, width: int, expr: str | None = None) -> None:
        body.decls.append(f"  signal {name} : unsigned({width - 1} downto 0);")
        if expr is not None:
            self.assign(body, name, expr)

    def assign(self, body: Body, target: str, expr: str) -> None:
        body.stmts.append(f"  {target} <= {expr};")

    def choose(self, body: Body, target: str, cases: list[tuple[str, str]], default: str) -> None:
        self.assign(body, target, "".join(f"{e} when {c} else " for c, e in cases) + default)

    def product(self, body: Body, target: str, width: int, a: Wire, b: Wire) -> None:
        wp = sum(w + (not signed) for _, w, signed in (a, b))  # the exact product's width
        p = f"{target}_p"
        body.decls.append(f"  signal {p} : signed({wp - 1} downto 0);")
        self.assign(body, p, f"{_signed(a)} * {_signed(b)}")
        if wp > width:
            expr = f"unsigned({self.slice(p, width - 1, 0)})"
        else:
            expr = f"unsigned({p})" if wp == width else f"unsigned(resize({p}, {width}))"
        self.assign(body, target, expr)

    def rom_function(self, name: str, address_bits: int, width: int, image: tuple[int, ...]) -> list[str]:
        lines = [f"  function {name}(a : unsigned({address_bits - 1} downto 0)) return unsigned is", "  begin",
                 "    case to_integer(a) is"]
        lines += [f"      when {a} => return {self.const(c, width)};" for a, c in enumerate(image) if c]
        return lines + [f"      when others => return {self.const(0, width)};", "    end case;",
                        f"  end function {name};"]

    def join(self, high: str, low: str) -> str:
        return f"({high} & {low})"

    def register(self, body: Body, name: str, width: int | None, source: str) -> None:
        if width is None:
            body.decls.append(f"  signal {name} : std_logic := '0';")
            body.valid_regs.append((name, source))
        else:
            body.decls.append(f"  signal {name} : unsigned({width - 1} downto 0) := (others => '0');")
            body.regs.append((name, source))

    def input_bits(self, hi: int, lo: int) -> str:
        return f"unsigned({self.slice(P.INPUT, hi, lo)})"

    def drive_outputs(self, body: Body, pieces: list[str], valid: str | None) -> None:
        if pieces:
            self.assign(body, port_name(P.OUTPUT), f"std_logic_vector(unsigned'({' & '.join(reversed(pieces))}))")
        if valid is not None:
            self.assign(body, P.OUTPUT_VALID, valid)

    def module(self, name: str, ports: list[Port], body: Body, interface: Interface, latency_cycles: int) -> str:
        port_lines = [f"    {port_name(p.name)} : {p.direction} "
                      + ("std_logic" if p.width is None else f"std_logic_vector({p.width - 1} downto 0)")
                      for p in ports]
        header = [f"-- {name}: written by adderflow (rtl_emit.vhdl_backend), VHDL-2008. Ports, bus layout and element",
                  (f"-- formats: {name}.md / {name}.json. Latency {latency_cycles} clock cycles, a new sample "
                   "every clock."),
                  "library ieee;", "use ieee.std_logic_1164.all;", "use ieee.numeric_std.all;", "",
                  f"entity {name} is", "  port (", ";\n".join(port_lines), "  );", f"end entity {name};", "",
                  f"architecture rtl of {name} is"]
        return "\n".join(header + body.functions + body.decls + ["begin"] + body.stmts + _process(body, interface)
                         + ["end architecture rtl;", ""])


def _process(body: Body, interface: Interface) -> list[str]:
    """The clocked process: the valid chain (cleared by rst) and the data registers, all held while ce is low."""
    if not (body.valid_regs or body.regs):
        return []
    enable = f"{P.ENABLE} = '1'"
    lines = [f"  process ({P.CLOCK}) begin", f"    if rising_edge({P.CLOCK}) then"]
    valid = [f"{r} <= {s};" for r, s in body.valid_regs]
    data = [f"{r} <= {s};" for r, s in body.regs]
    if interface.reset and valid:
        lines.append(f"      if {P.RESET} = '1' then")
        lines += [f"        {r} <= '0';" for r, _ in body.valid_regs]
        lines.append(f"      elsif {enable} then" if interface.clock_enable else "      else")
        lines += [f"        {r}" for r in valid]
        lines.append("      end if;")
        valid = []
    if interface.clock_enable and valid + data:
        lines += [f"      if {enable} then", *(f"        {r}" for r in valid + data), "      end if;"]
    else:
        lines += [f"      {r}" for r in valid + data]
    return lines + ["    end if;", "  end process;"]


def _signed(x: Wire) -> str:
    name, _, signed = x
    return f"signed({name})" if signed else f"signed('0' & {name})"

