"""Tiny hand-built stream programs with every stage kind, for the stream emitter and simulator tests."""

import numpy as np

from da_core import Interval, ProgramBuilder, emit_cmvm
from da_core.stream import COLLECT, DENSE, MAP, REDUCE, SCAN, WINDOW, Stage, StreamProgram

PIXEL = Interval(-8, 7, 0)


def kernel(in_intervals, W, relu: bool = True):
    """A program computing ``x @ W`` on inputs of these formats (outputs relu'd)."""
    b = ProgramBuilder()
    x = [b.input(iv) for iv in in_intervals]
    y = emit_cmvm(b, x, W)
    return b.build([b.relu(v) for v in y] if relu else y)


def max_pool(in_intervals, size: int):
    """The elementwise maximum over ``size`` positions of these features."""
    b = ProgramBuilder()
    n = len(in_intervals)
    x = [b.input(iv) for iv in list(in_intervals) * size]
    outs = []
    for c in range(n):
        m = x[c]
        for k in range(1, size):
            m = b.maximum(m, x[k * n + c])
        outs.append(m)
    return b.build(outs)


def conv_net(rng, grid=(7, 6), stride=(1, 1)) -> StreamProgram:
    """3x3 conv (2 channels, stride ``stride``), 2x2/2 max pooling, flatten, dense."""
    conv = Stage(WINDOW, grid, (PIXEL,), kernel([PIXEL] * 9, rng.integers(-3, 4, (9, 2))), window=(3, 3),
                 stride=stride, layers=("conv",))
    pool = Stage(WINDOW, conv.out_grid, conv.out_intervals, max_pool(conv.out_intervals, 4), window=(2, 2),
                 stride=(2, 2), layers=("pool",))
    collect = Stage(COLLECT, pool.out_grid, pool.out_intervals, layers=("flatten",))
    dense = Stage(DENSE, (), collect.out_intervals,
                  kernel(collect.out_intervals, rng.integers(-2, 3, (len(collect.out_intervals), 3)), relu=False),
                  layers=("dense",))
    return StreamProgram((conv, pool, collect, dense))


def padded_conv_net(rng) -> StreamProgram:
    """Zero-padded windows: 3x3 'same' (stride 1, unsigned pixels that do not hold 0), 2x2 stride 2 padded
    after the rows only, 4x3 padded (1, 2) x (1, 1), then a 1-D map: every kind of padding edge."""
    pixel = Interval(1, 7, 0)
    c1 = Stage(WINDOW, (5, 6), (pixel,), kernel([Interval(0, 7, 0)] * 9, rng.integers(-3, 4, (9, 2))), window=(3, 3),
               stride=(1, 1), padding=((1, 1), (1, 1)), layers=("same3",))
    c2 = Stage(WINDOW, c1.out_grid, c1.out_intervals, kernel(list(c1.out_intervals) * 4, rng.integers(-2, 3, (8, 2))),
               window=(2, 2), stride=(2, 2), padding=((0, 1), (0, 0)), layers=("same2s2",))
    c3 = Stage(WINDOW, c2.out_grid, c2.out_intervals,
               kernel(list(c2.out_intervals) * 12, rng.integers(-1, 2, (24, 2)), relu=False), window=(4, 3),
               stride=(1, 1), padding=((1, 2), (1, 1)), layers=("same43",))
    collect = Stage(COLLECT, c3.out_grid, c3.out_intervals, layers=("flatten",))
    return StreamProgram((c1, c2, c3, collect))


def padded_1d(rng) -> StreamProgram:
    """A first-stage 1-D window of 4, zero padding (1, 2) ('same' for an even kernel), then a max over positions."""
    feats = (Interval(-3, 3, -1), Interval(0, 7, 0))
    win = Stage(WINDOW, (9,), feats, kernel(list(feats) * 4, rng.integers(-2, 3, (8, 2))), window=(4,), stride=(1,),
                padding=((1, 2),), layers=("same4",))
    return StreamProgram((win, Stage(REDUCE, win.out_grid, win.out_intervals, reduction="max", layers=("gmax",))))


def particles(rng, reduction: str = "add", n: int = 10) -> StreamProgram:
    """A per-particle dense layer (map) and a sum or max over the particles, then a dense head."""
    feats = (Interval(0, 15, -2), Interval(-4, 3, 0))
    per = Stage(MAP, (n,), feats, kernel(feats, rng.integers(-5, 6, (2, 3))), layers=("phi",))
    total = Stage(REDUCE, (n,), per.out_intervals, reduction=reduction, layers=("sum",))
    head = Stage(DENSE, (), total.out_intervals, kernel(total.out_intervals, rng.integers(-2, 3, (3, 2)), relu=False),
                 layers=("rho",))
    return StreamProgram((per, total, head))


def recurrent(steps: int = 6) -> StreamProgram:
    """A cell of two saturating accumulators over the time steps: h' = sat(x0 - x1 + h), g' = sat(g + x0) >= 0."""
    x_iv, h_iv, g_iv = Interval(-4, 3, 0), Interval(-64, 63, 0), Interval(0, 127, 0)
    b = ProgramBuilder()
    x0, x1, h, g = b.input(x_iv), b.input(x_iv), b.input(h_iv), b.input(g_iv)
    cell = b.build([b.quant(b.add(b.add(x0, x1, sign=-1), h), 1, 6, 0, "TRN", "SAT"),
                    b.quant(b.add(g, x0), 0, 7, 0, "TRN", "SAT")])
    return StreamProgram((Stage(SCAN, (steps,), (x_iv, x_iv), cell, state=(h_iv, g_iv), layers=("rnn",)),))


def one_d(rng) -> StreamProgram:
    """A 1-D window (size 3, stride 2) over 11 positions of 2 features, a per-position map, a max over positions."""
    feats = (Interval(-3, 3, -1), Interval(0, 7, 0))
    win = Stage(WINDOW, (11,), feats, kernel(list(feats) * 3, rng.integers(-2, 3, (6, 2))), window=(3,), stride=(2,),
                layers=("conv1d",))
    per = Stage(MAP, win.out_grid, win.out_intervals, kernel(win.out_intervals, [[1, 0], [-2, 1]], relu=False),
                layers=("dense",))
    return StreamProgram((win, per, Stage(REDUCE, per.out_grid, per.out_intervals, reduction="max",
                                          layers=("global_max",))))


def random_codes(stream: StreamProgram, n: int, rng) -> np.ndarray:
    """Random input codes of whole samples, a fifth of them at the formats' ends."""
    ivs = stream.sample_intervals()
    lo, hi = np.array([iv.lo for iv in ivs]), np.array([iv.hi for iv in ivs])
    codes = rng.integers(lo, hi + 1, (n, len(ivs)))
    ends = rng.random(codes.shape) < 0.2
    return np.where(ends, np.where(rng.random(codes.shape) < 0.5, lo, hi), codes)
