"""The bit-exact check: reference == program == RTL, every output of every sample.

Program and RTL are compared as integer codes; a reference, given in real
values, against the program's outputs as real values (exact in float64: wider
outputs are refused).
"""

import time
from dataclasses import dataclass

import numpy as np

from rtl_emit.ports import flat_samples

from .rtl import simulate


class MismatchError(AssertionError):
    """Two of reference, program and RTL disagree; names the first disagreeing sample and output, and says
    how many samples disagree (``n_bad_samples`` of ``n_samples``)."""

    def __init__(self, pair: str, sample: int, output: int, left: int | float, right: int | float, n_bad: int,
                 n_bad_samples: int | None = None, n_samples: int | None = None):
        self.pair, self.sample, self.output = pair, sample, output
        self.left, self.right, self.n_bad = left, right, n_bad
        self.n_bad_samples, self.n_samples = n_bad_samples, n_samples
        first, second = pair.split(" vs ")
        counted = "" if n_samples is None else f"; {mismatch_line(n_bad_samples, n_samples)}"
        super().__init__(f"{pair} mismatch at sample {sample}, output {output}: {first} {left}, {second} {right} "
                         f"({n_bad} mismatching values in all{counted})")


def mismatch_line(n_bad_samples: int, n_samples: int) -> str:
    """The line verification tools print: ``N / M samples mismatched``."""
    return f"{n_bad_samples} / {n_samples} samples mismatched"


@dataclass(frozen=True)
class VerifyResult:
    n_samples: int
    n_outputs: int
    latency_cycles: int
    seconds: float

    @property
    def samples_per_second(self) -> float:
        return self.n_samples / self.seconds if self.seconds > 0 else float("inf")

    def __repr__(self) -> str:
        return (f"VerifyResult({self.n_samples} samples x {self.n_outputs} outputs bit-exact, latency "
                f"{self.latency_cycles} cycles, {self.seconds:.2f} s, {self.samples_per_second:,.0f} samples/s)")


def verify(design, x, reference=None) -> VerifyResult:
    """Check the RTL against the program and the program against the reference on raw inputs ``x``.

    With a network attached to the design, ``x`` is what the network takes and its input
    quantizers give the codes; without one, ``x`` holds the program's input values (n_samples,
    n_inputs) on its input grid. The program must equal ``design.network.predict(x)`` (if the
    design has a network) and ``reference`` (if given: real output values, flattened per
    sample like the network's outputs); the RTL must equal the program. Prints the acceptance
    line ``N / M samples mismatched`` (0 / M when exact) and raises ``MismatchError`` on any mismatch.
    """
    start = time.perf_counter()
    codes = design.input_codes(x)
    expected = design.program.run(codes)  # checks the codes, once
    references = [] if reference is None else [("given reference", reference)]
    if design.network is not None:
        references.append(("reference", design.network.predict(x)))
    for label, ref in references:
        _compare(f"{label} vs program", flat_samples(ref).astype(np.float64), design.program.output_values(expected))
    _compare("program vs RTL", expected, simulate(design, codes))
    print(mismatch_line(0, len(codes)))
    return VerifyResult(len(codes), expected.shape[1], design.latency_cycles, time.perf_counter() - start)


def verify_codes(design, codes: np.ndarray) -> VerifyResult:
    """Check the RTL against the program on integer input codes (n_samples, n_inputs); prints and raises
    like ``verify``."""
    start = time.perf_counter()
    expected = design.program.run(codes)  # checks the codes, once
    _compare("program vs RTL", expected, simulate(design, np.asarray(codes, np.int64)))
    print(mismatch_line(0, len(codes)))
    return VerifyResult(len(codes), expected.shape[1], design.latency_cycles, time.perf_counter() - start)


def _compare(pair: str, left: np.ndarray, right: np.ndarray) -> None:
    if left.shape != right.shape:
        first, second = pair.split(" vs ")
        raise ValueError(f"{first} outputs have shape {left.shape}, {second} outputs {right.shape}")
    differs = left != right
    bad = np.argwhere(differs)
    if len(bad):
        i, j = bad[0]
        n_bad_samples = int(np.any(differs, axis=1).sum())
        print(f"{mismatch_line(n_bad_samples, len(left))} ({pair})")
        raise MismatchError(pair, int(i), int(j), left[i, j].item(), right[i, j].item(), len(bad), n_bad_samples,
                            len(left))
