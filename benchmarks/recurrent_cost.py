"""How the cost of an unrolled recurrent or spiking model grows with its sequence length T.

    python benchmarks/recurrent_cost.py [--steps 4 8 16] [--models NAME ...] [--yosys]

Trains each model of tests/sim/models_recurrent.py (a few steps, calibrated) at every T, converts it
pipelined at latency_cutoff=4 and prints a Markdown table: adders, cost-model LUTs, latency in cycles, FFs
(from ``design.report``) and, with --yosys, Yosys LUTs (``rtl_emit.yosys_report``; set ADDERFLOW_YOSYS=yosys
for a native Yosys, several times faster than the WebAssembly one).
"""

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "sim"))

from models_recurrent import MODELS  # noqa: E402

import rtl_emit  # noqa: E402


def measure(name: str, n_steps: int, yosys: bool, out: Path) -> dict:
    model, _ = MODELS[name](n_steps)
    design = rtl_emit.compile_model(model, out / f"{name}_{n_steps}", latency_cutoff=4)
    row = {key: design.report[key] for key in ("adders", "lut_estimate", "latency_cycles", "ff_bits")}
    row["yosys_luts"] = rtl_emit.yosys_report(design).get("luts", "?") if yosys else "-"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS))
    parser.add_argument("--yosys", action="store_true", help="also synthesize with Yosys (slow)")
    args = parser.parse_args()
    print("| model | T | adders | cost-model LUTs | Yosys LUTs | latency (cycles) | FFs |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            for n_steps in args.steps:
                r = measure(name, n_steps, args.yosys, Path(tmp))
                print(f"| {name} | {n_steps} | {r['adders']} | {r['lut_estimate']} | {r['yosys_luts']} | "
                      f"{r['latency_cycles']} | {r['ff_bits']} |", flush=True)


if __name__ == "__main__":
    main()
