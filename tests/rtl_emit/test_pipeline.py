import pytest

from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from da_core.program import Op, Program
from rtl_emit.pipeline import plan_pipeline

BYTE = Interval(-128, 127, 0)


def chain_program():
    """x0 + x1, then + x2, then + x3 (depths 1, 2, 3); outputs: the sum, x0 shifted, a constant."""
    b = ProgramBuilder()
    x = [b.input(BYTE) for _ in range(4)]
    s1 = b.add(x[0], x[1])
    s2 = b.add(s1, x[2])
    s3 = b.add(s2, x[3])
    return b.build([s3, b.shift(x[0], 2), b.const(7)]), (x, s1, s2, s3)


@pytest.mark.parametrize("cutoff, latency", [(1, 3), (2, 2), (3, 1), (100, 1), (None, 1)])
def test_latency_is_the_number_of_stages(cutoff, latency):
    program, _ = chain_program()
    assert plan_pipeline(program, cutoff).latency_cycles == latency


def test_register_chains_are_shared_and_counted():
    program, (x, s1, s2, s3) = chain_program()
    plan = plan_pipeline(program, 1)  # stages: s1 0, s2 1, s3 2; latency 3
    assert [plan.stage[v] for v in (s1, s2, s3)] == [0, 1, 2]
    assert plan.delay[x[0]] == 3  # read by s1 in stage 0 and, shifted, by the output after 3 registers
    assert plan.delay[x[1]] == 0 and plan.delay[x[2]] == 1 and plan.delay[x[3]] == 2
    assert plan.delay[s1] == plan.delay[s2] == plan.delay[s3] == 1
    shifted = program.outputs[1]
    assert plan.root[shifted] == x[0] and plan.delay[shifted] == 0  # wiring shares x0's chain
    widths = {v: program.ops[v].interval.width for v in range(len(program.ops))}
    assert plan.ff_bits == sum(plan.delay[v] * widths[v] for v in widths)
    assert plan.ff_bits == 3 * 8 + 8 + 2 * 8 + 9 + 10 + 10  # x0, x2, x3, then s1, s2, s3 (9, 10, 10 bits)


def test_constant_outputs_need_no_registers():
    b = ProgramBuilder()
    b.input(BYTE)
    plan = plan_pipeline(b.build([b.const(-3)]), 2)
    assert plan.latency_cycles == 1 and plan.ff_bits == 0


@pytest.mark.parametrize("cutoff", [0, -1, 1.5, True])
def test_bad_cutoffs_are_refused(cutoff):
    with pytest.raises(ValueError, match="latency_cutoff"):
        plan_pipeline(chain_program()[0], cutoff)


def test_inconsistent_depths_are_refused():
    x = Op("input", (), (0,), BYTE, 0, 0)
    deep = Op("neg", (0,), (), Interval(-127, 128, 0), 5, 9)
    shallow = Op("add", (1, 0), (0, 1), Interval(-255, 255, 0), 2, 9)  # reads a deeper value
    program = Program((x, deep, shallow), (2,))
    with pytest.raises(ValueError, match="inconsistent"):
        plan_pipeline(program, 1)


def test_an_op_whose_operands_cross_a_boundary_anyway_moves_after_it():
    """p = x0 - x1 is read only in stage 1, where x0 and x1 arrive registered anyway: computing it there
    saves its 9 register bits (as soon as possible, it would sit in stage 0)."""
    b = ProgramBuilder()
    x0, x1 = b.input(BYTE), b.input(BYTE)
    v = b.add(b.add(x0, x1), x0, 1)  # depth 2: stage 0
    w = b.add(v, x1)  # depth 3: stage 1, reads x1 there
    p = b.sub(x0, x1)  # depth 1
    q = b.add(w, p)
    program = b.build([q, b.shift(x0, 1)])  # x0 also leaves through every boundary
    p, q = program.ops[program.outputs[0]].args[1], program.outputs[0]
    plan = plan_pipeline(program, 2)
    assert program.ops[p].depth == 1 and plan.stage[p] == 1 and plan.delay[p] == 0
    assert plan.latency_cycles == 2 and plan.stage[q] == 1
    assert all(plan.stage[a] <= plan.stage[v] for v, op in enumerate(program.ops) for a in op.args)
    widths = [op.interval.width for op in program.ops]
    assert plan.ff_bits == sum(d * w for d, w in zip(plan.delay, widths))
