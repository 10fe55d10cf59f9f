"""Products of two variables in both multiplier modes: LUTs, DSPs and the longest path, by Yosys.

    python benchmarks/multipliers.py [--latency-cutoff 4]

Converts three designs with variable products, once with ``multipliers="lut"`` (shift-and-add, no DSP)
and once with ``multipliers="dsp"`` (``*``, for DSP48E2s): one signed 8 x 8 product, and the two models
of tests/sim/models_products.py (trained a few steps, calibrated): a gated MLP (QMultiply of two QDense
branches, then a QEinsum) and the products zoo (a batched QEinsum 'bqhd,bkhd->bhqk', a QDot,
``ops.multiply``). Each design is synthesized by Yosys ``synth_xilinx`` (``rtl_emit.yosys_report``; set
ADDERFLOW_YOSYS=yosys for a native Yosys). Prints a Markdown table: cost-model LUTs and DSPs, Yosys LUTs,
CARRY8s, DSP48E2s and FFs, the longest path in cells, latency in cycles and the estimated Fmax.
"""

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "sim"))

from models_products import PRODUCTS  # noqa: E402

import da_core  # noqa: E402
import quant  # noqa: E402
import rtl_emit  # noqa: E402
from da_core.builder import ProgramBuilder  # noqa: E402
from da_core.interval import Interval  # noqa: E402


def one_product():
    """``x * y`` of two signed bytes, as a program (no model)."""
    b = ProgramBuilder()
    return b.build([b.mul(b.input(Interval(-128, 127, 0)), b.input(Interval(-128, 127, 0)))])


def designs(out: Path, latency_cutoff: int):
    """(name, mode, design) for each design in both modes."""
    for mode in da_core.multipliers.MODES:
        program = da_core.multipliers.apply(one_product(), mode)
        yield "8 x 8 product", mode, rtl_emit.emit_program(program, out / f"product_{mode}", name="product",
                                                            latency_cutoff=latency_cutoff)
    for name, make in PRODUCTS.items():
        net = quant.from_keras(make()[0])
        for mode in da_core.multipliers.MODES:
            yield name, mode, rtl_emit.compile_model(net, out / f"{name}_{mode}", name=name, multipliers=mode,
                                                     latency_cutoff=latency_cutoff)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-cutoff", type=int, default=4, help="adder levels per stage (default 4)")
    args = parser.parse_args()
    print("| design | multipliers | cost-model LUTs | cost-model DSPs | Yosys LUTs | CARRY8 | DSP48E2 | FFs "
          "| longest path (cells) | latency (cycles) | estimated Fmax (MHz) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, mode, design in designs(Path(tmp), args.latency_cutoff):
            r, y = design.report, rtl_emit.yosys_report(design)
            if y["status"] != "ok":
                raise SystemExit(f"Yosys {y['status']}: {y.get('reason')}")
            print(f"| {name} | {mode} | {r['lut_estimate']} | {r['dsps']} | {y['luts']} | {y['carry']} | {y['dsps']} "
                  f"| {y['ffs']} | {y['longest_path_cells']} | {r['latency_cycles']} | {r['estimated_fmax_mhz']} |",
                  flush=True)


if __name__ == "__main__":
    main()
