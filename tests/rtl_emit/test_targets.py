"""Register placement from a clock target: estimated ns per stage, clock periods, combinational."""

import pytest

from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from rtl_emit import timing
from rtl_emit.pipeline import plan_pipeline

BYTE = Interval(-128, 127, 0)


def chain(n_adds: int = 12):
    b = ProgramBuilder()
    x = [b.input(BYTE) for _ in range(n_adds + 1)]
    s = x[0]
    for v in x[1:]:
        s = b.add(s, v)
    return b.build([s, b.shift(x[0], 3)])


def test_the_delay_model_grows_with_width():
    assert timing.adder_ns(8) < timing.adder_ns(9) < timing.adder_ns(32)
    assert timing.adder_ns(1) == pytest.approx(timing.NET_NS + timing.LUT_NS + timing.CARRY8_NS)
    assert timing.stage_budget_ns(2.0) == pytest.approx(2.0 - timing.REGISTER_OVERHEAD_NS)


@pytest.mark.parametrize("period", [0.9, 1.2, 2.0, 4.0])
def test_a_clock_period_bounds_every_stage(period):
    program = chain()
    plan = plan_pipeline(program, clock_period_ns=period)
    assert plan.estimated_delay_ns <= timing.stage_budget_ns(period) + 1e-9
    assert plan.target == dict(mode="clock_period_ns", latency_cutoff=None, latency_cutoff_ns=None,
                               clock_period_ns=period)
    # every path has the same latency: the output's chain reaches the last boundary
    assert all(plan.output_delay(v) >= 1 for v in program.outputs)


def test_faster_clocks_mean_more_stages_and_more_registers():
    program = chain()
    plans = [plan_pipeline(program, clock_period_ns=p) for p in (4.0, 2.0, 1.2)]
    latencies = [p.latency_cycles for p in plans]
    assert latencies == sorted(latencies) and latencies[0] < latencies[-1]
    ffs = [p.ff_bits for p in plans]
    assert ffs == sorted(ffs) and ffs[0] < ffs[-1]


def test_latency_cutoff_ns_is_the_budget_itself():
    program = chain()
    a = plan_pipeline(program, latency_cutoff_ns=1.5)
    b = plan_pipeline(program, clock_period_ns=1.5 + timing.REGISTER_OVERHEAD_NS)
    assert a.stage == b.stage and a.latency_cycles == b.latency_cycles
    assert a.target["mode"] == "latency_cutoff_ns"


def test_an_op_slower_than_the_budget_gets_a_stage_of_its_own():
    program = chain(4)
    plan = plan_pipeline(program, latency_cutoff_ns=0.01)
    assert plan.latency_cycles == 4  # one adder per stage, none dropped


def test_combinational_has_no_registers():
    program = chain()
    plan = plan_pipeline(program, combinational=True)
    assert plan.latency_cycles == 0 and plan.ff_bits == 0 and plan.combinational
    widths = [op.interval.width for op in program.ops if op.kind == "add"]
    assert len(widths) == 12
    assert plan.estimated_delay_ns == pytest.approx(sum(timing.adder_ns(w) for w in widths))


def test_a_multiplier_takes_a_dsp_and_a_select_one_lut():
    b = ProgramBuilder()
    x, y = b.input(BYTE), b.input(BYTE)
    program = b.build([b.mul(x, y), b.mul(x, b.quant(y, 0, 1, 0, "TRN", "WRAP"))])  # x * y, x * (bit 0 of y)
    mul, select = (program.ops[v] for v in program.outputs)
    assert timing.op_delay_ns(mul, [program.ops[a] for a in mul.args]) == pytest.approx(timing.multiplier_ns(1))
    assert timing.multiplier_ns(1) > 3 * timing.adder_ns(16) and timing.multiplier_ns(2) > timing.multiplier_ns(1)
    assert timing.op_delay_ns(select, [program.ops[a] for a in select.args]) == pytest.approx(timing.select_ns())
    assert plan_pipeline(program, combinational=True).estimated_delay_ns == pytest.approx(timing.multiplier_ns(1))
    assert plan_pipeline(program, clock_period_ns=1.0).latency_cycles == 1  # slower than the clock: its own stage


@pytest.mark.parametrize("kwargs, message", [
    (dict(latency_cutoff=2, clock_period_ns=2.0), "one register-placement target"),
    (dict(combinational=True, latency_cutoff=3), "combinational"),
    (dict(clock_period_ns=0.2), "leaves no time"),
    (dict(clock_period_ns=-1.0), "positive"),
    (dict(latency_cutoff_ns=True), "positive"),
])
def test_bad_targets_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plan_pipeline(chain(), **kwargs)
