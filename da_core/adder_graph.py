"""The solver's raw answer: an integer adder graph, before it becomes a program.

Signals 0 .. n_in-1 are the inputs (integer codes). Adder k defines signal
n_in + k as ``sig[a] + sign * (sig[b] << shift)`` with ``shift >= 0``. Output j
is ``out_sign[j] * (sig[out_index[j]] << out_shift[j])``, or 0 when
``out_index[j] == -1``. Plain arrays, so numba kernels can build it.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AdderGraph:
    n_in: int
    adders: np.ndarray  # int64 (n_adders, 4): a, b, shift, sign
    out_index: np.ndarray  # int64 (n_out,)
    out_shift: np.ndarray  # int64 (n_out,)
    out_sign: np.ndarray  # int64 (n_out,)

    @property
    def n_adders(self) -> int:
        return len(self.adders)

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        """Exact outputs for integer inputs x of shape (n_samples, n_in), as Python-int objects
        when int64 could overflow; used by tests as the ground truth check."""
        x = np.asarray(x)
        sig = [x[:, i].astype(object) for i in range(self.n_in)]
        for a, b, shift, sign in self.adders.tolist():
            sig.append(sig[a] + sign * (sig[b] * (1 << shift)))
        zero = np.zeros(len(x), dtype=object)
        cols = [
            zero if i < 0 else s * (sig[i] * (1 << sh))
            for i, sh, s in zip(self.out_index.tolist(), self.out_shift.tolist(), self.out_sign.tolist())
        ]
        return np.stack(cols, axis=1) if cols else np.zeros((len(x), 0), dtype=object)
