"""Yosys LUTs of the benchmark models with and without ``pack_bits`` (da_core.lut_pack), each verified in
Verilator (0 mismatches) on random inputs inside and 4x beyond the calibration range.

    ADDERFLOW_YOSYS=yosys python benchmarks/lut_pack.py --work DIR [--models binary_mlp jsc_mlp ...]
        [--pack-bits 1 2] [--ternary]

Trains (bench_models.MODELS, seeded) or reuses each model's .keras in --work, converts it combinationally
at pack_bits 0 (off) and each --pack-bits value (a setting that packs nothing more is not synthesized again: its
program is the same), and prints per design: adders, cost-model LUTs, Yosys LUTs
and CARRY cells, and the samples verified. ``--ternary``: the designs with three-input adders
(``ternary_adders=True``).
"""

import argparse
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SPAN = {"jsc_mlp": 3.0, "tabular_mlp": 3.0, "residual": 2.0, "spiking_classifier": 1.5}  # calibration half-range;
# the rest: [0, 1] pixels


def inputs(name: str, shape: tuple[int, ...], n: int = 2000) -> np.ndarray:
    """n random samples inside the calibration range, then the same scaled 4x beyond it."""
    rng = np.random.default_rng(0)
    span = SPAN.get(name)
    x = rng.uniform(-span, span, (n, *shape)) if span else rng.uniform(0, 1, (n, *shape))
    return np.concatenate([x, 4 * x]).astype(np.float32)


def run(name: str, work: Path, pack_bits: list[int], ternary: bool = False) -> list[dict]:
    import hgq  # noqa: F401
    import keras

    import da_core
    import quant
    import rtl_emit
    import sim

    path = work / f"{name}.keras"
    if not path.exists():
        from bench_models import MODELS

        MODELS[name]()[0].save(path)
    model = keras.models.load_model(path, compile=False)
    network = quant.from_keras(model)
    x = inputs(name, tuple(model.input_shape[1:]))
    rows, seen = [], {}
    for bits in [0, *pack_bits]:
        program = da_core.lower(network, pack_bits=bits)
        if program in seen:  # nothing packed beyond the earlier setting: the same design
            rows.append(dict(seen[program], pack_bits=bits, same_as=seen[program]["pack_bits"]))
            continue
        folder = work / f"{name}_pack{bits}{'_ternary' * ternary}"
        design = rtl_emit.emit_program(program, folder, name=name, overwrite=True, network=network,
                                       combinational=True, ternary_adders=ternary)
        checked = sim.verify(design, x)
        y = rtl_emit.yosys_report(design)
        rows.append(dict(model=name, pack_bits=bits, adders=program.n_adders,
                         packs=sum(op.kind == "pack" for op in program.ops), cost_model_luts=program.cost,
                         yosys_luts=y.get("luts"), carry=y.get("carry"), samples=checked.n_samples, mismatches=0))
        seen[program] = rows[-1]
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="where the .keras models and designs go")
    parser.add_argument("--models", nargs="+", default=["binary_mlp", "jsc_mlp", "digits_mlp", "tabular_mlp",
                                                        "residual", "conv_net"])
    parser.add_argument("--pack-bits", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--ternary", action="store_true", help="three-input adders (ternary_adders=True)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = [r for name in args.models for r in run(name, args.work, args.pack_bits, args.ternary)]
    print("| model | pack_bits | adders | packs | cost-model LUTs | Yosys LUTs | CARRY | samples verified |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['pack_bits']} | {r['adders']} | {r['packs']} | {r['cost_model_luts']} | "
              f"{r['yosys_luts']} | {r['carry']} | {r['samples']} (0 mismatches)"
              + (f"; the design of pack_bits={r['same_as']} |" if "same_as" in r else " |"))


if __name__ == "__main__":
    main()
