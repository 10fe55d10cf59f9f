"""Builds a Program op by op, deriving each value's exact interval, depth and cost.

Identical ops are built once (hash-consing), trivial ones are folded (adding
zero, shifting, constants), and every width is checked against INT64_SAFE_BITS,
the 62 bits the interpreter carries exactly.
"""

from fractions import Fraction

import numpy as np

from quant.network import INT64_SAFE_BITS

from .cost import DSP_LEVELS, adder_cost
from .interval import Interval
from .lut_pack import PACK_ADDRESS_BITS, pack_interval, pack_luts
from .program import Op, Program, is_bit
from .quantize import check_modes, quantize_codes, round_code, saturation_bounds
from .tables import table_depth, table_luts

MUX_WAYS = 4  # a mux over at most this many values: two select bits and four data bits, one LUT6 per bit


class ProgramBuilder:
    """The only way to make a Program: each method appends one op and returns its value id.

    A whole network lowers into one builder (layer by layer, sharing identical ops and solved
    matrices), and ``build`` freezes what the outputs need.
    """

    def __init__(self):
        self.ops: list[Op] = []
        self._known: dict[tuple, int] = {}
        self._tables: dict[tuple, tuple] = {}
        self._trees: dict[tuple[int, str], frozenset[int]] = {}  # _tree_members, by root and kind
        self._n_inputs = 0
        self.solved: dict = {}  # emit_cmvm's adder graphs, by matrix and input formats
        self.origin = ""  # the network node now being lowered: each new op records it (Program.origins)
        self.origins: list[str] = []
        self.pack_bits = 0  # emit_cmvm packs inputs at most this wide into tables (da_core.lut_pack); 0: never

    def interval(self, v: int) -> Interval:
        return self.ops[v].interval

    def depth(self, v: int) -> int:
        return self.ops[v].depth

    def _emit(self, kind: str, args: tuple, params: tuple, interval: Interval, depth: int, cost: int) -> int:
        key = (kind, args, params, interval if kind in ("const", "lut") else None)  # a lut: entries at an exponent
        if kind != "input" and key in self._known:
            return self._known[key]
        if interval.width > INT64_SAFE_BITS:
            raise OverflowError(f"a {kind} value needs {interval.width} bits ({interval}); "
                                f"at most {INT64_SAFE_BITS} are supported")
        self.ops.append(Op(kind, args, params, interval, depth, cost))
        self.origins.append(self.origin)
        self._known[key] = len(self.ops) - 1
        return len(self.ops) - 1

    def input(self, interval: Interval) -> int:
        """The next input port, carrying codes in ``interval``."""
        self._n_inputs += 1
        return self._emit("input", (), (self._n_inputs - 1,), interval, 0, 0)

    def const(self, value: Fraction | float) -> int:
        value = Fraction(value)
        exp = 0
        while value.denominator != 1:
            if value.denominator % 2:
                raise ValueError(f"constant {value} is not dyadic (a multiple of a power of two)")
            value *= 2
            exp -= 1
        code = int(value)
        while code and code % 2 == 0:
            code //= 2
            exp += 1
        return self._emit("const", (), (), Interval(code, code, exp if code else 0), 0, 0)

    def value_of_const(self, v: int) -> Fraction:
        iv = self.interval(v)
        return Fraction(iv.lo) * Fraction(2) ** iv.exp

    def _is_zero(self, v: int) -> bool:
        iv = self.interval(v)
        return iv.lo == iv.hi == 0

    def shift(self, a: int, s: int) -> int:
        """``a * 2**s``: wiring only."""
        if s == 0 or self._is_zero(a):
            return a
        op = self.ops[a]
        if op.kind == "shift":  # fold shift of shift
            return self.shift(op.args[0], op.params[0] + s)
        iv = op.interval
        if op.kind == "const":
            return self.const(self.value_of_const(a) * Fraction(2) ** s)
        return self._emit("shift", (a,), (s,), Interval(iv.lo, iv.hi, iv.exp + s), op.depth, 0)

    def neg(self, a: int) -> int:
        iv = self.interval(a)
        if self.ops[a].kind == "const":
            return self.const(-self.value_of_const(a))
        if iv.lo == iv.hi == 0:
            return a
        result = Interval(-iv.hi, -iv.lo, iv.exp)
        return self._emit("neg", (a,), (), result, self.depth(a) + 1, adder_cost(result.lo, result.hi, 0))

    def add(self, a: int, b: int, shift: int = 0, sign: int = 1) -> int:
        """``a + sign * b * 2**shift``."""
        if sign not in (1, -1):
            raise ValueError(f"sign must be +1 or -1, got {sign}")
        if self._is_zero(b):
            return a
        if self._is_zero(a):
            b = self.shift(b, shift)
            return b if sign > 0 else self.neg(b)
        if self.ops[a].kind == "const" and self.ops[b].kind == "const":
            return self.const(self.value_of_const(a) + sign * self.value_of_const(b) * Fraction(2) ** shift)
        # a negation feeding an add is folded into it (a subtraction), so an output left negated costs nothing
        if (nb := self._negated(b)) is not None:
            return self.add(a, nb[0], shift + nb[1], -sign)
        if (na := self._negated(a)) is not None and sign > 0:
            return self.add(self.shift(b, shift), self.shift(na[0], na[1]), 0, -1)
        ia, ib = self.interval(a), self.interval(b)
        eb = ib.exp + shift
        e = min(ia.exp, eb)
        a_lo, a_hi = ia.lo << (ia.exp - e), ia.hi << (ia.exp - e)
        b_lo, b_hi = ib.lo << (eb - e), ib.hi << (eb - e)
        for lo, hi in ((a_lo, a_hi), (b_lo, b_hi)):
            if Interval(lo, hi, e).width > INT64_SAFE_BITS:
                raise OverflowError(f"aligning operands needs more than {INT64_SAFE_BITS} bits")
        lo, hi = (a_lo + b_lo, a_hi + b_hi) if sign > 0 else (a_lo - b_hi, a_hi - b_lo)
        if sign < 0 and shift == 0:
            lo, hi = self._ordered_difference(a, b, lo, hi, e)
        # low bits of the lower operand are wires, unless that operand is subtracted
        passthrough = eb - ia.exp if eb >= ia.exp else (ia.exp - eb if sign > 0 else 0)
        cost = adder_cost(lo, hi, passthrough)
        return self._emit("add", (a, b), (shift, sign), Interval(lo, hi, e),
                          max(self.depth(a), self.depth(b)) + 1, cost)

    def _ordered_difference(self, a: int, b: int, lo: int, hi: int, e: int) -> tuple[int, int]:
        """The codes (at ``2**e``) of ``a - b`` within ``lo..hi``, narrowed where the max/min trees tell their order.

        ``m + c - x`` with ``m`` a maximum over ``x`` (a tree of max ops reaching it) and ``c`` a constant is at
        least ``c``; with a minimum, at most ``c``. A softmax subtracts each element from its row's maximum: the
        difference is never negative, so a signed table after it is only ever read in its upper half.
        """
        m, c = self._constant_offset(a)
        if b in self._tree_members(m, "max"):
            lo = max(lo, -((-c * Fraction(2) ** -e) // 1))
        if b in self._tree_members(m, "min"):
            hi = min(hi, (c * Fraction(2) ** -e) // 1)
        return int(lo), int(hi)

    def _constant_offset(self, v: int) -> tuple[int, Fraction]:
        """(m, c) with ``v = m + c``: c a constant added to m (0 when v is no such add)."""
        op = self.ops[v]
        if op.kind == "add":
            (x, y), (shift, sign) = op.args, op.params
            if self.ops[y].kind == "const":
                return x, sign * self.value_of_const(y) * Fraction(2) ** shift
            if self.ops[x].kind == "const" and sign > 0 and shift == 0:
                return y, self.value_of_const(x)
        return v, Fraction(0)

    def _tree_members(self, v: int, kind: str) -> frozenset[int]:
        """Every value that a tree of ``kind`` ops (max or min) rooted at ``v`` selects from, inner ones too."""
        if self.ops[v].kind != kind:
            return frozenset()
        key = (v, kind)
        if key not in self._trees:
            members = set(self.ops[v].args)
            for arg in self.ops[v].args:
                members |= self._tree_members(arg, kind)
            self._trees[key] = frozenset(members)
        return self._trees[key]

    def _negated(self, v: int) -> tuple[int, int] | None:
        """(x, s) when v is ``-x * 2**s`` by a neg op (under a shift), else None."""
        op, s = self.ops[v], 0
        if op.kind == "shift":
            s = op.params[0]
            op = self.ops[op.args[0]]
        return (op.args[0], s) if op.kind == "neg" else None

    def sub(self, a: int, b: int, shift: int = 0) -> int:
        return self.add(a, b, shift, -1)

    def offset(self, a: int, value: Fraction) -> int:
        """``a + value``, folded into a's own constant term (a bias) when it has one; else, when a is ``x +- y``
        with x no add, onto x: the same one adder, but one that hash-consing shares between all the ``x +- y``
        rounded alike (a softmax rounds max - x_j for every element j: one adder on the max, not one each)."""
        op = self.ops[a]
        if op.kind == "add":
            x, y = op.args
            shift, sign = op.params
            if self.ops[x].kind == "const":
                return self.add(self.const(self.value_of_const(x) + value), y, shift, sign)
            if self.ops[y].kind == "const":
                return self.add(x, self.const(sign * self.value_of_const(y) * Fraction(2) ** shift + value))
            if self.ops[x].kind != "add":  # a leaf: its offset is one adder, shared by every rounded x +- y
                return self.add(self.offset(x, value), y, shift, sign)  # (a softmax's max minus each element)
        return self.add(a, self.const(value))

    def mul(self, a: int, b: int) -> int:
        """``a * b`` of two variables, exactly: a select (AND) when one is a single unsigned bit, else a multiplier.

        A known operand (one value) is refused here: ``da_core.products.multiply`` sends it to the CMVM solver.
        A signed single bit ([-1..0]) is negated after selecting by its unsigned bit.
        """
        ia, ib = self.interval(a), self.interval(b)
        if ia.lo == ia.hi or ib.lo == ib.hi:
            raise ValueError("ProgramBuilder.mul multiplies two variables; use da_core.products.multiply for a "
                             "known operand")
        if (_bit_rank(ia), a) < (_bit_rank(ib), b):
            a, b, ia, ib = b, a, ib, ia  # a single bit second (one order for hash-consing)
        if ib.width == 1 and ib.signed:  # [-1..0]: select by the (unsigned) bit, then negate
            return self.neg(self.mul(a, self.quant(b, 0, ib.exp + 1, -ib.exp, "TRN", "WRAP")))
        corners = [x * y for x in (ia.lo, ia.hi) for y in (ib.lo, ib.hi)]
        result = Interval(min(corners), max(corners), ia.exp + ib.exp)
        select = is_bit(ib)
        depth = max(self.depth(a), self.depth(b)) + (1 if select else DSP_LEVELS)
        # a select's AND shares the LUT6 of the adder that reads it: about half a LUT per bit (Yosys, on
        # shift-and-add products: benchmarks/RESULTS.md); a multiplier is a DSP48E2, no LUT
        return self._emit("mul", (a, b), (), result, depth, -(-result.width // 2) if select else 0)

    def quant(self, a: int, k: int, i: int, f: int, round_mode: str = "RND", overflow_mode: str = "WRAP") -> int:
        """HGQ2's quantizer with format (k, i, f); free where it only drops or wraps bits."""
        check_modes(round_mode, overflow_mode)
        k, i, f = int(k), int(i), int(f)
        if k + i + f <= 0:
            return self.const(0)
        iv = self.interval(a)
        if self.ops[a].kind == "const":  # fold: a constant quantizes to a constant
            code = int(quantize_codes(np.array([iv.lo], dtype=object), iv.exp, k, i, f, round_mode, overflow_mode)[0])
            return self.const(Fraction(code) * Fraction(2) ** -f)
        r_lo, r_hi = (round_code(c, iv.exp, f, round_mode) for c in (iv.lo, iv.hi))
        bottom, top = saturation_bounds(k, i, f, "SAT" if overflow_mode == "WRAP" else overflow_mode)
        overflows = r_lo < bottom or r_hi > top
        rounds = round_mode == "RND" and iv.exp < -f
        if not overflows and iv.exp >= -f:
            return a  # on the grid and in range: the quantizer is the identity
        if self.ops[a].kind == "lut":
            return self._fold_into_table(a, k, i, f, round_mode, overflow_mode)
        if overflows and overflow_mode == "WRAP" and -f < iv.exp < i + k:
            f = -iv.exp  # wrapping a coarser value keeps its grid: a table it feeds needs no finer address
        if overflows and overflow_mode == "WRAP":
            result = Interval.from_kif(k, i, f)
        else:
            result = Interval(min(max(r_lo, bottom), top), max(min(r_hi, top), bottom), -f)
        clamps = overflows and overflow_mode != "WRAP"
        cost = adder_cost(result.lo, result.hi, 0) * rounds + result.width * clamps
        depth = self.depth(a) + int(rounds) + int(clamps)
        return self._emit("quant", (a,), (k, i, f, round_mode, overflow_mode), result, depth, cost)

    def half_lsb_up(self, a: int, f: int) -> int:
        """``a + 2**-(f+1)``: truncating that to f fractional bits rounds a half up (HGQ2's RND).

        The constant joins the bias of a's layer instead of costing a rounding adder, also through a
        ReLU, as ``relu(v) + h`` and ``relu(v + h)`` truncate alike for 0 <= h < 2**-f.
        """
        half = Fraction(2) ** (-f - 1)
        op = self.ops[a]
        return self.relu(self.offset(op.args[0], half)) if op.kind == "relu" else self.offset(a, half)

    def relu(self, a: int) -> int:
        iv = self.interval(a)
        if iv.lo >= 0:
            return a
        if iv.hi <= 0:
            return self.const(0)
        result = Interval(0, iv.hi, iv.exp)
        return self._emit("relu", (a,), (), result, self.depth(a) + 1, result.width)

    def maximum(self, a: int, b: int) -> int:
        return self._select("max", a, b)

    def minimum(self, a: int, b: int) -> int:
        return self._select("min", a, b)

    def _select(self, kind: str, a: int, b: int) -> int:
        ia, ib = self.interval(a), self.interval(b)
        e = min(ia.exp, ib.exp)
        pick = max if kind == "max" else min
        lo = pick(ia.lo << (ia.exp - e), ib.lo << (ib.exp - e))
        hi = pick(ia.hi << (ia.exp - e), ib.hi << (ib.exp - e))
        result = Interval(lo, hi, e)
        # compare (one adder) then select (one LUT level)
        cost = adder_cost(min(ia.lo << (ia.exp - e), ib.lo << (ib.exp - e)),
                          max(ia.hi << (ia.exp - e), ib.hi << (ib.exp - e)), 0) + result.width
        return self._emit(kind, (a, b), (), result, max(self.depth(a), self.depth(b)) + 2, cost)

    def mux(self, sel: int, values: list[int]) -> int:
        """``values[c]``, ``c`` the raw code of the unsigned ``sel``: one LUT6 per result bit up to four values
        (two select bits and four data bits), the radix-4 partial products of ``da_core.products``."""
        isel = self.interval(sel)
        if isel.lo < 0 or isel.hi >= len(values) or len(values) > MUX_WAYS:
            raise ValueError(f"a mux picks one of at most {MUX_WAYS} values by an unsigned code below their count; "
                             f"got {len(values)} values and a select in {isel}")
        reach = [values[c] for c in range(isel.lo, isel.hi + 1)]
        if len(set(reach)) == 1:
            return reach[0]
        ivs = [self.interval(v) for v in reach]
        e = min(iv.exp for iv in ivs)
        result = Interval(min(iv.lo << (iv.exp - e) for iv in ivs), max(iv.hi << (iv.exp - e) for iv in ivs), e)
        depth = max(self.depth(v) for v in [sel, *reach]) + 1
        return self._emit("mux", (sel, *values), (), result, depth, result.width)

    def lut(self, a: int, base: int, base_exp: int, table, out_exp: int) -> int:
        """The table lookup ``table[c - base]`` (codes at ``out_exp``), ``c`` the code of ``a`` at ``base_exp``.

        Only the entries ``a`` can reach are kept, so the result's interval is exact.
        """
        iv = self.interval(a)
        if iv.exp < base_exp:
            raise ValueError(f"table input {iv} is finer than the table's grid 2^{base_exp}")
        step = 1 << (iv.exp - base_exp)
        first, last = (iv.lo * step - base, iv.hi * step - base)
        if first < 0 or last >= len(table):
            raise ValueError(f"table input {iv} reaches outside the table's {len(table)} entries")
        entries = [int(table[j]) for j in range(first, last + 1, step)]
        exp = out_exp
        while any(entries) and all(c % 2 == 0 for c in entries):
            entries, exp = [c // 2 for c in entries], exp + 1
        if min(entries) == max(entries):
            return self.const(Fraction(entries[0]) * Fraction(2) ** exp)
        result = Interval(min(entries), max(entries), exp if any(entries) else 0)
        entries = tuple(entries)
        entries = self._tables.setdefault(entries, entries)  # identical tables: one object, stored once
        cost = table_luts(iv.width, entries, result.width, iv.lo)
        depth = self.depth(a) + table_depth(iv.width)
        return self._emit("lut", (a,), (iv.lo, iv.exp, entries), result, depth, cost)

    def pack(self, args: list[int], weights: list[int]) -> int:
        """``sum(w * a)`` of a few narrow values as one table (``da_core.lut_pack``): a LUT6 per result bit."""
        ivs = [self.interval(a) for a in args]
        if sum(iv.width for iv in ivs) > PACK_ADDRESS_BITS or any(iv.lo == iv.hi for iv in ivs):
            raise ValueError(f"a pack reads at most {PACK_ADDRESS_BITS} bits of variables, got {ivs}")
        result = pack_interval(weights, ivs)
        if result.lo == result.hi:
            return self.const(Fraction(result.lo) * Fraction(2) ** result.exp)
        depth = max(self.depth(a) for a in args) + 1
        return self._emit("pack", tuple(args), (tuple(weights),), result, depth, pack_luts(weights, ivs, result))

    def _fold_into_table(self, a: int, k: int, i: int, f: int, round_mode: str, overflow_mode: str) -> int:
        """A quantizer after a table is a table of quantized entries (the old one goes if nothing else reads it)."""
        op = self.ops[a]
        base, base_exp, table = op.params
        codes = quantize_codes(np.array(table, dtype=object), op.interval.exp, k, i, f, round_mode, overflow_mode)
        return self.lut(op.args[0], base, base_exp, [int(c) for c in codes], -f)

    def build(self, outputs: list[int]) -> Program:
        """The program computing ``outputs``, without ops nothing reads (input ports stay)."""
        keep = set(outputs)
        for v in range(len(self.ops) - 1, -1, -1):
            if v in keep:
                keep.update(self.ops[v].args)
        keep.update(v for v, op in enumerate(self.ops) if op.kind == "input")
        order = sorted(keep)
        new_id = {v: n for n, v in enumerate(order)}
        ops = []
        for v in order:
            op = self.ops[v]
            ops.append(Op(op.kind, tuple(new_id[a] for a in op.args), op.params, op.interval, op.depth, op.cost))
        origins = tuple(self.origins[v] for v in order) if any(self.origins) else None
        return Program(tuple(ops), tuple(new_id[v] for v in outputs), origins)


def _bit_rank(iv: Interval) -> int:
    """0 for one unsigned bit, 1 for one signed bit, 2 for anything wider."""
    return 0 if is_bit(iv) else 1 if iv.width == 1 else 2
