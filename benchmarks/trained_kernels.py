"""Capture the constant matrices of trained HGQ2 models, as the lowering hands them to the solver.

Writes benchmarks/trained_kernels.npz: for every CMVM of each model, the integer matrix
(input exponents folded into its rows) and the integer code interval of every input.
`benchmarks/cmvm.py --kernels benchmarks/trained_kernels.npz` then runs both solvers on them.
Run with adderflow's venv:  python benchmarks/trained_kernels.py
"""

import sys
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rtl_luts import train_jsc_mlp  # noqa: E402

import da_core  # noqa: E402
import quant  # noqa: E402
from adderflow.digits import train_digits_mlp  # noqa: E402
from da_core import cmvm  # noqa: E402

MODELS = {  # name: training (the demo's model, a leaner and a wider one, and the JSC-size MLP of rtl_luts.py)
    "digits_demo": partial(train_digits_mlp, hidden=(32, 16), epochs=20, beta=1e-4, batch_size=16),
    "digits_lean": partial(train_digits_mlp, hidden=(32, 16), epochs=20, beta=1e-3, batch_size=16),
    "digits_wide": partial(train_digits_mlp, hidden=(64, 32), epochs=20, beta=1e-5, batch_size=16),
    "jsc": train_jsc_mlp,
}


def capture(network) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The (W, lo, hi) of every solve the lowering of ``network`` makes."""
    seen, solve = [], cmvm.solve_integer

    def recording(W, lo, hi, **kwargs):
        seen.append((np.array(W), np.array(lo), np.array(hi)))
        return solve(W, lo, hi, **kwargs)

    cmvm.solve_integer = recording
    try:
        da_core.lower(network)
    finally:
        cmvm.solve_integer = solve
    return seen


def main() -> None:
    arrays = {}
    for name, train in MODELS.items():
        model, *_ = train()
        for n, (W, lo, hi) in enumerate(capture(quant.from_keras(model))):
            key = f"{name}_layer{n}_{W.shape[0]}x{W.shape[1]}"
            arrays[f"{key}/W"], arrays[f"{key}/lo"], arrays[f"{key}/hi"] = W, lo, hi
            print(key, "non-zero weights", np.count_nonzero(W), "input bits", int(np.ceil(np.log2(hi - lo + 1)).max()))
    out = Path(__file__).with_name("trained_kernels.npz")
    np.savez_compressed(out, **arrays)
    print("wrote", out)


if __name__ == "__main__":
    main()
