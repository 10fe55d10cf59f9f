"""Parallel against stream designs of the issue 16 models: adders, LUTs, FFs, latency, II, verification.

    python benchmarks/stream_models.py MODELS_DIR          # once: trains and saves the models
    python benchmarks/stream_cost.py MODELS_DIR [--io parallel stream] [--models conv28 deepsets64 gru16]
        [--yosys] [--yosys-timeout 900] [--yosys-max-luts 300000] [--n-verify 10000] [--verify-parallel]
        [--designs DIR] [--markdown FILE]

For each model (``MODELS_DIR/NAME.keras``) and each io, ``rtl_emit.compile_model(model, dir, io=...)``;
prints a Markdown row per design: adders, cost-model LUTs, Yosys LUTs and FFs (``rtl_emit.yosys_report``
with --yosys; a design above --yosys-max-luts cost-model LUTs or a run past --yosys-timeout seconds is
"not run" with the reason; ADDERFLOW_YOSYS=yosys picks a native Yosys), the design's FF bits, latency in
cycles, II (cycles per sample), compile seconds, and the verification of the stream design:
``sim.verify(design, x)`` on the first --n-verify samples of ``NAME_x_verify.npy`` (every output bit,
0 mismatches or it stops). Parallel designs are verified only with --verify-parallel (a 94,000-adder
design takes long to build in Verilator).
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

MODELS = ("conv28", "deepsets64", "gru16")
COLUMNS = ("model", "io", "adders", "cost-model LUTs", "Yosys LUTs", "Yosys FFs", "FF bits", "latency (cycles)",
           "II (cycles/sample)", "compile (s)", "verified")
def _yosys(design, timeout: float, max_luts: int) -> tuple[str, str]:
    """(LUTs, FFs) from Yosys, or the reason it gave none."""
    import rtl_emit

    if design.report["lut_estimate"] > max_luts:
        return f"not run (cost model above {max_luts:,} LUTs: --yosys-max-luts)", "-"
    report = rtl_emit.yosys_report(design, timeout=timeout)
    if report["status"] != "ok":
        reason = report["reason"].strip().splitlines()[-1] if report.get("reason") else report["status"]
        return f"not run ({reason})", "-"
    return str(report["luts"]), str(report["ffs"])


def measure(name: str, io: str, models_dir: Path, designs: Path, args) -> dict:
    """Compile one model one way, optionally synthesize and verify; one table row."""
    import keras

    import hgq  # noqa: F401  (registers HGQ2's layers for load_model)
    import rtl_emit

    model = keras.models.load_model(models_dir / f"{name}.keras", compile=False)
    options = {} if io == "parallel" else dict(io="stream")
    start = time.perf_counter()
    design = rtl_emit.compile_model(model, designs / f"{name}_{io}", overwrite=True, **options)
    compile_s = time.perf_counter() - start
    report = design.report
    row = {"model": name, "io": io, "adders": report["adders"], "cost-model LUTs": report["lut_estimate"],
           "Yosys LUTs": "-", "Yosys FFs": "-", "FF bits": report["ff_bits"],
           "latency (cycles)": design.latency_cycles,
           "II (cycles/sample)": report.get("initiation_interval_cycles", 1),  # parallel designs: 1
           "compile (s)": f"{compile_s:.0f}", "verified": "-"}
    if args.yosys:
        row["Yosys LUTs"], row["Yosys FFs"] = _yosys(design, args.yosys_timeout, args.yosys_max_luts)
    if io == "stream" or args.verify_parallel:
        import sim

        x = np.load(models_dir / f"{name}_x_verify.npy")[:args.n_verify]
        result = sim.verify(design, x)  # raises on any mismatching bit
        row["verified"] = f"{result.n_samples} samples, 0 mismatches"
    return row


def markdown_row(values) -> str:
    return "| " + " | ".join(str(v) for v in values) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models_dir", type=Path, help="where benchmarks/stream_models.py saved the models")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--io", nargs="+", choices=("parallel", "stream"), default=["parallel", "stream"])
    parser.add_argument("--yosys", action="store_true", help="also synthesize with Yosys (slow on large designs)")
    parser.add_argument("--yosys-timeout", type=float, default=900, help="seconds per Yosys run")
    parser.add_argument("--yosys-max-luts", type=int, default=300_000,
                        help="skip Yosys on designs whose cost model is above this")
    parser.add_argument("--n-verify", type=int, default=10_000)
    parser.add_argument("--verify-parallel", action="store_true", help="also verify the parallel designs")
    parser.add_argument("--designs", type=Path, help="keep the designs here (default: a temporary directory)")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()

    lines = [markdown_row(COLUMNS), markdown_row("---" for _ in COLUMNS)]
    print("\n".join(lines), flush=True)
    with tempfile.TemporaryDirectory(prefix="stream_cost_") as tmp:
        designs = args.designs or Path(tmp)
        for name in args.models:
            for io in args.io:
                row = measure(name, io, args.models_dir, designs, args)
                lines.append(markdown_row(row[c] for c in COLUMNS))
                print(lines[-1], flush=True)
    if args.markdown:
        args.markdown.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
