"""A trained network as a graph of exact fixed-point tensor ops, and its NumPy reference.

This is what ``quant.from_keras`` returns and what ``da_core`` lowers to scalar
ops. ``Network.predict`` is the bit-exact reference: float64 throughout, with
every product and sum done on integer codes so no rounding can hide.

The op set is small on purpose: ``Dense`` and ``Linear`` (one dyadic matrix at
many positions: dense, einsum, convolution, batch normalization), elementwise
``Relu``, ``LeakyRelu``, ``Quantize``, ``Table`` (lookup tables) and ``Merge``
(add, sub, max, min), ``Pool`` (max or power-of-two average over windows), and
the layout ops ``Reshape`` and ``Concatenate``; ``Gather`` (any layout: slicing,
transposes, padding, repeats) and ``Clip`` (bounds by constants) serve Keras ops.
Reductions and arithmetic with constants are ``Linear``; ``Einsum`` is the one op on
two variables: their elementwise product, dot product or any einsum.

Where HGQ2 leaves a value unquantized, its float32 forward pass is what the model
computes: ``Network.forward`` refuses any value float32 cannot hold exactly.
"""

from dataclasses import dataclass

import numpy as np

from .fixed import quantize

FLOAT64_EXACT_BITS = 53
FLOAT32_EXACT_BITS = 24
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
        return exact_affine(x_codes, x_exp, self.kernel, self.bias, np.matmul, "dense")

    def as_linear(self, shape: tuple[int, ...]) -> "Linear":
        """This Dense on a tensor of feature shape ``shape`` as the ``Linear`` it is: one position per leading index."""
        n_in, n_out = self.kernel.shape
        size = int(np.prod(shape))
        positions = size // n_in
        bias = None if self.bias is None else np.broadcast_to(self.bias, (positions, n_out))
        return Linear(np.arange(size).reshape(positions, n_in), self.kernel, bias,
                      np.arange(positions * n_out).reshape(positions, n_out), (*shape[:-1], n_out))


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
class Linear:
    """The same dyadic matrix applied at many positions: ``y[out_index[p]] = x[patches[p]] @ kernel + bias[p]``.

    Dense layers (one position per leading index), einsum layers and convolutions
    (one position per output pixel, its receptive field gathered by ``patches``) are
    all of this form, so a solver sees each kernel once. ``patches`` (P, L) holds flat
    input indices, -1 for zero padding; ``out_index`` (P, N) the flat output index of
    each result; ``bias`` (P, N) or None; ``out_shape`` the output's feature shape.
    """

    patches: np.ndarray
    kernel: np.ndarray
    bias: np.ndarray | None
    out_index: np.ndarray
    out_shape: tuple[int, ...]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        n = len(x)
        x_codes, x_exp = to_codes(x.reshape(n, -1))
        gathered = np.where(self.patches >= 0, x_codes[:, np.maximum(self.patches, 0)], 0)  # (n, P, L)
        values = exact_affine(gathered, x_exp, self.kernel, self.bias,
                              lambda g, w: np.einsum("npl,lo->npo", g, w), "linear")
        out = np.zeros((n, int(np.prod(self.out_shape))), np.float64)
        out[:, self.out_index.reshape(-1)] = values.reshape(n, -1)
        return out.reshape(n, *self.out_shape)


@dataclass(frozen=True)
class LeakyRelu:
    """``x`` where ``x >= 0``, else ``slope * x``; the slope is dyadic."""

    slope: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x_codes, x_exp = to_codes(x)
        s_codes, s_exp = to_codes(np.array([self.slope]))
        scaled = x_codes * int(s_codes[0])
        if np.abs(scaled).max(initial=0) >= 2**FLOAT64_EXACT_BITS:
            raise OverflowError("leaky relu product exceeds 53 bits")
        return np.where(x >= 0, x, scaled * 2.0 ** (x_exp + s_exp))


@dataclass(frozen=True)
class Table:
    """A lookup table per element: ``y[e] = tables[table_of[e]][x[e] / 2**exp[e] - lo[e]]``.

    Every input code of the element's format (lo .. lo + len - 1 at exponent exp[e])
    has an entry, so the table is exact by construction.
    """

    exp: np.ndarray  # (n,) int, per element
    lo: np.ndarray  # (n,) int
    table_of: np.ndarray  # (n,) int
    tables: tuple  # of 1-D float64 arrays (exact dyadic values)
    shape: tuple[int, ...]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        n = len(x)
        flat = x.reshape(n, -1)
        out = np.empty_like(flat)
        for e in range(flat.shape[1]):
            codes = flat[:, e] * 2.0 ** -int(self.exp[e]) - int(self.lo[e])
            table = self.tables[int(self.table_of[e])]
            if not np.all(codes == np.round(codes)) or codes.min(initial=0) < 0 or codes.max(initial=0) >= len(table):
                raise ValueError(f"table input {e} is off the table's grid or range")
            out[:, e] = table[codes.astype(np.int64)]
        return out.reshape(x.shape)


@dataclass(frozen=True)
class Merge:
    """Elementwise ``add``, ``sub`` (first minus second), ``max`` or ``min`` of same-shape tensors."""

    kind: str

    def __call__(self, *xs: np.ndarray) -> np.ndarray:
        if self.kind == "sub":
            if len(xs) != 2:
                raise ValueError("sub takes two inputs")
            return _exact_sum([xs[0], -xs[1]])
        if self.kind == "add":
            return _exact_sum(list(xs))
        pick = np.maximum if self.kind == "max" else np.minimum
        out = xs[0]
        for x in xs[1:]:
            out = pick(out, x)
        return out


@dataclass(frozen=True)
class Pool:
    """``max`` or ``sum`` over windows of flat input indices (P, W; -1 = padding, ignored), times 2**shift."""

    kind: str
    windows: np.ndarray
    shift: int
    out_shape: tuple[int, ...]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        n = len(x)
        flat = x.reshape(n, -1)
        valid = self.windows >= 0
        gathered = flat[:, np.maximum(self.windows, 0)]  # (n, P, W)
        if self.kind == "max":
            out = np.where(valid, gathered, -np.inf).max(axis=2)
        else:
            codes, exp = to_codes(np.where(valid, gathered, 0.0))
            acc = codes.sum(axis=2)
            if np.abs(acc).max(initial=0) >= 2**FLOAT64_EXACT_BITS:
                raise OverflowError("pool sum exceeds 53 bits")
            out = acc * 2.0 ** (exp + self.shift)
        return out.reshape(n, *self.out_shape)


@dataclass(frozen=True)
class Reshape:
    """A new feature shape, same elements in C order (Flatten, Reshape)."""

    shape: tuple[int, ...]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(len(x), *self.shape)


@dataclass(frozen=True)
class Concatenate:
    """Join tensors along a feature axis (0 = the first feature axis)."""

    axis: int

    def __call__(self, *xs: np.ndarray) -> np.ndarray:
        return np.concatenate(xs, axis=self.axis + 1)


# ---- ops of Keras ops and layout layers ---------------------------------------------------------------------
@dataclass(frozen=True)
class Gather:
    """``y.flat[j] = xs.flat[index[j]]`` over the inputs flattened and joined (first input first); -1 = zero.

    One op for every layout: slicing, transposes, padding, cropping, repeats, stacks, splits, broadcasts.
    """

    index: np.ndarray
    out_shape: tuple[int, ...]

    def __call__(self, *xs: np.ndarray) -> np.ndarray:
        n = len(xs[0])
        flat = np.concatenate([x.reshape(n, -1) for x in xs], axis=1)
        out = np.where(self.index >= 0, flat[:, np.maximum(self.index, 0)], 0.0)
        return out.reshape(n, *self.out_shape)


@dataclass(frozen=True)
class Clip:
    """``min(max(x, lo), hi)`` with constant bounds per element (arrays of the feature shape; +-inf = none)."""

    lo: np.ndarray
    hi: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.minimum(np.maximum(x, self.lo), self.hi)


# ---- products of two variable tensors ---------------------------------------------------------------------
@dataclass(frozen=True)
class Einsum:
    """``y = einsum(equation, a, b)`` of two variable tensors, exactly, reshaped to ``out_shape``.

    The equation names feature axes only (the batch axis is implied, e.g. ``"qhd,khd->hqk"``); an
    elementwise product is ``Einsum.elementwise(shape)``. HGQ2 multiplies and sums in float32 in an order
    of its own, so every partial sum must be exact in float32: a sum whose positive or negative terms could
    pass 24 significant bits is refused, as is any product past them.
    """

    equation: str
    a_shape: tuple[int, ...]
    b_shape: tuple[int, ...]
    out_shape: tuple[int, ...]

    @classmethod
    def elementwise(cls, shape: tuple[int, ...]) -> "Einsum":
        axes = "".join(chr(ord("a") + j) for j in range(len(shape)))
        return cls(f"{axes},{axes}->{axes}", tuple(shape), tuple(shape), tuple(shape))

    @property
    def operands(self) -> tuple[str, str, str]:
        """The axis letters of a, b and the result."""
        lhs, out = self.equation.replace(" ", "").split("->")
        a, b = lhs.split(",")
        return a, b, out

    def pairs(self) -> np.ndarray:
        """(n_out, L, 2): per flat output element, the flat indices into a and b of its L products."""
        a, b, out = self.operands
        size = {c: n for letters, shape in ((a, self.a_shape), (b, self.b_shape)) for c, n in zip(letters, shape)}
        letters = sorted(size)
        grid = np.indices([size[c] for c in letters]).reshape(len(letters), -1)

        def flat(axes: str) -> np.ndarray:
            if not axes:
                return np.zeros(grid.shape[1], np.int64)
            return np.ravel_multi_index([grid[letters.index(c)] for c in axes], [size[c] for c in axes])

        order = np.argsort(flat(out), kind="stable")
        n_out = int(np.prod([size[c] for c in out]))
        return np.stack([flat(a)[order], flat(b)[order]], axis=-1).reshape(n_out, -1, 2)

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        n = len(a)
        (ca, ea), (cb, eb) = to_codes(a.reshape(n, -1)), to_codes(b.reshape(n, -1))
        la, lb, lo = self.operands
        equation = f"...{la},...{lb}->...{lo}"

        def contract(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            return np.einsum(equation, x.reshape(n, *self.a_shape), y.reshape(n, *self.b_shape)).reshape(n, -1)

        pa, na, pb, nb = (np.maximum(c, 0) * 1.0 for c in (ca, -ca, cb, -cb))  # float64: no int64 overflow
        bound = np.maximum(contract(pa, pb) + contract(na, nb), contract(pa, nb) + contract(na, pb))
        if bound.max(initial=0) >= 2.0**INT64_SAFE_BITS:
            raise OverflowError("einsum exceeds 62 bits: the reference cannot be exact")
        # every partial sum lies within the sum of its positive (or negative) terms; float32 holds it exactly
        # while that spans at most 24 bits above the lowest bit of the output's products
        pairs = self.pairs()
        lowest = (_lowest_bits(ca)[pairs[..., 0]] + _lowest_bits(cb)[pairs[..., 1]]).min(axis=1)
        if np.any(bound > 2.0 ** (FLOAT32_EXACT_BITS + lowest)):
            raise OverflowError(f"a product or partial sum may need more than float32's {FLOAT32_EXACT_BITS} "
                                "significant bits; HGQ2's float32 forward pass rounds it, so no exact reference exists "
                                "(quantize the operands to fewer bits first)")
        return contract(ca, cb).reshape(n, *self.out_shape) * 2.0 ** (ea + eb)


def _lowest_bits(codes: np.ndarray) -> np.ndarray:
    """Per element (column): the lowest bit set in any sample's code (62 when always 0)."""
    seen = np.bitwise_or.reduce(np.abs(codes), axis=0)
    return np.where(seen == 0, INT64_SAFE_BITS, np.log2(np.maximum(seen & -seen, 1)).astype(np.int64))


def _exact_sum(xs: list[np.ndarray]) -> np.ndarray:
    codes = [to_codes(x) for x in xs]
    exp = min(e for _, e in codes)
    acc = sum(c << (e - exp) for c, e in codes)
    if np.abs(acc).max(initial=0) >= 2**FLOAT64_EXACT_BITS:
        raise OverflowError("sum exceeds 53 bits: float64 cannot hold it exactly")
    return acc * 2.0**exp


@dataclass(frozen=True)
class Node:
    """One op applied to named tensors; ``source`` names the Keras layer it came from."""

    name: str
    op: ("Dense | Linear | Relu | LeakyRelu | Quantize | Table | Merge | Pool | Reshape | Concatenate | Gather | Clip "
         "| Einsum")
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
    """A trained model as named fixed-point tensor ops in topological order, and its exact NumPy reference.

    It is what the front end reads and what ``da_core.lower`` solves, so the reference that the Verilog is
    checked against and the program it is made from are the same description.
    """

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
        values = self._tensors(quantized)
        return [values[n] for n in self.outputs]

    def trace(self, x) -> dict[str, np.ndarray]:
        """Every tensor of the reference on raw inputs ``x``, by name: the model inputs (quantized) and each
        node's output, (n_samples, *feature shape). What profiling compares with the formats."""
        return self._tensors(self.quantize_inputs(x))

    def _tensors(self, quantized: list[np.ndarray]) -> dict[str, np.ndarray]:
        values = {spec.name: a for spec, a in zip(self.inputs, quantized)}
        for node in self.nodes:
            try:
                values[node.name] = value = node.op(*(values[n] for n in node.inputs))
            except OverflowError as error:
                raise OverflowError(f"{node.source or node.name}: {error}") from None
            if not np.array_equal(value.astype(np.float32), value):
                raise OverflowError(f"{node.source or node.name}: a value needs more than float32's "
                                    f"{FLOAT32_EXACT_BITS} significant bits; HGQ2's float32 forward pass rounds it, "
                                    "so no exact reference exists (quantize it to fewer bits first)")
        return values

    def predict(self, x) -> np.ndarray | list[np.ndarray]:
        """The bit-exact reference of the model on raw inputs, like ``model.predict``."""
        out = self.forward(self.quantize_inputs(x))
        return out[0] if len(out) == 1 else out


def exact_affine(x_codes: np.ndarray, x_exp: int, kernel: np.ndarray, bias: np.ndarray | None, contract,
                 what: str) -> np.ndarray:
    """``contract(x, kernel) + bias`` on integer codes, returned as exact float64 values.

    Refuses (OverflowError) any accumulator past 62 bits or any result past float64's 53.
    """
    w_codes, w_exp = to_codes(kernel)
    bound = int(np.abs(x_codes).max(initial=0)) * int(np.abs(w_codes).sum(axis=0).max(initial=0))
    if bound.bit_length() > INT64_SAFE_BITS:
        raise OverflowError(f"{what} accumulator exceeds 62 bits: the reference cannot be exact")
    acc, exp = contract(x_codes, w_codes), x_exp + w_exp
    if bias is not None:
        b_codes, b_exp = to_codes(bias)
        exp, (acc, b_codes) = min(exp, b_exp), (acc << max(exp - b_exp, 0), b_codes << max(b_exp - exp, 0))
        acc = acc + b_codes
    if np.abs(acc).max(initial=0) >= 2**FLOAT64_EXACT_BITS:
        raise OverflowError(f"{what} output exceeds 53 bits: float64 cannot hold it exactly")
    return acc * 2.0**exp


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
