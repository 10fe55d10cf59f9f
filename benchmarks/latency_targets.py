"""One trained model at three register-placement targets: latency, FFs, estimated delay, bit-exact check.

    python benchmarks/latency_targets.py [--model MODEL.keras]

Default model: the digits MLP saved by benchmarks/rtl_luts.py (or trained here). Each design is
verified with sim.verify (Verilator) on 10,000+ samples: the digits test set tiled, plus
random out-of-range inputs.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import adderflow  # noqa: F401  (selects Keras's JAX backend before Keras loads)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_model = Path(tempfile.gettempdir()) / "adderflow_rtl_luts" / "digits_mlp.keras"
    parser.add_argument("--model", type=Path, default=default_model)
    args = parser.parse_args(argv)
    import hgq  # noqa: F401
    import keras

    import quant
    import rtl_emit
    import sim
    from adderflow.digits import load_digits_split, train_digits_mlp

    model = (keras.models.load_model(args.model, compile=False) if args.model.is_file()
             else train_digits_mlp(epochs=40, beta=1e-4)[0])
    x_train, x_test, _, _ = load_digits_split()
    rng = np.random.default_rng(1)
    x = np.concatenate([np.tile(np.concatenate([x_train, x_test]), (5, 1)),
                        rng.integers(-32, 48, size=(2000, 64)) / 16.0]).astype(np.float32)
    network = quant.from_keras(model)
    print("| target | latency (cycles) | FF bits | longest stage, est. ns | est. Fmax MHz | "
          "verified samples | seconds (emit + verify) |")
    print("|---|---|---|---|---|---|---|")
    for label, target in (("latency_cutoff=5 (adder levels)", dict(latency_cutoff=5)),
                          ("clock_period_ns=1.5", dict(clock_period_ns=1.5)),
                          ("combinational", dict(combinational=True))):
        start = time.perf_counter()
        design = rtl_emit.compile_model(network, tempfile.mkdtemp(prefix="adderflow_targets_"), name="digits",
                                        **target)
        result = sim.verify(design, x)
        r = design.report
        print(f"| {label} | {design.latency_cycles} | {r['ff_bits']} | "
              f"{r['estimated_delay_ns']} | {r['estimated_fmax_mhz']} | {result.n_samples} | "
              f"{time.perf_counter() - start:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
