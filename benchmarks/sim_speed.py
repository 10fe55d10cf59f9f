"""Samples per second through the real Verilog: sim.CompiledModel vs the cocotb testbench.

    python benchmarks/sim_speed.py [--model JSC.keras] [--samples 1000000]

The design: a JSC-size MLP 16-64-32-32-5 (trained by benchmarks/rtl_luts.py, or here
when no --model is given), compiled at latency_cutoff=5. Times the Verilator build, a
run of --samples synthetic 16-feature samples through ``CompiledModel`` (bus packing
and file transfer included; each result checked against the program), and 5,000
samples through the cocotb path for comparison. Writes benchmarks/sim_speed_BACKEND.json.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import adderflow  # noqa: F401  (selects Keras's JAX backend before Keras loads)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--backend", default="auto", help="rtl_emit back end: auto (Amaranth here), amaranth or direct")
    args = parser.parse_args(argv)
    import hgq  # noqa: F401
    import keras

    import rtl_emit
    import sim

    if args.model is None:
        sys.path.insert(0, str(Path(__file__).parent))
        from rtl_luts import train_jsc_mlp

        model, _ = train_jsc_mlp()
    else:
        model = keras.models.load_model(args.model, compile=False)
    out = Path(tempfile.mkdtemp(prefix="adderflow_sim_speed_"))
    design = rtl_emit.compile_model(model, out, name="jsc_mlp", latency_cutoff=5, backend=args.backend)
    start = time.perf_counter()
    rtl = sim.CompiledModel(design)
    build = time.perf_counter() - start
    x = np.random.default_rng(0).normal(size=(args.samples, 16)).astype(np.float32)
    times = []
    for _ in range(3):  # median of 3: the machine is shared
        start = time.perf_counter()
        y = rtl.predict(x)
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    expected = design.network.predict(x[:100_000])
    assert np.array_equal(y[:100_000], np.asarray(expected).reshape(100_000, -1)), "RTL != reference"
    start = time.perf_counter()
    sim.verify(design, x[:5000])  # builds nothing new: the compiled model is reused
    small = time.perf_counter() - start
    start = time.perf_counter()
    sim.run_rtl(design, design.input_codes(x[:5000]), engine="cocotb")  # includes the cocotb build
    cocotb_seconds = time.perf_counter() - start
    backend = design.report["backend"]
    row = dict(design=repr(design), backend=backend, adders=design.report["adders"],
               latency_cycles=design.latency_cycles,
               build_seconds=round(build, 1), samples=args.samples, seconds=round(seconds, 2),
               samples_per_second=round(args.samples / seconds), verify_5000_seconds=round(small, 2),
               cocotb_5000_seconds_with_build=round(cocotb_seconds, 1))
    print(json.dumps(row, indent=1))
    Path(__file__).with_name(f"sim_speed_{backend}.json").write_text(json.dumps(row, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
