"""Three-input adders on Xilinx LUT6_2 + CARRY4 primitives: one LUT per result bit where two chained adds take two.

Yosys (and a plain ``+``) maps ``a + b + c`` to two carry chains. UltraScale+ adds three
numbers on one chain: per bit i a LUT6_2 (I5 tied high, so two 5-input functions) takes
``x_i, y_i, z_i`` and the majority ``k_{i-1}`` of the bit below (its neighbour's O5); O6 is the
propagate ``x_i ^ y_i ^ z_i ^ k_{i-1}``, O5 the majority ``k_i``, and the carry chain adds with
``DI_i = k_{i-1}``: ``x + y + z = sum(2**i * (x_i ^ y_i ^ z_i)) + 2 * sum(2**i * k_i)``.

``fusions`` pairs, in a planned program, adds with an operand that is an add read nowhere else in
the same stage (no register between them; a maximum-weight matching), and turns each pair into three
signed, shifted terms. The emitter instantiates the primitives, so a synthesis count is the LUTs the
device takes; ``PRIMITIVE_MODELS`` are this module's own simulation models of the two primitives
for Verilator (guarded by ``VERILATOR``: Yosys and Vivado use their own cells).
"""

from collections import Counter
from dataclasses import dataclass

from .netlist import Operand, Tap, Wire, output_taps
from .pipeline import PipelinePlan


@dataclass(frozen=True)
class Term:
    """``sign * value(operand) * 2**offset`` in units of the result's lsb (``offset >= 0``)."""

    operand: Operand
    offset: int
    sign: int


def lut_init(inverted: tuple[bool, bool, bool]) -> int:
    """INIT of the LUT6_2 with x, y, z (I0..I2) read inverted where flagged (a subtracted term: ``-x = ~x + 1``,
    the inverter inside the LUT): O6 (INIT[63:32], I5 = 1) the parity of the three and I3, O5 (INIT[31:0]) their
    majority."""
    init = 0
    for j in range(32):
        bits = [((j >> b) & 1) ^ (b < 3 and inverted[b]) for b in range(4)]
        init |= (sum(bits) & 1) << (32 + j)
        init |= (sum(bits[:3]) >= 2) << j
    return init


def terms_of(wire: Wire) -> list[Term]:
    """The two terms of an add wire, at its result's exponent."""
    shift, sign = wire.op.params
    e = wire.op.interval.exp
    a, b = wire.arg_intervals
    return [Term(wire.args[0], a.exp - e, 1), Term(wire.args[1], b.exp + shift - e, sign)]


def fusions(wires: list[Wire], program, plan: PipelinePlan) -> tuple[dict[int, list[Term]], set[int]]:
    """Per fused add (its value id), its three terms; and the adds they absorb (written nowhere).

    An add may absorb an operand that is an add read once, in its stage; no add both absorbs and is
    absorbed. The candidates form a forest (each add has at most one reader), so the pairs are a
    maximum-weight matching on it, found exactly bottom-up: weighted by the absorbed add's LUT cost.
    """
    uses = Counter(a.root for w in wires for a in w.args if isinstance(a, Tap))
    uses.update(a.root for a in output_taps(program, plan) if isinstance(a, Tap))
    by_root = {w.chain[0].root: w for w in wires}
    children: dict[int, list[tuple[int, list[Term]]]] = {}
    for w in wires:
        if w.op.kind == "add":
            children[w.chain[0].root] = [c for j in range(2) if (c := _candidate(w, j, by_root, uses)) is not None]
    unfused: dict[int, int] = {}  # the best LUTs saved in v's subtree with v not absorbing
    best: dict[int, int] = {}  # ... with v free to absorb
    pick: dict[int, int] = {}  # the child v absorbs in ``best``, if any
    for v, kids in children.items():  # program order: operands first
        unfused[v] = best[v] = sum(best[c] for c, _ in kids)
        for c, _ in kids:
            gain = unfused[v] - best[c] + unfused[c] + program.ops[c].cost
            if gain > best[v]:
                best[v], pick[v] = gain, c
    fused: dict[int, list[Term]] = {}
    absorbed: set[int] = set()
    for v in reversed(children):  # readers first: an absorbed add absorbs nothing
        if v in absorbed or v not in pick:
            continue
        fused[v] = next(terms for c, terms in children[v] if c == pick[v])
        absorbed.add(pick[v])
    return fused, absorbed


def _candidate(w: Wire, j: int, by_root: dict[int, Wire], uses: Counter) -> tuple[int, list[Term]] | None:
    """(the add w's operand j, the three terms of the pair) when w may absorb it, else None."""
    terms = terms_of(w)
    t = terms[j]
    if not isinstance(t.operand, Tap) or t.operand.k or uses[t.operand.root] != 1:
        return None
    inner = by_root.get(t.operand.root)
    if inner is None or inner.op.kind != "add":
        return None
    three = terms[:j] + [Term(s.operand, s.offset + t.offset, s.sign * t.sign) for s in terms_of(inner)] \
        + terms[j + 1:]
    if any(s.offset < 0 for s in three) or chain_start(three) >= w.op.interval.width:
        return None
    return t.operand.root, three


def chain_start(terms: list[Term]) -> int:
    """The result's lowest bit that needs the chain: below it the bits are one added term's, copied."""
    low = sorted(terms, key=lambda t: t.offset)
    return low[1].offset if low[0].offset < low[1].offset and low[0].sign > 0 else low[0].offset


def adder_module(name: str) -> str:
    """The Verilog of ``name``: ``s = x + y + z + KIN + CIN`` modulo ``2**N`` on LUT6_2 and CARRY4 cells, each of
    x, y, z inverted where ``INIT`` (``lut_init``) says so."""
    return f"""module {name} #(parameter N = 1, parameter KIN = 0, parameter CIN = 0, parameter [63:0] INIT = 64'd0) (
  input wire [N-1:0] x,
  input wire [N-1:0] y,
  input wire [N-1:0] z,
  output wire [N-1:0] s
);
  localparam M = (N + 3) / 4;
  wire [4*M-1:0] p;
  wire [4*M-1:0] o;
  wire [4*M-1:0] co;
  wire [4*M:0] k;  // k[i]: the majority of bit i - 1, added at bit i
  wire [M:0] c;
  assign k[0] = KIN != 0;
  assign c[0] = CIN != 0;
  genvar i;
  generate
    for (i = 0; i < 4*M; i = i + 1) begin : b
      if (i < N) begin : lut
        LUT6_2 #(.INIT(INIT)) u (.O6(p[i]), .O5(k[i+1]), .I0(x[i]), .I1(y[i]), .I2(z[i]),
                             .I3(k[i]), .I4(1'b0), .I5(1'b1));
      end else begin : pad
        assign p[i] = 1'b0;
        assign k[i+1] = 1'b0;
      end
    end
    for (i = 0; i < M; i = i + 1) begin : chain
      CARRY4 u (.CO(co[4*i+3:4*i]), .O(o[4*i+3:4*i]), .CI(c[i]), .CYINIT(1'b0), .DI(k[4*i+3:4*i]),
                .S(p[4*i+3:4*i]));
      assign c[i+1] = co[4*i+3];
    end
  endgenerate
  assign s = o[N-1:0];
endmodule
"""


PRIMITIVE_MODELS = """`ifdef VERILATOR
`ifndef ADDERFLOW_XILINX_MODELS
`define ADDERFLOW_XILINX_MODELS
// simulation models of the two Xilinx primitives the three-input adders use (Verilator only)
module LUT6_2 #(parameter [63:0] INIT = 64'd0) (
  output wire O6, output wire O5,
  input wire I0, input wire I1, input wire I2, input wire I3, input wire I4, input wire I5
);
  assign O6 = INIT[{I5, I4, I3, I2, I1, I0}];
  assign O5 = INIT[{1'b0, I4, I3, I2, I1, I0}];
endmodule
module CARRY4 (
  output wire [3:0] CO, output wire [3:0] O,
  input wire CI, input wire CYINIT, input wire [3:0] DI, input wire [3:0] S
);
  wire [4:0] c;
  assign c[0] = CI | CYINIT;
  genvar i;
  generate
    for (i = 0; i < 4; i = i + 1) begin : b
      assign c[i+1] = S[i] ? c[i] : DI[i];
    end
  endgenerate
  assign CO = c[4:1];
  assign O = S ^ c[3:0];
endmodule
`endif
`endif
"""
