"""Solver speed of one source tree, for before/after runs interleaved on a shared machine (issue 14).

    python benchmarks/solver_speed.py TREE MODE
TREE is a directory holding a `da_core` package (this checkout: `.`; a baseline: `git archive main da_core | tar
-x -C DIR`). MODE: `big256` (the 256x256 8-bit dense matrix of benchmarks/cmvm.py at slack 0, one solve),
`t2` (Table 2, N=16 at the minimum depth, `objective="adders"`, median ms per solve over 30 matrices x REPS),
`hash` (one hash over 417 graphs: Table 2 matrices, the 16-64 suite, the trained kernels) and `t2all` (one
hash over the 4,800 graphs of `table2.py --trials 200`) to show two trees build the same graphs.
SF_THREADS=k passes threads=k (trees that have the argument). Prints one JSON line with CPU and wall time, the
graph hash and the load average.
"""

import functools
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, sys.argv[1])
from da_core.solver import min_depth  # noqa: E402
from da_core.solver import solve_integer as _solve  # noqa: E402

solve_integer = _solve
if "SF_THREADS" in os.environ:
    solve_integer = functools.partial(_solve, threads=int(os.environ["SF_THREADS"]))
KERNELS = Path(__file__).resolve().parent / "trained_kernels.npz"


def graph_hash(g) -> str:
    m = hashlib.sha1()
    for a in (g.adders, g.out_index, g.out_shift, g.out_sign):
        m.update(np.ascontiguousarray(a).astype(np.int64).tobytes())
    return m.hexdigest()[:12]


def timed(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c0, time.perf_counter() - w0


def big(n: int = 256) -> dict:
    rng = np.random.default_rng([2026, n, 8, 0])  # benchmarks/cmvm.py's suite, dense
    W = rng.integers(-128, 128, (n, n))
    lo, hi = np.full(n, -128), np.full(n, 127)
    g, cpu, wall = timed(lambda: solve_integer(W, lo, hi, max_depth=min_depth(W)))
    return dict(cpu=cpu, wall=wall, hash=graph_hash(g), adders=g.n_adders)


def table2(n: int = 16, mats: int = 30) -> dict:
    rng = np.random.default_rng([7, n])
    lo, hi = np.full(n, -128), np.full(n, 127)
    cpu, wall, hashes = [], [], []
    for _ in range(mats):
        W = rng.integers(129, 256, (n, n))
        for _ in range(int(os.environ.get("REPS", 3))):
            g, c, w = timed(lambda: solve_integer(W, lo, hi, max_depth=min_depth(W), objective="adders"))
            cpu.append(1e3 * c)
            wall.append(1e3 * w)
        hashes.append(graph_hash(g))
    return dict(cpu_ms=statistics.median(cpu), wall_ms=statistics.median(wall),
                hash=hashlib.sha1("".join(hashes).encode()).hexdigest()[:12])


def all_hashes() -> dict:
    out = []
    for n in (4, 8, 12, 16):
        rng = np.random.default_rng([11, n])
        lo, hi = np.full(n, -128), np.full(n, 127)
        for _ in range(15):
            W = rng.integers(129, 256, (n, n))
            for max_depth in (40, min_depth(W) + 2, min_depth(W)):
                for objective in ("adders", "cost"):
                    out.append(graph_hash(solve_integer(W, lo, hi, max_depth=max_depth, objective=objective)))
    for n in (16, 32, 64):
        for sparsity in (0, 0.5):
            rng = np.random.default_rng([3, n])
            W = rng.integers(-128, 128, (n, n))
            W[rng.random((n, n)) < sparsity] = 0
            lo, hi = np.full(n, -128), np.full(n, 127)
            out += [graph_hash(solve_integer(W, lo, hi, max_depth=min_depth(W) + k)) for k in (0, 1, 2)]
    data = np.load(KERNELS)
    for key in sorted({k.rsplit("/", 1)[0] for k in data.files}):
        W, lo, hi = data[f"{key}/W"], data[f"{key}/lo"], data[f"{key}/hi"]
        out += [graph_hash(solve_integer(W, lo, hi, max_depth=min_depth(W) + k)) for k in (0, 1, 2)]
    return dict(n=len(out), hash=hashlib.sha1("".join(out).encode()).hexdigest()[:12])


def table2_all(trials: int = 200) -> dict:
    """The graphs of benchmarks/table2.py (same matrices, depths and objective), hashed."""
    out = []
    for n in (2, 4, 6, 8, 10, 12, 14, 16):
        rng = np.random.default_rng([2026, n])
        lo, hi = np.full(n, -128), np.full(n, 127)
        for _ in range(trials):
            W = rng.integers(129, 256, (n, n))
            rng.integers(-128, 128, (4, n))  # table2.py's test inputs
            for max_depth in (40, min_depth(W) + 2, min_depth(W)):
                out.append(graph_hash(solve_integer(W, lo, hi, max_depth=max_depth, objective="adders")))
    return dict(n=len(out), hash=hashlib.sha1("".join(out).encode()).hexdigest()[:12])


if __name__ == "__main__":
    _solve(np.full((4, 4), 200), np.full(4, -128), np.full(4, 127))  # compile (or load the cache) before timing
    result = {"big256": big, "t2": table2, "hash": all_hashes, "t2all": table2_all}[sys.argv[2]]()
    result["load"] = os.getloadavg()[0]
    print(json.dumps(result))
