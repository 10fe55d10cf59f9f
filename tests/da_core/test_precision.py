"""The backward precision pass drops bits no output sees and never changes an output."""

import numpy as np
import pytest
from random_programs_path import random_codes, random_program

from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from da_core.precision import requirements, trim


def _values(program, codes):
    out = program.run(codes).astype(object)
    for j, iv in enumerate(program.output_intervals):
        out[:, j] = out[:, j] * (2**iv.exp if iv.exp >= 0 else __import__("fractions").Fraction(1, 2**-iv.exp))
    return out


@pytest.mark.parametrize("seed", range(16))
def test_trimmed_program_equals_the_original(seed):
    program = random_program(seed, n_random_ops=60, wide=seed % 2 == 0)
    trimmed = trim(program)
    codes = random_codes(program, 2000, seed)
    assert (_values(program, codes) == _values(trimmed, codes)).all()
    assert trimmed.cost <= program.cost


def test_wrapped_output_narrows_the_adders_before_it():
    b = ProgramBuilder()
    x = [b.input(Interval(-128, 127, -4)) for _ in range(3)]
    s = b.add(b.add(x[0], x[1], 3), x[2], 5)  # 14 bits
    y = b.quant(s, 0, 2, 2, "TRN", "WRAP")  # only sees bits 2^-2 .. 2^1
    program = b.build([y])
    low, high = requirements(program)
    assert low[program.ops[program.outputs[0]].args[0]] == -2
    trimmed = trim(program)
    assert trimmed.cost < program.cost
    assert max(op.interval.width for op in trimmed.ops if op.kind == "add") < \
        max(op.interval.width for op in program.ops if op.kind == "add")
    codes = random_codes(program, 5000)
    np.testing.assert_array_equal(program.run(codes), trimmed.run(codes))


def test_relu_passes_truncation_through():
    b = ProgramBuilder()
    x, z = b.input(Interval(-512, 511, -6)), b.input(Interval(-512, 511, -3))
    y = b.quant(b.relu(b.add(x, z)), 0, 4, 1, "RND", "SAT")
    program = b.build([y])
    low, _ = requirements(program)
    assert low[program.inputs[0]] == -3  # x's bits below z's lowest bit make no carry: never seen
    codes = random_codes(program, 5000)
    np.testing.assert_array_equal(program.run(codes), trim(program).run(codes))


def test_a_quantized_constant_is_a_constant():
    b = ProgramBuilder()
    c = b.quant(b.const(-67 / 2**13), 1, -5, 11, "RND", "WRAP")
    assert b.ops[c].kind == "const" and b.value_of_const(c) == -17 / 2**11
