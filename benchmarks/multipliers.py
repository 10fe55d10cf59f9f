"""Products of two variables in each multiplier mode: LUTs, DSPs and the longest path, by Yosys.

    python benchmarks/multipliers.py [--latency-cutoff 4]
    python benchmarks/multipliers.py --grid

Converts three designs with variable products in each mode: ``multipliers="lut"`` (shift-and-add, no DSP),
``"dsp"`` (``*``, for DSP48E2s) and ``"auto"`` (``*`` where a DSP pays): one signed 8 x 8 product, and the two models
of tests/sim/models_products.py (trained a few steps, calibrated): a gated MLP (QMultiply of two QDense
branches, then a QEinsum) and the products zoo (a batched QEinsum 'bqhd,bkhd->bhqk', a QDot,
``ops.multiply``). Each design is synthesized by Yosys ``synth_xilinx`` (``rtl_emit.yosys_report``; set
ADDERFLOW_YOSYS=yosys for a native Yosys). Prints a Markdown table: cost-model LUTs and DSPs, Yosys LUTs,
CARRY8s, DSP48E2s and FFs, the longest path in cells, latency in cycles and the estimated Fmax.

``--grid`` measures the rule of ``"auto"`` instead: one product per row (operand shapes of the GRU and
attention models, and a signed n-bit by 8-bit family), combinational, its low ``bits`` seen by the output; the
cost model's LUTs of its shift-and-add form (``da_core.multipliers.expansion_luts``), the Yosys LUTs of that
form, and what Yosys makes of it written as ``*`` (DSP48E2s, or LUTs where the result is too narrow for one).
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
from da_core.precision import trim  # noqa: E402


def one_product():
    """``x * y`` of two signed bytes, as a program (no model)."""
    b = ProgramBuilder()
    return b.build([b.mul(b.input(Interval(-128, 127, 0)), b.input(Interval(-128, 127, 0)))])


GRID = [((-(2 ** (n - 1)), 2 ** (n - 1) - 1), (-128, 127), n + 8) for n in range(2, 9)] + [
    ((-8, 7), (-16, 15), 9), ((-16, 15), (-16, 15), 10), ((0, 63), (-16, 15), 11), ((2, 63), (0, 31), 7),
    ((2, 63), (0, 31), 11), ((0, 255), (-32, 31), 14), ((1, 256), (-64, 63), 14)]


def grid_rows(out: Path):
    """One row per product shape of ``GRID``: (x codes, y codes, bits seen, cost-model LUTs expanded,
    Yosys report expanded, Yosys report as ``*``)."""
    for (xl, xh), (yl, yh), bits in GRID:
        x, y = Interval(xl, xh, 0), Interval(yl, yh, 0)
        b = ProgramBuilder()
        product = b.mul(b.input(x), b.input(y))
        program = b.build([b.quant(product, 1, bits - 1, 0, "TRN", "WRAP")])  # its low `bits` bits
        reports = []
        for mode in ("lut", "dsp"):
            trimmed = trim(da_core.multipliers.apply(program, mode))
            design = rtl_emit.emit_program(trimmed, out / f"grid_{xl}_{xh}_{yl}_{yh}_{bits}_{mode}", name="product",
                                           combinational=True)
            reports.append(rtl_emit.yosys_report(design))
        yield x, y, bits, da_core.multipliers.expansion_luts(x, y, bits), *reports


def print_grid(out: Path) -> None:
    print("| x | y | product bits seen | cost-model LUTs, shift-and-add | Yosys LUTs, shift-and-add "
          "| `*`: Yosys DSP48E2 | `*`: Yosys LUTs | kept for a DSP by auto |")
    print("|---|---|---|---|---|---|---|---|")
    for x, y, bits, cost, expanded, star in grid_rows(out):
        kept = bits >= da_core.multipliers.DSP_MIN_PRODUCT_BITS and cost > da_core.multipliers.DSP_LUTS
        print(f"| [{x.lo}..{x.hi}] | [{y.lo}..{y.hi}] | {bits} | {cost} | {expanded['luts']} | {star['dsps']} "
              f"| {star['luts']} | {'yes' if kept else 'no'} |", flush=True)


def designs(out: Path, latency_cutoff: int):
    """(name, mode, design) for each design in each mode."""
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
    parser.add_argument("--grid", action="store_true", help="one product per row: the rule of multipliers='auto'")
    args = parser.parse_args()
    if args.grid:
        with tempfile.TemporaryDirectory() as tmp:
            print_grid(Path(tmp))
        return
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
