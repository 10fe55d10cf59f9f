"""Register-minimal stages: a group of wide partial sums that only pays to move together is computed where it is
read, its two narrow operands riding the registers instead."""

from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from rtl_emit import pipeline
from rtl_emit.pipeline import plan_pipeline

BYTE = Interval(-128, 127, 0)


def _late_terms():
    """A 6-level chain from x, and six sums a + (b << j), 9 to 14 bits wide, each read at its end only.

    Moving one sum after a boundary makes a and b (16 bits) cross it, more than the sum saves; moving all six
    saves 69 bits for those 16."""
    b = ProgramBuilder()
    x, a, c = b.input(BYTE), b.input(BYTE), b.input(BYTE)
    chain = x
    for _ in range(6):
        chain = b.add(chain, b.input(BYTE))
        chain = b.quant(chain, 1, 7, 0, "TRN", "WRAP")
    sums = [b.add(a, c, j) for j in range(6)]
    outputs = [b.add(chain, s) for s in sums]
    program = b.build(outputs)
    return program, [program.ops[y].args[1] for y in program.outputs], program.inputs[1:3]


def test_partial_sums_read_late_are_computed_late():
    program, sums, (a, c) = _late_terms()
    plan = plan_pipeline(program, 2)
    assert plan.latency_cycles == 4
    assert all(plan.stage[s] == plan.stage[y] for s, y in zip(sums, program.outputs))
    assert plan.delay[a] == plan.delay[c] == plan.latency_cycles - 1
    widths = [op.interval.width for op in program.ops]
    assert plan.ff_bits == sum(d * w for d, w in zip(plan.delay, widths))
    assert all(plan.stage[arg] <= plan.stage[v] for v, op in enumerate(program.ops) for arg in op.args)


def test_one_op_at_a_time_leaves_them_early(monkeypatch):
    """Without the minimum cut (``_sink`` alone) the sums stay in the first stage and ride every register."""
    program, sums, _ = _late_terms()
    with_cut = plan_pipeline(program, 2)
    monkeypatch.setattr(pipeline, "_fewest_registers", lambda graph, stage, *rest: stage)
    alone = plan_pipeline(program, 2)
    assert all(alone.stage[s] == 0 for s in sums)
    assert alone.latency_cycles == with_cut.latency_cycles and with_cut.ff_bits < alone.ff_bits


def test_a_clock_target_gets_the_minimum_cut_too():
    program, sums, _ = _late_terms()
    plan = plan_pipeline(program, latency_cutoff_ns=1.2)
    assert plan.latency_cycles > 1 and all(plan.stage[s] == plan.stage[y] for s, y in zip(sums, program.outputs))
    assert plan.estimated_delay_ns <= 1.2
