"""Three-input adders (``ternary_adders=True``): chained adds on LUT6_2 + CARRY4 cells, also through wraps between
them, equal Program.run under Verilator (with the file's own models of the two primitives), combinational and
pipelined; ReLUs folded into the adders that read them, no LUT above the bit where every term is 0, and lookups
read negated where that takes fewer ROM bits."""

import random
import re

import pytest
from random_programs import random_codes, random_program

from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from rtl_emit import emit_program
from rtl_emit.netlist import wires
from rtl_emit.pipeline import plan_pipeline
from rtl_emit.ternary import chain_start, fusions
from sim import verify_codes

INPUTS = (Interval(-128, 127, 0), Interval(0, 15, -2), Interval(0, 1, 0), Interval(-4, 3, 1), Interval(0, 255, -3),
          Interval(-1, 0, 0), Interval(-512, 511, -4))


def sums(seed: int, n: int = 50):
    """Sums of three and four terms (inputs, constants, earlier sums), each add with a random shift and sign; some
    with a wrap between the two adds (of any signedness, at any modulus below the inner sum's top, a few dropping
    the sum's lowest bit), their result read through a wrap at another modulus."""
    rng = random.Random(seed)
    b = ProgramBuilder()
    pool = [b.input(iv) for iv in INPUTS]
    outputs = []

    def term():
        if rng.random() < 0.15:
            return b.const(rng.choice((-5, 3, 0.75, -0.25, 17)))
        return rng.choice(pool[:len(INPUTS)] + outputs[-3:])

    def add(a, c):
        return b.add(a, c, rng.randint(-3, 3), rng.choice((1, -1)))

    def wrap(v, drop: int = 0):
        """v wrapped at a random modulus up to 4 bits below its top, ``drop`` of its low bits truncated."""
        iv = b.interval(v)
        k = rng.choice((0, 1))
        return b.quant(v, k, iv.width + iv.exp - rng.randint(0, 4) - k, drop - iv.exp, rng.choice(("TRN", "RND")),
                       "WRAP")

    for _ in range(n):
        x, y, z = term(), term(), term()
        match rng.randrange(4):
            case 0:
                s = add(add(x, y), z)
            case 1:
                s = add(x, add(y, z))
            case 2:
                s = wrap(add(wrap(add(x, y), -(rng.random() < 0.2)), z))
            case _:
                s = add(add(x, y), add(z, term()))
        if b.interval(s).width > 24:
            s = b.quant(s, 1, 12, 4, "TRN", "WRAP")
        outputs.append(s)
    return b.build(outputs)


@pytest.fixture(scope="module")
def program():
    return sums(seed=3)


def combinational_fusions(program):
    """``ternary.fusions`` of ``program`` written combinationally."""
    plan = plan_pipeline(program, None, combinational=True)
    return fusions(list(wires(program, plan)), program, plan)


def test_the_sums_cover_every_fusion_case(program):
    fused, absorbed, _, _ = combinational_fusions(program)
    adds = {v for v in absorbed if program.ops[v].kind == "add"}
    assert len(fused) == len(adds) >= len(program.outputs) // 2
    wraps = [v for v, op in enumerate(program.ops) if op.kind == "quant" and program.ops[op.args[0]].kind == "add"]
    assert absorbed - adds and absorbed - adds < set(wraps)  # some wraps between two adds absorbed, not all
    negatives = {sum(t.sign < 0 for t in terms) for terms in fused.values()}
    assert negatives == {0, 1, 2}
    assert any(isinstance(t.operand, int) for terms in fused.values() for t in terms)  # a constant term
    lowest = [sorted(terms, key=lambda t: t.offset)[:2] for terms in fused.values()]
    starts = [chain_start(terms) for terms in fused.values()]
    assert any(start > 0 for start in starts)  # low bits copied from one term, its rest in the chain
    # the lowest term subtracted, alone in its low bits: no copy, the chain starts at bit 0
    assert any(a.offset < b.offset and a.sign < 0 and start == 0 for (a, b), start in zip(lowest, starts))


@pytest.mark.parametrize("target", [dict(combinational=True), dict(latency_cutoff=2)])
def test_three_input_adders_equal_the_program(program, target, tmp_path):
    design = emit_program(program, tmp_path, name="tern", ternary_adders=True, testbench_samples=16, **target)
    text = design.verilog_path.read_text()
    assert design.report["backend"] == "direct" and text.count("tern_add3 #(") >= len(program.outputs) // 2
    assert "LUT6_2 #(" in text and "CARRY4 u" in text
    verify_codes(design, random_codes(program, 3000, seed=5))


def test_three_input_adders_among_every_op_kind(tmp_path):
    program = random_program(seed=11, n_random_ops=80)
    design = emit_program(program, tmp_path, name="tern_mix", ternary_adders=True, latency_cutoff=3,
                          testbench_samples=16)
    assert "tern_mix_add3 #(" in design.verilog_path.read_text()
    verify_codes(design, random_codes(program, 3000, seed=6))


def test_three_input_adders_are_verilog_from_the_direct_writer(program, tmp_path):
    for options in (dict(hdl="vhdl"), dict(backend="amaranth")):
        with pytest.raises(ValueError, match="ternary_adders"):
            emit_program(program, tmp_path / "x", ternary_adders=True, **options)


def relu_sums(seed: int, n: int = 40):
    """Sums of ReLUs (read directly or through a quantizer of any rounding and overflow mode) with each other,
    inputs and earlier sums; each add with a random shift and sign."""
    rng = random.Random(seed)
    b = ProgramBuilder()
    ins = [b.input(iv) for iv in INPUTS]
    outputs = []

    def add(a, c):
        return b.add(a, c, rng.randint(-2, 2), rng.choice((1, 1, -1)))

    def relu():
        r = b.relu(add(rng.choice(ins), rng.choice(ins)))
        if rng.random() < 0.5:
            r = b.quant(r, rng.choice((0, 1)), rng.randint(1, 5), rng.randint(0, 3), rng.choice(("TRN", "RND")),
                        rng.choice(("WRAP", "WRAP", "SAT")))
        return r

    for _ in range(n):
        match rng.randrange(4):
            case 0:
                s = add(relu(), relu())
            case 1:
                s = add(add(relu(), rng.choice(ins + outputs[-2:])), relu())
            case 2:
                s = add(relu(), b.const(rng.choice((3, 0.5, -2))))
            case _:
                s = add(add(relu(), relu()), add(relu(), relu()))
        outputs.append(s)
    return b.build(outputs)


@pytest.fixture(scope="module")
def relu_program():
    return relu_sums(seed=7)


def test_relus_fold_into_the_adders_that_read_them(relu_program):
    fused, _, ungated, _ = combinational_fusions(relu_program)
    relus = [v for v, op in enumerate(relu_program.ops) if op.kind == "relu"]
    gated = [sum(t.gate is not None for t in terms) for terms in fused.values()]
    assert len(ungated) > len(relus) // 3 and ungated <= set(relus)
    assert {(len(terms), g) for terms, g in zip(fused.values(), gated)} >= {(2, 2), (3, 1)}
    assert all(g <= 1 for terms, g in zip(fused.values(), gated) if len(terms) == 3)


@pytest.mark.parametrize("target", [dict(combinational=True), dict(latency_cutoff=3)])
def test_folded_relus_and_free_top_bits_equal_the_program(relu_program, target, tmp_path):
    design = emit_program(relu_program, tmp_path, name="gate", ternary_adders=True, testbench_samples=16, **target)
    text = design.verilog_path.read_text()
    sizes = [(int(n), int(z)) for n, z in re.findall(r"gate_add3 #\(\.N\((\d+)\), \.Z\((\d+)\)", text)]
    assert any(z < n for n, z in sizes)  # a sum of unsigned terms: its top bits are the chain's carries
    assert re.search(r"\.e\(\{\d+\{v\d+\[\d+\]\}\}\)", text)  # a ReLU's sign bit zeroes a term
    verify_codes(design, random_codes(relu_program, 3000, seed=8))


def table_sums(seed: int, n: int = 30):
    """Sums of two and three lookups (ROMs on six address bits, logic on three) with entries in ranges whose
    negation takes fewer bits ([-1, 2], [-3, 4]) or not ([-2, 1]), each add with a random shift and sign."""
    rng = random.Random(seed)
    b = ProgramBuilder()
    ins = [b.input(Interval(-32, 31, 0)), b.input(Interval(0, 63, -2)), b.input(Interval(-4, 3, 0))]

    def lookup():
        a = rng.choice(ins)
        iv = b.interval(a)
        lo, hi = rng.choice(((-1, 2), (-3, 4), (-2, 1), (-6, 6)))
        return b.lut(a, iv.lo, iv.exp, [rng.randint(lo, hi) for _ in range(iv.hi - iv.lo + 1)], rng.randint(-2, 0))

    def add(a, c):
        return b.add(a, c, rng.randint(-1, 1), rng.choice((1, 1, -1)))

    return b.build([add(lookup(), lookup()) if rng.random() < 0.3 else add(add(lookup(), lookup()), lookup())
                    for _ in range(n)])


def test_lookups_read_negated_where_that_takes_fewer_rom_bits(tmp_path):
    program = table_sums(seed=9)
    fused, _, _, negated = combinational_fusions(program)
    assert negated and all(op.cost < program.ops[v].cost for v, op in negated.items())
    assert all(sum(t.sign < 0 for t in terms) <= 2 for terms in fused.values())
    design = emit_program(program, tmp_path, name="neg", ternary_adders=True, latency_cutoff=3, testbench_samples=16)
    verify_codes(design, random_codes(program, 3000, seed=10))
