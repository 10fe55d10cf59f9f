"""Three-input adders on Xilinx LUT6_2 + CARRY4 primitives: one LUT per result bit where two chained adds take two.

Yosys (and a plain ``+``) maps ``a + b + c`` to two carry chains. UltraScale+ adds three
numbers on one chain: per bit i a LUT6_2 (I5 tied high, so two 5-input functions) takes
``x_i, y_i, z_i`` and the majority ``k_{i-1}`` of the bit below (its neighbour's O5); O6 is the
propagate ``x_i ^ y_i ^ z_i ^ k_{i-1}``, O5 the majority ``k_i``, and the carry chain adds with
``DI_i = k_{i-1}``: ``x + y + z = sum(2**i * (x_i ^ y_i ^ z_i)) + 2 * sum(2**i * k_i)``.

``fusions`` pairs, in a planned program, adds with an operand that is an add read nowhere else in
the same stage (no register between them; a maximum-weight matching), also through a quantizer that only
wraps above the bits the sum keeps (modular arithmetic), and turns each pair into three signed, shifted terms.
The LUT's free input I4 (and I2 of a two-term add) zeroes a term that carries a
ReLU (``rtl_emit.relu_gates``): the matching weighs those ReLUs' LUTs too, and a two-input add that takes
a ReLU in becomes a LUT6_2 adder as well. The emitter instantiates the primitives, so a synthesis count is
the LUTs the device takes; ``PRIMITIVE_MODELS`` are this module's own simulation models of the two
primitives for Verilator (guarded by ``VERILATOR``: Yosys and Vivado use their own cells).
"""

from collections import Counter
from dataclasses import dataclass, replace
from typing import NamedTuple

from da_core.program import Op

from .netlist import Operand, Tap, Wire, output_taps
from .pipeline import PipelinePlan
from .relu_gates import Gate, relu_gates
from .table_signs import negated_tables


@dataclass(frozen=True)
class Term:
    """``sign * value(operand) * 2**offset`` in units of the result's lsb (``offset >= 0``)."""

    operand: Operand
    offset: int
    sign: int
    gate: Gate | None = None  # the term is 0 where the gate's sign bit is 1 (a ReLU folded in)


def gate_pins(gates: list) -> list[int | None]:
    """Per term, the LUT input that zeroes it (None where its gate is None): I4, then I2 where the add has
    two terms (``_gated`` gives a three-term add one gate at most)."""
    free = [4] + [2] * (len(gates) == 2)
    return [None if g is None else free.pop(0) for g in gates]


def lut_init(inverted: tuple[bool, ...], gates: tuple[int | None, ...] | None = None) -> int:
    """INIT of the LUT6_2 with two or three terms on I0.. read inverted where flagged (a subtracted term:
    ``-x = ~x + 1``, the inverter inside the LUT), each zeroed first where its gate pin (``gate_pins``) is 1:
    O6 (INIT[63:32], I5 = 1) the parity of the terms and I3, O5 (INIT[31:0]) their majority (an absent third
    term is 0)."""
    gates = gates or (None,) * len(inverted)
    init = 0
    for j in range(32):
        pin = [(j >> b) & 1 for b in range(5)]
        bits = [(pin[t] & (g is None or 1 - pin[g])) ^ inv for t, (inv, g) in enumerate(zip(inverted, gates))]
        init |= ((sum(bits) + pin[3]) & 1) << (32 + j)
        init |= (sum(bits) >= 2) << j
    return init


def terms_of(wire: Wire) -> list[Term]:
    """The two terms of an add wire, at its result's exponent."""
    shift, sign = wire.op.params
    e = wire.op.interval.exp
    a, b = wire.arg_intervals
    return [Term(wire.args[0], a.exp - e, 1), Term(wire.args[1], b.exp + shift - e, sign)]


class Fusions(NamedTuple):
    """What ``fusions`` decides: the adders written on LUT6_2 cells and what changes around them."""

    terms: dict[int, list[Term]]  # per add written on LUT6_2 cells (its value id): its two or three terms
    absorbed: set[int]  # the adds those absorb, and the wraps read between (written nowhere)
    ungated: set[int]  # the ReLUs folded into their terms (written as their operand's bits)
    negated: dict[int, Op]  # the lookups read negated (``table_signs``): the op written instead


def fusions(wires: list[Wire], program, plan: PipelinePlan) -> Fusions:
    """The adds written on LUT6_2 cells, with their terms; the adds they absorb; the ReLUs folded into them;
    the lookups they read negated (``table_signs``).

    An add may absorb an operand that is an add read once, in its stage, directly or through wraps that its
    width cannot see (``_unwrapped``); no add both absorbs and is absorbed.
    The candidates form a forest (each add has at most one reader), so the pairs are a
    maximum-weight matching on it, found exactly bottom-up: weighted by the absorbed add's LUT cost and the
    LUTs of the ReLUs the written adds zero (one term of three, or both of two).
    """
    uses = Counter(a.root for w in wires for a in w.args if isinstance(a, Tap))
    uses.update(a.root for a in output_taps(program, plan) if isinstance(a, Tap))
    gates = relu_gates(wires, uses)
    by_root = {w.chain[0].root: w for w in wires}
    children: dict[int, list[tuple[int, list[Term]]]] = {}
    wraps: dict[int, list[int]] = {}  # per add an add may absorb: the wraps between them, absorbed with it
    reader = {a.root: w for w in wires for a in w.args if isinstance(a, Tap)}
    for w in wires:
        if w.op.kind == "add":
            seen = _seen_width(w, reader, uses)
            kids = [c for j in range(2) if (c := _candidate(w, j, seen, by_root, uses)) is not None]
            children[w.chain[0].root] = [(c, three) for c, three, _ in kids]
            wraps.update((c, via) for c, _, via in kids)
    inner: dict[int, int] = {}  # the best LUTs saved in v's subtree with v absorbed by its reader
    best: dict[int, int] = {}  # ... with v written
    pick: dict[int, tuple[int | None, list[Term]]] = {}  # then: the child v absorbs (or None), v's terms
    for v, kids in children.items():  # program order: operands first
        inner[v] = sum(best[c] for c, _ in kids)
        gain, terms = _gated(terms_of(by_root[v]), gates, 2)
        best[v], pick[v] = inner[v] + gain, (None, terms)
        for c, three in kids:
            gain, terms = _gated(three, gates, 1)
            gain += inner[v] - best[c] + inner[c] + program.ops[c].cost
            if gain > best[v]:
                best[v], pick[v] = gain, (c, terms)
    fused: dict[int, list[Term]] = {}
    absorbed: set[int] = set()
    for v in reversed(children):  # readers first: an absorbed add absorbs nothing
        c, terms = pick[v]
        if v in absorbed or (c is None and not any(t.gate for t in terms)):
            continue
        fused[v] = terms
        if c is not None:
            absorbed.update([c, *wraps[c]])
    ungated = {t.gate.relu for terms in fused.values() for t in terms if t.gate is not None}
    fused, negated = negated_tables(fused, by_root, uses, chain_start)
    return Fusions(fused, absorbed, ungated, negated)


def _gated(terms: list[Term], gates: dict[int, Gate], slots: int) -> tuple[int, list[Term]]:
    """The LUTs saved by zeroing up to ``slots`` of ``terms`` in the adder (the ReLUs they carry), and the
    terms with those gates. A term whose low bits are copied below the chain (``chain_start``) stays as is."""
    start = chain_start(terms)
    can = sorted(((gates[t.operand.root].gain, j) for j, t in enumerate(terms) if isinstance(t.operand, Tap)
                  and not t.operand.k and t.operand.root in gates and t.offset >= start), reverse=True)[:slots]
    chosen = {j for _, j in can}
    return sum(g for g, _ in can), [replace(t, gate=gates[t.operand.root]) if j in chosen else t
                                    for j, t in enumerate(terms)]


def _candidate(w: Wire, j: int, seen: int, by_root: dict[int, Wire], uses: Counter) \
        -> tuple[int, list[Term], list[int]] | None:
    """(the add w's operand j, the three terms of the pair, the wraps read between them) when w may absorb it,
    else None; ``seen``: w's low bits that its readers see (``_seen_width``)."""
    terms = terms_of(w)
    t, via = terms[j], []
    while (inner := _read_once(t.operand, by_root, uses)) is not None and inner.op.kind == "quant":
        t = _unwrapped(t, inner, seen)
        if t is None:
            return None
        via.append(inner.chain[0].root)
    if inner is None or inner.op.kind != "add":
        return None
    three = terms[:j] + [Term(s.operand, s.offset + t.offset, s.sign * t.sign) for s in terms_of(inner)] \
        + terms[j + 1:]
    if any(s.offset < 0 for s in three) or chain_start(three) >= w.op.interval.width:
        return None
    return t.operand.root, three, via


def _read_once(x: Operand, by_root: dict[int, Wire], uses: Counter) -> Wire | None:
    """The wire of ``x`` where ``x`` is read once, unregistered (in its reader's stage), else None."""
    if not isinstance(x, Tap) or x.k or uses[x.root] != 1:
        return None
    return by_root.get(x.root)


def _seen_width(w: Wire, reader: dict[int, Wire], uses: Counter) -> int:
    """The low bits of the add w's code that its readers see: all its bits, but where its one reader is a wrap,
    only those below the wrap's modulus (``m = k + max(i, -f)`` minus the exponent it reads w at).

    The wrap's Verilog (``hdl_text._quant``) aligns w's code ``up`` bits up, adds a constant, drops ``drop``
    bits and keeps the low ``n <= k + max(i, -f) + f`` bits of the result: bits below ``n + drop - up <= m``
    of w's code, whatever the bits above them are. So w's bits from ``m`` up may differ from its value's."""
    q = reader.get(w.chain[0].root)
    width = w.op.interval.width
    if uses[w.chain[0].root] != 1 or q is None or q.op.kind != "quant" or q.op.params[4] != "WRAP":
        return width
    k, i, f = q.op.params[:3]
    return min(width, k + max(i, -f) - q.arg_intervals[0].exp)


def _unwrapped(t: Term, q: Wire, width: int) -> Term | None:
    """``t``, a term of a sum that reads the quantizer ``q``, reading q's operand instead, where that leaves the
    sum's low ``width`` bits as they are; else None.

    That holds where q only wraps: WRAP, and its operand on q's grid or coarser (no bit dropped, so no rounding
    either). Then q's value and its operand's are congruent modulo ``2**(k + max(i, -f))`` (HGQ2's wrap, signed
    or not, subtracts multiples of it), i.e. modulo ``2**m`` of q's code, ``m = k + max(i, -f) - q.exp``; scaled
    by the term, modulo ``2**(m + t.offset)`` of the sum's lsb, which the sum cannot see where
    ``m + t.offset >= width``. The adder computes its sum modulo ``2**n``, n its result's width, and the exact
    sum fits in n bits (signed or not), so its bits below ``width <= n`` are the exact sum's.
    """
    k, i, f, _, overflow_mode = q.op.params
    a, e = q.arg_intervals[0], q.op.interval.exp
    if overflow_mode != "WRAP" or a.exp < -f or k + max(i, -f) - e + t.offset < width:
        return None
    return Term(q.args[0], t.offset + a.exp - e, t.sign)


def chain_start(terms: list[Term]) -> int:
    """The result's lowest bit that needs the chain: below it the bits are one added term's, copied."""
    low = sorted(terms, key=lambda t: t.offset)
    return low[1].offset if low[0].offset < low[1].offset and low[0].sign > 0 else low[0].offset


def zero_from(vectors: list[tuple[int, int, bool]], n: int) -> int:
    """The lowest bit of an ``n``-bit adder from which every term is 0: each term given as (its lowest bit in
    the adder, its width, whether the bits above it are 0 (an unsigned term, not subtracted))."""
    return min(n, max(lo + w if zero else n for lo, w, zero in vectors))


def adder_module(name: str) -> str:
    """The Verilog of ``name``: ``s = x + y + z + KIN + CIN`` modulo ``2**N`` on LUT6_2 and CARRY4 cells, the
    terms on x, y (and z) inverted and zeroed by a gate on e (or z) where ``INIT`` (``lut_init``) says so.
    From bit Z up every term is 0 (``zero_from``): no LUT there, the chain adds the majority from below."""
    return f"""module {name} #(parameter N = 1, parameter Z = N, parameter KIN = 0, parameter CIN = 0,
    parameter [63:0] INIT = 64'd0) (
  input wire [N-1:0] x,
  input wire [N-1:0] y,
  input wire [N-1:0] z,
  input wire [N-1:0] e,
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
      if (i < N && i < Z) begin : lut
        LUT6_2 #(.INIT(INIT)) u (.O6(p[i]), .O5(k[i+1]), .I0(x[i]), .I1(y[i]), .I2(z[i]),
                             .I3(k[i]), .I4(e[i]), .I5(1'b1));
      end else begin : pad  // what the LUT would give with every term 0: k[i] (0 above bit Z) alone
        assign p[i] = i < N ? k[i] : 1'b0;
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
