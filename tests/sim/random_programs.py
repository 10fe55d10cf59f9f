"""Random programs that use every op kind and every quantizer mode, for the exactness tests."""

import random

import numpy as np

from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from da_core.program import Program

INPUTS = [Interval(-128, 127, 0), Interval(0, 255, -4), Interval(-8, 7, -2), Interval(-32, 31, 1),
          Interval(-(1 << 44), (1 << 44) - 1, -30), Interval(0, 3, 0),  # this one is left unused
          Interval(0, 0, -3)]  # zero bits wide: only ever 0
MODES = [(r, o) for r in ("TRN", "RND") for o in ("WRAP", "SAT", "SAT_SYM")]


def random_program(seed: int, n_random_ops: int = 40, wide: bool = True) -> Program:
    """Structured ops covering every kind and quantizer mode, then random ones; ``wide`` adds values past 53 bits."""
    rng = random.Random(seed)
    b = ProgramBuilder()
    ins = [b.input(iv) for iv in INPUTS]
    pool = ins[:5]
    pool.append(b.add(ins[0], ins[1], 2, -1))  # positive shift, subtract
    pool.append(b.add(ins[2], ins[3], -3, 1))  # negative shift
    pool.append(b.add(pool[-1], b.const(-5), 0, 1))
    pool.append(b.add(ins[4], ins[0], 20 if wide else -20, -1))  # with wide: 58 bits
    pool.append(b.quant(ins[4], 1, 10, 8, "RND", "SAT"))
    for round_mode, overflow_mode in MODES:
        for a in (pool[5], pool[6]):  # both at exponent -2: finer than f = 0 (rounds), coarser than f = 6
            pool.append(b.quant(a, rng.choice((0, 1)), rng.randint(1, 6), 0, round_mode, overflow_mode))
            pool.append(b.quant(a, rng.choice((0, 1)), rng.randint(-1, 3), 6, round_mode, overflow_mode))
    pool.append(b.relu(pool[6]))
    pool.append(b.maximum(pool[5], pool[7]))
    pool.append(b.minimum(ins[1], pool[6]))
    pool.append(b.neg(ins[1]))
    pool.append(b.mul(ins[0], ins[2]))  # multipliers: signed x signed, unsigned x signed
    pool.append(b.mul(ins[1], pool[6]))
    pool.append(b.mul(ins[3], b.quant(ins[0], 0, 3, -2, "TRN", "WRAP")))  # a select: by one bit (bit 2 of ins[0])
    structured = pool[5:]
    digit = b.quant(ins[0], 0, 5, -3, "TRN", "WRAP")  # bits 3 and 4 of ins[0] pick one of four values
    structured.append(b.mux(digit, [b.const(-3), ins[3], pool[6], b.shift(ins[1], 2)]))  # (not in the pool)
    for _ in range(n_random_ops):
        pool.append(_random_op(b, rng, pool))
    outputs = structured + pool[-6:] + [b.const(3.25), ins[2], b.shift(ins[3], -2), b.const(0), ins[6]]
    return b.build(outputs)


def _random_op(b: ProgramBuilder, rng: random.Random, pool: list[int]) -> int:
    recent = pool[-12:]
    a, c = rng.choice(recent), rng.choice(pool)
    kind = rng.choice(("add", "add", "add", "neg", "shift", "quant", "relu", "max", "min"))
    if max(b.interval(a).width, b.interval(c).width) > 40:
        kind = "quant"
    match kind:
        case "add":
            return b.add(a, c, rng.randint(-3, 3), rng.choice((1, -1)))
        case "neg":
            return b.neg(a)
        case "shift":
            return b.shift(a, rng.randint(-3, 3))
        case "quant":
            return b.quant(a, rng.choice((0, 1)), rng.randint(-1, 8), rng.randint(-1, 6), *rng.choice(MODES))
        case "relu":
            return b.relu(a)
        case "max":
            return b.maximum(a, c)
        case _:
            return b.minimum(a, c)


def random_codes(program: Program, n: int, seed: int = 0) -> np.ndarray:
    """Uniform codes in each input's range, with every fourth sample at the range's ends."""
    rng = np.random.default_rng(seed)
    cols = []
    for iv in program.input_intervals:
        col = rng.integers(iv.lo, iv.hi + 1, n)
        ends = rng.random(n) < 0.25
        col[ends] = np.where(rng.random(ends.sum()) < 0.5, iv.lo, iv.hi)
        cols.append(col)
    return np.stack(cols, axis=1).astype(np.int64)
