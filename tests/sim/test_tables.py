"""Lookup-table layers end to end: HGQ2 == reference == program == Verilog, every bit.

Four small models (``models_tables``): QUnaryFunctionLUT in every option and QAffinedUnaryFunctionLUT, the
HGQ-LUT layers QDenseT / QEinsumDenseT / QConvT1D / QConvT2D with and without batch norm, and a table-based
deep-sets GNN (QDenseT with QSum); each checked on over 10,000 samples, inputs beyond the calibration range
included. The Verilog written directly holds each distinct ROM once (a function) and the few-bit tables as
logic; the Amaranth back end's tables are checked in tests/da_core/test_lut.py. The deep-sets model again
with three-input adders: its ReLUs go into the pooling sum's adders (``rtl_emit.relu_gates``).
"""

import dataclasses
import re

import numpy as np
import pytest
from models_ops import N_SAMPLES, verify_end_to_end
from models_tables import TABLES

import rtl_emit
from da_core.tables import is_logic
from rtl_emit.netlist import wires
from rtl_emit.pipeline import plan_pipeline
from rtl_emit.ternary import fusions

COVERED = {"lut_chain": {"QUnaryFunctionLUT", "QAffinedUnaryFunctionLUT"},
           "dense_t_net": {"QDenseT", "QEinsumDenseT"},
           "conv_t_net": {"QConvT1D", "QConvT2D", "QDenseT"},
           "table_deep_sets": {"QDenseT", "QSum"}}


@pytest.fixture(scope="module", params=sorted(TABLES))
def built(request, tmp_path_factory):
    model, x = TABLES[request.param]()
    path = tmp_path_factory.mktemp(request.param)
    return request.param, model, verify_end_to_end(model, x, path, backend="direct"), rtl_emit.Design.load(path)


def test_table_models_bit_exact_from_keras_to_verilog(built):
    name, model, n_checked, _ = built
    assert {type(op).__name__ for op in model.operations} >= COVERED[name]
    assert n_checked >= N_SAMPLES >= 10_000


def test_each_distinct_rom_is_written_once_and_tiny_tables_are_logic(built):
    _, _, _, design = built
    program, verilog = design.program, design.verilog_path.read_text()
    luts = [op for op in program.ops if op.kind == "lut"]
    assert luts and design.report["table_lookups"] == len(luts) and design.report["tables"] == len(program.tables)
    assert len(program.tables) == len({op.params[2] for op in luts})
    roms = {(program.ops[op.args[0]].interval.width, op.params) for op in luts
            if not is_logic(program.ops[op.args[0]].interval.width)}
    packs = [op for op in program.ops if op.kind == "pack"]  # a layer of 1-bit inputs sums them in ROMs too
    functions = re.findall(r"^\s*function \[\d+:0\] (rom\d+);", verilog, flags=re.M)
    assert len(functions) == len(set(functions)) <= len(roms) + len({op.params for op in packs})
    assert len(re.findall(r"= rom\d+\(", verilog)) == len(packs) + sum(
        not is_logic(program.ops[op.args[0]].interval.width) for op in luts)


def test_every_table_address_bit_down_to_the_lowest_is_used(built):
    """Random inputs on the ports' grids reach odd codes at every table's address: no lookup reads an address
    finer than the values feeding it (a wrapping input quantizer after a sum keeps the sum's grid)."""
    _, _, _, design = built
    program = design.program
    operands = [op.args[0] for op in program.ops if op.kind == "lut"]
    rng = np.random.default_rng(0)
    codes = np.stack([rng.integers(iv.lo, iv.hi + 1, 20_000) for iv in program.input_intervals], axis=1)
    seen = dataclasses.replace(program, outputs=tuple(operands)).run(codes)
    lowest = np.array([program.ops[a].interval.lo for a in operands])
    assert operands and np.all(np.gcd.reduce(seen - lowest, axis=0) == 1)


@pytest.fixture(scope="module")
def deep_sets_ternary(tmp_path_factory):
    model, x = TABLES["table_deep_sets"]()
    path = tmp_path_factory.mktemp("deep_sets_ternary")
    # at 5 adder levels a stage (as benchmarks/rtl_luts.py) the ReLUs share a stage with the adders that read them
    return verify_end_to_end(model, x, path, ternary_adders=True, latency_cutoff=5), rtl_emit.Design.load(path)


def test_deep_sets_relus_fold_into_the_pooling_adders_bit_exact(deep_sets_ternary):
    n_checked, design = deep_sets_ternary
    assert n_checked >= N_SAMPLES
    program = design.program
    plan = plan_pipeline(program, 5)  # as compiled
    assert plan.latency_cycles == design.latency_cycles
    _, _, ungated, _ = fusions(list(wires(program, plan)), program, plan)
    relus = [v for v, op in enumerate(program.ops) if op.kind == "relu"]
    assert len(ungated) >= 2 * len(relus) // 3
