"""solve_many gives the same solutions serially and on a process pool, in order."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import da_core


def test_solve_many_matches_serial_solves_in_order():
    rng = np.random.default_rng(7)
    matrices = [rng.integers(-16, 16, size=(n, n + 1)) for n in (3, 6, 9)]
    serial = da_core.solve_many(matrices)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        parallel = da_core.solve_many(matrices, executor=pool)
    assert [s.program for s in serial] == [p.program for p in parallel]
    x = rng.integers(-128, 128, size=(50, 9))
    for W, sol in zip(matrices, parallel):
        np.testing.assert_array_equal(sol(x[:, :W.shape[0]]), x[:, :W.shape[0]] @ W)
