"""adderflow's CMVM solver side by side with da4ml 0.6.0 on the same matrices.

Run with a venv that has da4ml (it is never a dependency of the library):
    bench-venv/bin/python benchmarks/cmvm.py --sizes 16 32 64
Each row is one matrix at one depth setting: slack k means max_depth = floor + k
for adderflow and hard_dc = k for da4ml (its depth floor + k). Cost is our
model (Σ adder result width minus free low bits) for both solvers: da4ml's
graph is re-costed op by op from its own exact intervals. `--no-da4ml` runs
adderflow alone (any venv). da4ml takes minutes per 128x128 matrix, so its
results are kept in benchmarks/da4ml_results.json (keyed by matrix and slack)
and reused; delete the file to measure again.
"""

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from da_core.cost import adder_cost  # noqa: E402
from da_core.graph_stats import graph_cost, output_depths  # noqa: E402
from da_core.solver import min_depth, solve_integer  # noqa: E402


def suite(sizes, bits_list, seed=2026):
    """Random (n, n) integer matrices, dense and 50% sparse, fixed seeds."""
    for n in sizes:
        for bits in bits_list:
            for sparsity in (0.0, 0.5):
                rng = np.random.default_rng([seed, n, bits, int(sparsity * 100)])
                half = 1 << (bits - 1)
                W = rng.integers(-half, half, (n, n))
                W[rng.random((n, n)) < sparsity] = 0
                lo, hi = np.full(n, -128, dtype=np.int64), np.full(n, 127, dtype=np.int64)
                yield f"{n}x{n} {bits}b" + (" sparse" if sparsity else ""), W, lo, hi


def trained_kernels(path):
    """The matrices and input intervals captured by benchmarks/trained_kernels.py."""
    data = np.load(path)
    for key in sorted({k.rsplit("/", 1)[0] for k in data.files}):
        yield key, data[f"{key}/W"], data[f"{key}/lo"], data[f"{key}/hi"]


def run_adderflow(W, lo, hi, max_depth, repeat=1, clock=time.perf_counter):
    """(adders, cost, depth, median solve seconds over `repeat` runs), checked exact."""
    times = []
    for _ in range(repeat):
        t0 = clock()
        graph = solve_integer(W, lo, hi, max_depth=max_depth)
        times.append(clock() - t0)
    seconds = statistics.median(times)
    x = np.concatenate([lo[None], hi[None], np.random.default_rng(0).integers(lo, hi, (4, len(lo)), endpoint=True)])
    assert np.array_equal(graph.evaluate(x), x.astype(object) @ W.astype(object)), "adderflow result is wrong"
    return graph.n_adders, graph_cost(graph, lo, hi), int(output_depths(graph).max(initial=0)), seconds


def da4ml_cost(pipeline):
    """Adders and our-model cost of a da4ml pipeline, from each op's exact interval."""
    adders = cost = 0
    for stage in pipeline.solutions:
        ops = stage.ops
        for op in ops:
            if op.opcode == -1:
                continue
            if op.opcode not in (0, 1):
                raise ValueError(f"unexpected da4ml opcode {op.opcode}")
            lsb0 = math.log2(ops[op.id0].qint.step)
            lsb1 = math.log2(ops[op.id1].qint.step) + op.data
            step = 2.0 ** min(lsb0, lsb1)
            lo, hi = round(op.qint.min / step), round(op.qint.max / step)
            adders += 1
            cost += adder_cost(lo, hi, int(abs(lsb0 - lsb1)))
    return adders, cost


DA4ML_RESULTS = Path(__file__).with_name("da4ml_results.json")


def run_da4ml_cached(name, W, lo, hi, slack):
    """da4ml's (adders, cost, depth, seconds), measured once per matrix and slack."""
    results = json.loads(DA4ML_RESULTS.read_text()) if DA4ML_RESULTS.exists() else {}
    key = f"{name} | k={slack}"
    if key not in results:
        results[key] = run_da4ml(W, lo, hi, slack)
        results = json.loads(DA4ML_RESULTS.read_text()) | {key: results[key]} if DA4ML_RESULTS.exists() else results
        DA4ML_RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    return tuple(results[key])


def run_da4ml(W, lo, hi, slack):
    from da4ml.cmvm import solve

    t0 = time.perf_counter()
    qintervals = [(float(a), float(b), 1.0) for a, b in zip(lo, hi)]  # integer codes, as adderflow sees them
    pipeline = solve(W.astype(np.float32), hard_dc=slack, qintervals=qintervals)
    seconds = time.perf_counter() - t0
    adders, cost = da4ml_cost(pipeline)
    return adders, cost, int(pipeline.latency[1]), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--bits", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--slacks", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--no-da4ml", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="adderflow solves per matrix; the median time is shown")
    parser.add_argument("--cpu", action="store_true", help="adderflow's time in CPU seconds (fairer when shared)")
    parser.add_argument("--kernels", type=Path, help="benchmark these captured trained kernels instead of the suite")
    args = parser.parse_args()

    solve_integer(np.ones((2, 2), dtype=np.int64), np.zeros(2, np.int64), np.ones(2, np.int64))  # compile / load cache
    cols = "| matrix | k | floor | af adders | af cost | af depth | af s |"
    if not args.no_da4ml:
        cols += " d4 adders | d4 cost | d4 depth | d4 s | cost ratio | adder ratio | speedup |"
    print(cols)
    print("|" + "---|" * (cols.count("|") - 1))
    ratios: dict[int, list[float]] = {k: [] for k in args.slacks}
    adder_ratios: dict[int, list[float]] = {k: [] for k in args.slacks}
    speedups: list[float] = []
    matrices = trained_kernels(args.kernels) if args.kernels else suite(args.sizes, args.bits)
    for name, W, lo, hi in matrices:
        n = W.shape[0]
        floor = min_depth(W)
        for slack in args.slacks:
            if args.no_da4ml:
                clock = time.process_time if args.cpu else time.perf_counter
                af = run_adderflow(W, lo, hi, floor + slack, args.repeat, clock)
                print(f"| {name} | {slack} | {floor} | {af[0]} | {af[1]} | {af[2]} | {af[3]:.3f} |", flush=True)
                continue
            d4 = run_da4ml_cached(name, W, lo, hi, slack)
            af = run_adderflow(W, lo, hi, min(floor + slack, max(d4[2], floor)), args.repeat)  # never deeper than da4ml
            ratios[slack].append(af[1] / d4[1])
            adder_ratios[slack].append(af[0] / d4[0])
            if n >= 64:
                speedups.append(d4[3] / af[3])
            print(
                f"| {name} | {slack} | {floor} | {af[0]} | {af[1]} | {af[2]} | {af[3]:.3f} "
                f"| {d4[0]} | {d4[1]} | {d4[2]} "
                f"| {d4[3]:.3f} | {ratios[slack][-1]:.3f} | {adder_ratios[slack][-1]:.3f} | {d4[3] / af[3]:.1f}x |",
                flush=True,
            )
    if not args.no_da4ml:
        print()
        for slack in args.slacks:
            r, a = ratios[slack], adder_ratios[slack]
            print(
                f"k={slack}: cost ratio adderflow/da4ml median {statistics.median(r):.3f}, worst {max(r):.3f}; "
                f"adder ratio median {statistics.median(a):.3f}, worst {max(a):.3f} ({len(r)} matrices)"
            )
        every = [x for k in args.slacks for x in ratios[k]]
        print(f"all: cost ratio median {statistics.median(every):.3f}, worst {max(every):.3f}")
        if speedups:
            print(f"speedup from 64x64 up: min {min(speedups):.1f}x, median {statistics.median(speedups):.1f}x")

if __name__ == "__main__":
    main()
