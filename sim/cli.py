"""The `adderflow` command line. Exit codes: 0 success, 1 verification mismatch, 2 bad input or usage."""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

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
    demo.add_argument("--epochs", type=int, default=40, help="training epochs (default: %(default)s)")
    demo.add_argument("--latency-cutoff", type=int, default=None, metavar="LEVELS",
                      help="adder levels per pipeline stage (default: 5)")

    convert = commands.add_parser("convert", help="convert a saved .keras model into Verilog")
    convert.add_argument("model", type=Path, help="MODEL.keras, trained and calibrated with trace_minmax")
    convert.add_argument("out_dir", type=Path, help="output directory (must be empty unless --overwrite)")
    convert.add_argument("--verify", type=Path, metavar="DATA.npy",
                         help="raw model inputs to check the Verilog on, sample by sample, in Verilator")
    convert.add_argument("--latency-cutoff", type=int, default=None, metavar="LEVELS",
                         help="adder levels per pipeline stage (default: 5)")
    convert.add_argument("--overwrite", action="store_true", help="replace an earlier adderflow design in OUT_DIR")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            from .demo import run_demo

            run_demo(args.out_dir, epochs=args.epochs, latency_cutoff=args.latency_cutoff)
        elif args.command == "convert":
            _convert(args)
    except AssertionError as error:  # a bit-exactness check failed
        print(f"adderflow: MISMATCH: {error}", file=sys.stderr)
        return EXIT_MISMATCH
    except (ValueError, TypeError, OSError, NotImplementedError, RuntimeError) as error:
        print(f"adderflow: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _convert(args) -> None:
    import numpy as np

    import rtl_emit
    import sim

    if not args.model.is_file():
        raise FileNotFoundError(f"no model file at {args.model}")
    data = np.load(args.verify) if args.verify else None
    import hgq  # noqa: F401  (registers HGQ2's layers for loading)
    import keras

    model = keras.models.load_model(args.model, compile=False)
    design = rtl_emit.compile_model(model, args.out_dir, latency_cutoff=args.latency_cutoff, overwrite=args.overwrite)
    print(design)
    print(f"Verilog: {design.verilog_path}\nmetadata: {design.metadata_path}")
    if data is not None:
        result = sim.verify(design, data)
        print(f"verified: {result}")


if __name__ == "__main__":
    sys.exit(main())
