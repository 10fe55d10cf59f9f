"""The cost model of lookup tables against Yosys: single tables by input bits, then whole table models.

    PYTHONPATH=. python benchmarks/table_cost.py [--bits 2 4 6 7 8 9 10 12] [--out-bits 8] [--models NAME ...]

A single table: one ``lut`` op over ``s`` input bits with random ``--out-bits``-bit entries (every output bit
varies), written combinationally, synthesized by Yosys ``synth_xilinx -family xcup`` (``rtl_emit.yosys``; the
PyPI WebAssembly build unless $ADDERFLOW_YOSYS names another). Models: those of tests/sim/models_tables.py
(trained a few steps, calibrated), converted at latency_cutoff=4. Prints Markdown tables.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "sim"))

import rtl_emit  # noqa: E402
from da_core.builder import ProgramBuilder  # noqa: E402
from da_core.interval import Interval  # noqa: E402


def single_table(in_bits: int, out_bits: int, out: Path) -> dict:
    rng = np.random.default_rng(in_bits)
    entries = rng.integers(0, 1 << out_bits, size=1 << in_bits)
    entries[:2] = [0, (1 << out_bits) - 1]  # every output bit varies
    b = ProgramBuilder()
    x = b.input(Interval(0, (1 << in_bits) - 1, 0))
    program = b.build([b.lut(x, 0, 0, entries.tolist(), 0)])
    design = rtl_emit.emit_program(program, out / f"table_{in_bits}", combinational=True, backend="direct")
    return dict(estimate=program.cost, yosys=rtl_emit.yosys_report(design).get("luts", "?"))


def model_row(name: str, out: Path) -> dict:
    from models_tables import TABLES

    model, _ = TABLES[name]()
    design = rtl_emit.compile_model(model, out / name, latency_cutoff=4, backend="direct")
    program = design.program
    y = rtl_emit.yosys_report(design)
    return dict(adders=program.n_adders, tables=design.report["tables"], lut_ops=design.report["table_lookups"],
                estimate=design.report["lut_estimate"],
                yosys=y.get("luts", "?"), latency=design.latency_cycles)


def main() -> None:
    from models_tables import TABLES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bits", type=int, nargs="+", default=[2, 4, 6, 7, 8, 9, 10, 12])
    parser.add_argument("--out-bits", type=int, default=8)
    parser.add_argument("--models", nargs="*", choices=sorted(TABLES), default=list(TABLES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("| input bits | output bits | cost-model LUTs | Yosys LUTs | Yosys / estimate |\n|---|---|---|---|---|")
        for s in args.bits:
            r = single_table(s, args.out_bits, Path(tmp))
            ratio = f"{r['yosys'] / r['estimate']:.2f}" if r["estimate"] and isinstance(r["yosys"], int) else "-"
            print(f"| {s} | {args.out_bits} | {r['estimate']} | {r['yosys']} | {ratio} |", flush=True)
        if args.models:
            print("\n| model | adders | lut ops | distinct tables | cost-model LUTs | Yosys LUTs | Yosys / estimate | "
                  "latency (cycles) |\n|---|---|---|---|---|---|---|---|")
        for name in args.models:
            r = model_row(name, Path(tmp))
            ratio = f"{r['yosys'] / r['estimate']:.2f}" if isinstance(r["yosys"], int) else "-"
            print(f"| {name} | {r['adders']} | {r['lut_ops']} | {r['tables']} | {r['estimate']} | {r['yosys']} | "
                  f"{ratio} | {r['latency']} |", flush=True)


if __name__ == "__main__":
    main()
