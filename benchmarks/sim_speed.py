"""Samples per second through the real Verilog: sim.CompiledModel (optionally against another checkout's) and cocotb.

    python benchmarks/sim_speed.py [--model JSC.keras] [--samples 1000000] [--repeats 5] [--baseline DIR]

The design: the JSC-size MLP 16-64-32-32-5 (bench_models.train_tabular_mlp, trained here when no
--model is given), compiled at latency_cutoff=5. Times the Verilator build and --repeats runs of
``CompiledModel.predict`` on --samples synthetic 16-feature samples (quantizers, bus packing and any file
transfer included), reporting the median and the CPU time per sample of Python and of the harnesses
(processes, or threads of this process running the harness library). With --baseline DIR (a checkout of
adderflow, e.g. ``git worktree add /tmp/base main``), the ``sim`` package of DIR runs the same design (its
own build, in a copy of the design folder), its runs interleaved with this checkout's, so both see the
same load of a shared machine. The first 100,000 results of each are checked against the network. Then
5,000 samples through the cocotb path for comparison. Writes benchmarks/sim_speed_BACKEND.json.
"""

import argparse
import dataclasses
import importlib.util
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import adderflow  # noqa: F401  (selects Keras's JAX backend before Keras loads)


def load_sim(checkout: Path):
    """The ``sim`` package of another adderflow checkout, imported as ``sim_baseline`` (its relative imports
    resolve inside it; the shared packages it imports are this checkout's)."""
    init = checkout / "sim" / "__init__.py"
    spec = importlib.util.spec_from_file_location("sim_baseline", init, submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["sim_baseline"] = module
    spec.loader.exec_module(module)
    return module


def cpu_seconds() -> np.ndarray:
    """User + system CPU of this process (Python: quantizers, packing) and of its finished children (harnesses)."""
    return np.array([r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                      resource.getrusage(resource.RUSAGE_CHILDREN))])


def timed_runs(models: dict, x: np.ndarray, repeats: int) -> dict:
    """Each model's predict on x, ``repeats`` times, the models interleaved; wall seconds and CPU seconds
    (Python, harnesses) of each run, and the last outputs. A harness that runs in this process (a library on
    threads) reports its CPU time as ``last_harness_cpu_seconds``; it moves from the Python column to the other."""
    times = {name: ([], []) for name in models}
    outputs = {}
    for _ in range(repeats):
        for name, model in models.items():
            wall, cpu = time.perf_counter(), cpu_seconds()
            outputs[name] = model.predict(x)
            times[name][0].append(time.perf_counter() - wall)
            in_process = getattr(model, "last_harness_cpu_seconds", None) or 0.0
            times[name][1].append(cpu_seconds() - cpu + np.array([-in_process, in_process]))
    return {name: (walls, cpus, outputs[name]) for name, (walls, cpus) in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5, help="runs of each model; the median counts")
    parser.add_argument("--baseline", type=Path, default=None, help="an adderflow checkout whose sim to compare")
    parser.add_argument("--no-cocotb", action="store_true", help="skip the 5,000-sample cocotb comparison")
    parser.add_argument("--backend", default="auto", help="rtl_emit back end: auto (Amaranth here), amaranth or direct")
    args = parser.parse_args(argv)
    import hgq  # noqa: F401
    import keras

    import rtl_emit
    import sim

    if args.model is None:
        sys.path.insert(0, str(Path(__file__).parent))
        from bench_models import train_tabular_mlp

        model, _ = train_tabular_mlp()
    else:
        model = keras.models.load_model(args.model, compile=False)
    out = Path(tempfile.mkdtemp(prefix="adderflow_sim_speed_"))
    design = rtl_emit.compile_model(model, out / "design", name="jsc_mlp", latency_cutoff=5, backend=args.backend)
    start = time.perf_counter()
    models = {"this checkout": sim.CompiledModel(design)}
    build = time.perf_counter() - start
    if args.baseline is not None:
        shutil.copytree(design.out_dir, out / "baseline", ignore=shutil.ignore_patterns(models["this checkout"]
                                                                                         .build_dir.name))
        copy = dataclasses.replace(design, out_dir=out / "baseline",
                                   verilog_path=out / "baseline" / Path(design.verilog_path).name,
                                   metadata_path=out / "baseline" / Path(design.metadata_path).name)
        models[f"baseline {args.baseline}"] = load_sim(args.baseline.resolve()).CompiledModel(copy)
    x = np.random.default_rng(0).normal(size=(args.samples, 16)).astype(np.float32)
    load = os.getloadavg()[0]
    runs = timed_runs(models, x, args.repeats)
    checked = min(args.samples, 100_000)
    expected = np.asarray(design.network.predict(x[:checked])).reshape(checked, -1)
    rows = {}
    for name, (walls, cpus, y) in runs.items():
        assert np.array_equal(y[:checked], expected), f"{name}: RTL != reference"
        seconds = statistics.median(walls)
        python_us, harness_us = np.median(cpus, axis=0) / args.samples * 1e6
        rows[name] = dict(seconds=round(seconds, 2), samples_per_second=round(args.samples / seconds),
                          runs_seconds=[round(t, 2) for t in walls], python_cpu_us_per_sample=round(python_us, 2),
                          harness_cpu_us_per_sample=round(harness_us, 2),
                          # what the CPU time allows on idle cores, every core busy: a bound, not a measurement
                          cpu_bound_samples_per_second=round(os.cpu_count() / (python_us + harness_us) * 1e6))
    row = dict(design=repr(design), backend=design.report["backend"], adders=design.report["adders"],
               latency_cycles=design.latency_cycles, build_seconds=round(build, 1), samples=args.samples,
               repeats=args.repeats, checked_against_network=checked, load_average_1min_before=round(load, 1),
               load_average_1min_after=round(os.getloadavg()[0], 1), cores=os.cpu_count(),
               evals_per_cycle=models["this checkout"].last_evals_per_cycle, compiled_model=rows,
               command="python " + " ".join([sys.argv[0], *(argv if argv is not None else sys.argv[1:])]))
    if not args.no_cocotb:
        start = time.perf_counter()
        sim.verify(design, x[:5000])  # builds nothing new: the compiled model is reused
        row["verify_5000_seconds"] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()
        sim.run_rtl(design, design.input_codes(x[:5000]), engine="cocotb")  # includes the cocotb build
        row["cocotb_5000_seconds_with_build"] = round(time.perf_counter() - start, 1)
    print(json.dumps(row, indent=1))
    Path(__file__).with_name(f"sim_speed_{row['backend']}.json").write_text(json.dumps(row, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
