"""The stream program's stages compose kernel programs exactly as the unrolled computation does."""

import numpy as np
import pytest

from da_core import Interval, ProgramBuilder, emit_cmvm
from da_core.stream import COLLECT, DENSE, MAP, REDUCE, SCAN, WINDOW, Stage, StreamProgram

RNG = np.random.default_rng(7)
PIXEL = Interval(-8, 7, 0)


def kernel(in_intervals, W):
    """A program computing ``x @ W`` on inputs of these formats, outputs relu'd."""
    b = ProgramBuilder()
    x = [b.input(iv) for iv in in_intervals]
    return b.build([b.relu(v) for v in emit_cmvm(b, x, W)])


def conv_chain():
    """3x3 conv (2 channels) on 7x6x1, 2x2/2 max pooling, flatten, dense: as a stream and by hand."""
    conv_w = RNG.integers(-3, 4, (9, 2))
    conv = Stage(WINDOW, (7, 6), (PIXEL,), kernel([PIXEL] * 9, conv_w), window=(3, 3), stride=(1, 1))
    pool_ivs = conv.out_intervals
    b = ProgramBuilder()
    x = [b.input(iv) for iv in pool_ivs * 4]
    pool_prog = b.build([b.maximum(b.maximum(x[c], x[2 + c]), b.maximum(x[4 + c], x[6 + c])) for c in range(2)])
    pool = Stage(WINDOW, conv.out_grid, pool_ivs, pool_prog, window=(2, 2), stride=(2, 2))
    collect = Stage(COLLECT, pool.out_grid, pool.out_intervals)
    dense_w = RNG.integers(-2, 3, (len(collect.out_intervals), 3))
    dense = Stage(DENSE, (), collect.out_intervals, kernel(collect.out_intervals, dense_w))
    return StreamProgram((conv, pool, collect, dense)), conv_w, dense_w


def test_window_chain_equals_the_unrolled_computation():
    stream, conv_w, dense_w = conv_chain()
    images = RNG.integers(-8, 8, (50, 7, 6))
    patches = np.lib.stride_tricks.sliding_window_view(images, (3, 3), axis=(1, 2))  # (n, 5, 4, 3, 3)
    conv = np.maximum(patches.reshape(50, 5, 4, 9) @ conv_w, 0)  # (n, 5, 4, 2)
    pooled = conv[:, :4].reshape(50, 2, 2, 2, 2, 2).max(axis=(2, 4))  # (n, 2, 2, 2): rows, cols, channels
    expected = np.maximum(pooled.reshape(50, -1) @ dense_w, 0)
    assert stream.out_grid == () and stream.grid == (7, 6)
    np.testing.assert_array_equal(stream.run(images.reshape(50, -1)), expected)


def test_map_and_reduce_over_particles():
    feats = (Interval(0, 15, -2), Interval(-4, 3, 0))  # values: codes / 4 and codes
    W = RNG.integers(-5, 6, (2, 3))
    per_particle = Stage(MAP, (10,), feats, kernel(feats, W))
    total = Stage(REDUCE, (10,), per_particle.out_intervals, reduction="add")
    stream = StreamProgram((per_particle, total))
    x = np.stack([RNG.integers(0, 16, (40, 10)), RNG.integers(-4, 4, (40, 10))], axis=-1)
    expected = np.maximum((x * [0.25, 1]) @ W, 0).sum(axis=1)
    np.testing.assert_array_equal(stream.output_values(stream.run(x.reshape(40, -1))), expected)
    assert total.out_intervals == tuple(Interval(iv.lo * 10, iv.hi * 10, iv.exp) for iv in per_particle.out_intervals)


def test_stages_that_do_not_fit_are_refused():
    stream, _, _ = conv_chain()
    conv, pool, collect, dense = stream.stages
    with pytest.raises(ValueError, match="does not take"):
        StreamProgram((conv, collect))
    with pytest.raises(ValueError, match="input formats differ"):
        Stage(WINDOW, (7, 6), (Interval(-16, 15, 0),), conv.program, window=(3, 3), stride=(1, 1))
    with pytest.raises(ValueError, match="do not fit"):
        Stage(WINDOW, (2, 6), (PIXEL,), conv.program, window=(3, 3), stride=(1, 1))


def test_scan_runs_the_cell_over_the_steps_from_a_zero_state():
    x_iv, h_iv = Interval(-4, 3, 0), Interval(-64, 63, 0)
    b = ProgramBuilder()
    x, h = b.input(x_iv), b.input(h_iv)
    cell = b.build([b.quant(b.add(x, h, shift=0), 1, 6, 0, "TRN", "SAT")])  # h' = sat(x + h)
    scan = Stage(SCAN, (6,), (x_iv,), cell, state=(h_iv,))
    xs = RNG.integers(-4, 4, (30, 6))
    h_ref = np.zeros(30, np.int64)
    for t in range(6):
        h_ref = np.clip(xs[:, t] + h_ref, -64, 63)
    np.testing.assert_array_equal(StreamProgram((scan,)).run(xs)[:, 0], h_ref)
    b = ProgramBuilder()
    unsaturated = b.build([b.add(b.input(x_iv), b.input(h_iv))])  # h' = x + h leaves the state's format
    with pytest.raises(ValueError, match="state's formats"):
        Stage(SCAN, (6,), (x_iv,), unsaturated, state=(h_iv,))


def test_padded_window_reads_zeros_at_the_edges():
    """A 3x2 window, stride (2, 1), zero padding (1, 1) rows and (0, 1) columns, on 5x4 unsigned pixels that
    do not hold 0: the kernel takes formats widened to hold 0 and the windows cover the padded grid."""
    pixel = Interval(1, 7, 0)
    W = RNG.integers(-3, 4, (6, 2))
    conv = Stage(WINDOW, (5, 4), (pixel,), kernel([Interval(0, 7, 0)] * 6, W), window=(3, 2), stride=(2, 1),
                 padding=((1, 1), (0, 1)))
    assert conv.out_grid == (3, 4) and conv.kernel_inputs == [Interval(0, 7, 0)] * 6
    images = RNG.integers(1, 8, (40, 5, 4))
    padded = np.pad(images, ((0, 0), (1, 1), (0, 1)))
    patches = np.lib.stride_tricks.sliding_window_view(padded, (3, 2), axis=(1, 2))[:, ::2]  # (n, 3, 4, 3, 2)
    expected = np.maximum(patches.reshape(40, 12, 6) @ W, 0).reshape(40, -1)
    stream = StreamProgram((conv,))
    np.testing.assert_array_equal(stream.run(images.reshape(40, -1)), expected)
    assert StreamProgram.from_dict(stream.to_dict()).stages[0].padding == conv.padding
    with pytest.raises(ValueError, match="input formats differ"):  # the kernel must take the padding's zeros
        Stage(WINDOW, (5, 4), (pixel,), kernel([pixel] * 6, W), window=(3, 2), stride=(2, 1), padding=conv.padding)
    with pytest.raises(ValueError, match="less than the window"):
        Stage(WINDOW, (5, 4), (pixel,), conv.program, window=(3, 2), stride=(2, 1), padding=((3, 0), (0, 1)))
