"""A trained network as a graph of exact fixed-point tensor ops, and its NumPy reference.

This is what ``quant.from_keras`` returns and what ``da_core`` lowers to scalar
ops. ``Network.predict`` is the bit-exact reference: float64 throughout, with
every dense product done on integer codes so no rounding can hide.
"""

from dataclasses import dataclass

import numpy as np

from .fixed import quantize

FLOAT64_EXACT_BITS = 53
INT64_SAFE_BITS = 62


@dataclass(frozen=True)
class Quantizer:
    """An HGQ2 quantizer frozen to its integer format; k, i, f broadcast to the tensor's feature shape."""

    k: np.ndarray
    i: np.ndarray
    f: np.ndarray
    round_mode: str
    overflow_mode: str

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return quantize(x, self.k, self.i, self.f, self.round_mode, self.overflow_mode)

    def formats(self, shape: tuple[int, ...]) -> np.ndarray:
        """(k, i, f) of every element of a tensor of the given feature shape, C order: int array (n, 3)."""
        kif = [np.broadcast_to(a, shape).reshape(-1) for a in (self.k, self.i, self.f)]
        return np.stack(kif, axis=1).astype(np.int64)


@dataclass(frozen=True)
class Dense:
    """``y = x @ kernel + bias`` over the last axis; kernel and bias are exact dyadic numbers."""

    kernel: np.ndarray  # (n_in, n_out)
    bias: np.ndarray | None  # (n_out,)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x_codes, x_exp = to_codes(x)
        w_codes, w_exp = to_codes(self.kernel)
        bound = int(np.abs(x_codes).max(initial=0)) * int(np.abs(w_codes).sum(axis=0).max(initial=0))
        if bound.bit_length() > INT64_SAFE_BITS:
            raise OverflowError("dense accumulator exceeds 62 bits: the reference cannot be exact")
        acc, exp = x_codes @ w_codes, x_exp + w_exp
        if self.bias is not None:
            b_codes, b_exp = to_codes(self.bias)
            exp, (acc, b_codes) = min(exp, b_exp), (acc << max(exp - b_exp, 0), b_codes << max(b_exp - exp, 0))
            acc = acc + b_codes
        if np.abs(acc).max(initial=0) >= 2**FLOAT64_EXACT_BITS:
            raise OverflowError("dense output exceeds 53 bits: float64 cannot hold it exactly")
        return acc * 2.0**exp


@dataclass(frozen=True)
class Relu:
    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0.0)


@dataclass(frozen=True)
class Quantize:
    quantizer: Quantizer

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.quantizer(x)


@dataclass(frozen=True)
class Node:
    """One op applied to named tensors; ``source`` names the Keras layer it came from."""

    name: str
    op: Dense | Relu | Quantize
    inputs: tuple[str, ...]
    source: str = ""


@dataclass(frozen=True)
class Input:
    """A model input: its feature shape and the quantizer HGQ2 applies to the raw floats."""

    name: str
    shape: tuple[int, ...]
    quantizer: Quantizer


@dataclass(frozen=True)
class Network:
    inputs: tuple[Input, ...]
    nodes: tuple[Node, ...]
    outputs: tuple[str, ...]

    def quantize_inputs(self, x) -> list[np.ndarray]:
        """Raw float inputs (one array, or a list for several inputs) -> exact quantized values."""
        xs = [x] if not isinstance(x, (list, tuple)) else list(x)
        if len(xs) != len(self.inputs):
            raise ValueError(f"the network has {len(self.inputs)} inputs, got {len(xs)} arrays")
        out = []
        for spec, a in zip(self.inputs, xs):
            a = np.asarray(a, dtype=np.float32).astype(np.float64)  # HGQ2 sees float32 inputs
            if a.shape[1:] != spec.shape:
                raise ValueError(f"input {spec.name!r} expects samples of shape {spec.shape}, got {a.shape[1:]}")
            out.append(spec.quantizer(a))
        return out

    def forward(self, quantized: list[np.ndarray]) -> list[np.ndarray]:
        """Evaluate on already-quantized inputs."""
        values = {spec.name: a for spec, a in zip(self.inputs, quantized)}
        for node in self.nodes:
            values[node.name] = node.op(*(values[n] for n in node.inputs))
        return [values[n] for n in self.outputs]

    def predict(self, x) -> np.ndarray | list[np.ndarray]:
        """The bit-exact reference of the model on raw inputs, like ``model.predict``."""
        out = self.forward(self.quantize_inputs(x))
        return out[0] if len(out) == 1 else out


def to_codes(a: np.ndarray) -> tuple[np.ndarray, int]:
    """Exact integer codes and the coarsest common exponent with ``a == codes * 2**exp``."""
    a = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError("values must be finite")
    mantissa, exps = np.frexp(a[a != 0])
    if exps.size == 0:
        return np.zeros(a.shape, np.int64), 0
    m = np.abs(np.ldexp(mantissa, FLOAT64_EXACT_BITS)).astype(np.int64)  # exact 53-bit integers
    lowest_bit = exps - FLOAT64_EXACT_BITS + np.log2(m & -m).astype(np.int64)
    exp = int(lowest_bit.min())
    codes = np.ldexp(a, -exp)
    if np.abs(codes).max() >= 2.0**INT64_SAFE_BITS:
        raise OverflowError("values span more than 62 bits: not a fixed-point tensor")
    return codes.astype(np.int64), exp
