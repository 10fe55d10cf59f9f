"""The emitted Verilog equals Program.run bit for bit under Verilator, at several pipeline depths."""

import dataclasses
import json

import numpy as np
import pytest
from random_programs import MODES, random_codes, random_program

from rtl_emit import emit_program
from sim import CompiledModel, MismatchError, run_rtl, verify_codes

CUTOFFS = (1, 3, 8)


@pytest.fixture(scope="module")
def program():
    return random_program(seed=7, n_random_ops=100)


@pytest.fixture(scope="module")
def designs(program, tmp_path_factory):
    """One Verilator build per cutoff, shared by the tests below."""
    return {n: emit_program(program, tmp_path_factory.mktemp(f"cut{n}"), name=f"rand_cut{n}", latency_cutoff=n)
            for n in CUTOFFS}


@pytest.fixture(scope="module")
def direct_design(program, tmp_path_factory):
    """The same program written by the direct Verilog writer, with every control port."""
    return emit_program(program, tmp_path_factory.mktemp("direct"), name="direct", backend="direct",
                        reset=True, clock_enable=True, latency_cutoff=2)


def test_program_covers_every_op_and_quantizer_mode(program):
    kinds = {op.kind for op in program.ops}
    assert kinds == {"input", "const", "add", "neg", "shift", "quant", "relu", "max", "min", "mul",
                     "mux"}
    assert program.multipliers and len(program.multipliers) < sum(op.kind == "mul" for op in program.ops)
    quantizers = set()
    for op in program.ops:
        if op.kind == "quant":
            k, i, f, round_mode, overflow_mode = op.params
            coarse = program.ops[op.args[0]].interval.exp >= -f
            quantizers.add((round_mode, overflow_mode, coarse))
    assert quantizers == {(r, o, c) for r, o in MODES for c in (True, False)}
    shifts = {op.params[0] for op in program.ops if op.kind == "add"}
    assert min(shifts) < 0 < max(shifts)
    assert {op.params[1] for op in program.ops if op.kind == "add"} == {1, -1}
    output_kinds = {program.ops[v].kind for v in program.outputs}
    assert {"const", "input", "shift"} <= output_kinds
    assert 5 not in {program.ops[a].params[0] for op in program.ops for a in op.args
                     if program.ops[a].kind == "input"}  # an unused input
    assert 0 in {iv.width for iv in program.output_intervals} and program.input_intervals[6].width == 0


@pytest.mark.parametrize("cutoff", CUTOFFS)
def test_rtl_equals_program(program, designs, cutoff):
    result = verify_codes(designs[cutoff], random_codes(program, 4000, seed=cutoff))
    assert (result.n_samples, result.n_outputs) == (4000, len(program.outputs))


@pytest.mark.parametrize("target", [("latency_cutoff", 2), ("combinational", True)])
def test_direct_writer_equals_program(program, direct_design, target, tmp_path):
    if target[0] == "combinational":
        with pytest.raises(ValueError, match="neither reset"):
            emit_program(program, tmp_path, backend="direct", combinational=True, reset=True)
        design = emit_program(program, tmp_path, name="direct_comb", backend="direct", combinational=True)
    else:
        design = direct_design
    assert design.report["backend"] == "direct" and "adderflow (rtl_emit.verilog_backend)" in \
        design.verilog_path.read_text()
    verify_codes(design, random_codes(program, 4000, seed=21))


def test_latency_follows_the_cutoff(program, designs):
    latencies = [designs[n].latency_cycles for n in CUTOFFS]
    assert latencies == sorted(latencies, reverse=True) and len(set(latencies)) == len(CUTOFFS)
    assert latencies[0] == program.depth  # one adder level per stage
    for n in CUTOFFS:
        assert designs[n].latency_cycles == designs[n].metadata["latency_cycles"] == (program.depth - 1) // n + 1


def test_a_second_program(tmp_path):
    program = random_program(seed=11, n_random_ops=60, wide=False)
    design = emit_program(program, tmp_path, latency_cutoff=2)
    verify_codes(design, random_codes(program, 3000, seed=5))


def test_short_runs_and_rebuild_reuse(program, designs):
    design = designs[3]
    codes = random_codes(program, 1, seed=9)
    assert np.array_equal(run_rtl(design, codes), program.run(codes))
    build = CompiledModel(design, build=False).binary  # the harness library, named by its sources' digest
    before = build.stat().st_mtime_ns
    assert run_rtl(design, codes[:0]).shape == (0, len(program.outputs))
    assert np.array_equal(run_rtl(design, codes), program.run(codes))
    assert build.stat().st_mtime_ns == before  # built once per design


def test_the_cocotb_engine_agrees(program, designs):
    codes = random_codes(program, 300, seed=12)
    assert np.array_equal(run_rtl(designs[8], codes, engine="cocotb"), program.run(codes))
    assert (designs[8].out_dir / "sim_build" / designs[8].name).is_file()
    with pytest.raises(ValueError, match="engine"):
        run_rtl(designs[8], codes, engine="iverilog")


class _CorruptedProgram:
    """Program.run with one output of one sample off by one: a wrong expectation."""

    def __init__(self, program, sample: int, output: int):
        self.program, self.sample, self.output = program, sample, output

    def run(self, codes):
        out = self.program.run(codes)
        out[self.sample, self.output] += 1
        return out


def test_a_wrong_expectation_names_the_sample(program, designs):
    design = dataclasses.replace(designs[8], program=_CorruptedProgram(program, 123, 4))
    with pytest.raises(MismatchError, match=r"program vs RTL mismatch at sample 123, output 4") as info:
        verify_codes(design, random_codes(program, 500))
    assert (info.value.sample, info.value.output, info.value.n_bad) == (123, 4, 1)
    assert info.value.left == info.value.right + 1


def test_out_of_range_codes_are_refused(program, designs):
    codes = random_codes(program, 3)
    codes[2, 0] = program.input_intervals[0].hi + 1
    with pytest.raises(ValueError, match="input 0, sample 2"):
        run_rtl(designs[8], codes)


def test_outputs_appear_exactly_latency_cycles_later(program, designs, tmp_path):
    """Reading one cycle early shows each sample's predecessor: the latency is exact, not just enough."""
    design = designs[3]
    meta = design.metadata
    meta["latency_cycles"] -= 1
    early = dataclasses.replace(design, metadata_path=tmp_path / "early.json")
    early.metadata_path.write_text(json.dumps(meta))
    codes = random_codes(program, 200, seed=3)
    assert np.array_equal(run_rtl(early, codes)[1:], program.run(codes)[:-1])


def test_direct_writer_table_lookups(tmp_path):
    from da_core.builder import ProgramBuilder
    from da_core.interval import Interval

    rng = np.random.default_rng(4)
    b = ProgramBuilder()
    x = b.input(Interval(-16, 15, -2))
    y = b.input(Interval(0, 7, 0))
    t1 = b.lut(x, -16, -2, [int(c) for c in rng.integers(-40, 40, 32)], -3)
    t2 = b.lut(b.add(y, y, 1), 0, 0, [int(c) for c in rng.integers(0, 9, 22)], 0)
    program = b.build([t1, b.add(t1, t2), t2])
    assert sum(op.kind == "lut" for op in program.ops) == 2
    design = emit_program(program, tmp_path, name="luts", backend="direct", latency_cutoff=1)
    verify_codes(design, random_codes(program, 2000, seed=1))


@pytest.mark.parametrize("backend", ["amaranth", "direct"])
def test_relu_of_a_value_that_is_never_negative_is_a_wire(backend, tmp_path):
    """The builder folds such a ReLU away, but a program from elsewhere may hold one: no sign bit to test."""
    from da_core.interval import Interval
    from da_core.program import Op, Program

    unsigned = Interval(0, 7, 0)
    program = Program((Op("input", (), (0,), unsigned, 0, 0), Op("relu", (0,), (), unsigned, 1, 3)), (1,))
    design = emit_program(program, tmp_path, name="relu_u", backend=backend, combinational=True)
    verify_codes(design, np.arange(8)[:, None])
