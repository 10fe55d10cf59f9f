"""Reads a trained Keras 3 / HGQ2 model into a ``Network``.

Functional models (several inputs and outputs, branches, skip connections) and
Sequential models are read in topological order. Only what can be made
bit-exact is accepted; anything else is refused with an error that names the
layer, its class and what is supported instead.
"""

import math

import numpy as np

from .network import (Concatenate, Dense, Input, LeakyRelu, Linear, Merge, Network, Node, Pool, Quantize, Quantizer,
                      Relu, Reshape, Table, to_codes)

SUPPORTED = ("QDense, QBatchNormDense, QEinsumDense, QEinsumDenseBatchnorm, QBatchNormalization, QConv1D, QConv2D, "
             "QMaxPool1D/2D, QAvgPool1D/2D, QGlobalMaxPool1D/2D, QGlobalAvgPool1D/2D, QAdd, QSubtract, QMaximum, "
             "QMinimum, QUnaryFunctionLUT, Quantizer, Concatenate, Flatten, Reshape, Dropout, ReLU, LeakyReLU, "
             "Activation('relu' or 'linear'), InputLayer")
MAX_TABLE_BITS = 14  # input bits of a lookup table: 16,384 entries per distinct table


class UnsupportedLayerError(ValueError):
    """A layer, or a layer option, that adderflow cannot convert exactly."""


class NotCalibratedError(ValueError):
    """WRAP activation quantizers whose integer bits were never calibrated."""


def from_keras(model) -> Network:
    """The network of fixed-point ops of a trained, calibrated HGQ2 model.

    Call ``hgq.utils.trace_minmax(model, data)`` after training and before this.
    """
    import hgq  # noqa: F401  (registers HGQ2's layer classes with Keras)
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a keras.Model, got {type(model).__name__}")
    graph = getattr(model, "_functional", None) if isinstance(model, keras.Sequential) else model
    if graph is None:
        raise UnsupportedLayerError(f"sequential model {model.name!r} has no input shape yet; start it with "
                                    "keras.Input(shape) so that its graph is known")
    if not hasattr(graph, "operations") or getattr(graph, "inputs", None) is None:
        raise UnsupportedLayerError(f"model {model.name!r} ({type(model).__name__}) is not a functional or "
                                    "sequential model; subclassed models cannot be read layer by layer")
    return _Reader(model, graph).read()


class _Reader:
    def __init__(self, model, graph):
        self.model, self.graph = model, graph
        self.nodes: list[Node] = []
        self.names: dict[int, str] = {}  # id(KerasTensor) -> network tensor name
        self.shapes: dict[str, tuple[int, ...]] = {}

    def read(self) -> Network:
        import keras

        inputs = []
        for n, t in enumerate(self.graph.inputs):
            shape = tuple(int(d) for d in t.shape[1:])
            name = f"input_{n}" if len(self.graph.inputs) > 1 else "input"
            inputs.append(Input(name, shape, self._port_quantizer(t, shape)))
            self._bind(t, name, shape)
        for layer in self.graph.operations:
            if isinstance(layer, keras.layers.InputLayer):
                continue
            calls = [node for node in layer._inbound_nodes
                     if node.input_tensors and all(id(t) in self.names for t in node.input_tensors)]
            if len(calls) != 1:
                raise UnsupportedLayerError(f"{_where(layer)} is called {len(calls)} times in model "
                                            f"{self.model.name!r}; shared layers are not supported, use one layer "
                                            "per call")
            call = calls[0]
            ins = [self.names[id(t)] for t in call.input_tensors]
            out = self._layer(layer, ins, call)
            outs = call.output_tensors
            if len(outs) != 1:
                raise UnsupportedLayerError(f"{_where(layer)} has {len(outs)} outputs; supported: one output per layer")
            self._bind(outs[0], out, tuple(int(d) for d in outs[0].shape[1:]))
        outputs = tuple(self.names[id(t)] for t in self.graph.outputs)
        network = Network(tuple(inputs), tuple(self.nodes), outputs)
        _check_calibrated(self.model, network)
        return network

    def _bind(self, tensor, name: str, shape: tuple[int, ...]) -> None:
        self.names[id(tensor)] = name
        if self.shapes.get(name, shape) != shape:
            raise AssertionError(f"shape of {name} read as {self.shapes[name]}, Keras says {shape}")
        self.shapes[name] = shape

    def _add(self, layer, suffix: str, op, inputs: list[str], shape: tuple[int, ...]) -> str:
        name = f"{layer.name}/{suffix}"
        self.nodes.append(Node(name, op, tuple(inputs), f"{layer.name} ({type(layer).__name__})"))
        self.shapes[name] = tuple(shape)
        return name

    # ---- the model inputs -------------------------------------------------------------------------------
    def _port_quantizer(self, tensor, shape) -> Quantizer:
        """The quantizer HGQ2 applies to a model input: the one of the layers that read it (through layout layers)."""
        found = list(self._quantizers_reading(tensor))
        hint = "put an hgq Quantizer layer (or a layer with enable_iq=True) first"
        if not found:
            raise UnsupportedLayerError(f"the model input is not quantized: no layer reads {tensor.name!r}; {hint}")
        for q, where in found:
            if q is None:
                raise UnsupportedLayerError(f"the model input is not quantized: {where} reads {tensor.name!r} without "
                                            f"an input quantizer (enable_iq=False, or a layer that has none); {hint}")
        (q0, where0), rest = found[0], found[1:]
        q0 = _reshaped(q0, shape)
        formats0 = q0.formats(shape)
        for q, where in rest:
            q = _reshaped(q, shape)
            if (q.round_mode, q.overflow_mode) != (q0.round_mode, q0.overflow_mode) or \
                    not np.array_equal(q.formats(shape), formats0):
                raise UnsupportedLayerError(
                    f"the model input {tensor.name!r} is quantized differently by {where0} and {where}; the ports "
                    "carry one fixed-point format per input: put one hgq Quantizer layer right after the input")
        return q0

    def _quantizers_reading(self, tensor):
        import keras
        from hgq.quantizer import Quantizer as HQuantizer

        for layer in self.graph.operations:
            for node in layer._inbound_nodes:
                ids = [id(t) for t in node.input_tensors]
                if id(tensor) not in ids:
                    continue
                j = ids.index(id(tensor))
                if isinstance(layer, HQuantizer):
                    yield _read_quantizer(layer, layer), _where(layer)
                elif isinstance(layer, (keras.layers.Flatten, keras.layers.Reshape, keras.layers.Dropout)):
                    yield from self._quantizers_reading(node.output_tensors[0])
                elif getattr(layer, "enable_iq", False):
                    iq = layer.iq[j] if _is_multi_input(layer) else layer.iq
                    yield _read_quantizer(iq, layer), _where(layer)
                else:
                    yield None, _where(layer)

    # ---- one layer ----------------------------------------------------------------------------------------
    def _layer(self, layer, ins: list[str], call) -> str:
        import keras
        from hgq import layers as hl
        from hgq.quantizer import Quantizer as HQuantizer

        if isinstance(layer, HQuantizer):
            return self._add(layer, "q", Quantize(_read_quantizer(layer, layer)), ins, self.shapes[ins[0]])
        t = type(layer)
        if t is hl.QSoftmax:
            raise UnsupportedLayerError(
                f"{_where(layer)} is not supported: HGQ2's softmax multiplies two variable tensors (exp table x "
                "inverse table) and rounds its tables with RND_CONV; it cannot be made multiplier-free. Supported "
                "instead: drop the softmax (argmax is unchanged) or use a QUnaryFunctionLUT")
        if t in (keras.layers.Dropout,):
            return ins[0]
        if t in (keras.layers.Flatten, keras.layers.Reshape):
            shape = tuple(int(d) for d in call.output_tensors[0].shape[1:])
            return self._add(layer, "reshape", Reshape(shape), ins, shape)
        if t is keras.layers.Concatenate:
            rank = len(self.shapes[ins[0]]) + 1
            axis = layer.axis % rank
            if axis == 0:
                raise UnsupportedLayerError(f"{_where(layer)} concatenates along the batch axis; supported: feature axes")
            shape = tuple(int(d) for d in call.output_tensors[0].shape[1:])
            return self._add(layer, "concat", Concatenate(axis - 1), ins, shape)
        if t is keras.layers.ReLU:
            if layer.max_value is not None or float(layer.threshold) != 0.0:
                raise UnsupportedLayerError(f"{_where(layer)} has max_value or threshold; supported: ReLU with "
                                            "neither (an optional dyadic negative_slope)")
            return self._relu(layer, ins[0], float(layer.negative_slope))
        if t is keras.layers.LeakyReLU:
            return self._relu(layer, ins[0], float(layer.negative_slope))
        if t is keras.layers.Activation:
            return self._post_activation(layer, ins[0])
        if t is hl.QUnaryFunctionLUT:
            return self._table(layer, ins[0])
        handler = {hl.QDense: self._dense, hl.QBatchNormDense: self._dense, hl.QEinsumDense: self._einsum,
                   hl.QEinsumDenseBatchnorm: self._einsum, hl.QConv1D: self._conv, hl.QConv2D: self._conv,
                   hl.QBatchNormalization: self._batchnorm,
                   hl.QMaxPool1D: self._pool, hl.QMaxPool2D: self._pool, hl.QAvgPool1D: self._pool,
                   hl.QAvgPool2D: self._pool, hl.QGlobalMaxPool1D: self._global_pool,
                   hl.QGlobalMaxPool2D: self._global_pool, hl.QGlobalAvgPool1D: self._global_pool,
                   hl.QGlobalAvgPool2D: self._global_pool,
                   hl.QAdd: self._merge, hl.QSubtract: self._merge, hl.QMaximum: self._merge,
                   hl.QMinimum: self._merge}.get(t)
        if handler is None:
            raise UnsupportedLayerError(f"{_where(layer)} is not supported; supported: {SUPPORTED}")
        if _is_multi_input(layer):
            xs = [self._iq(layer, x, j) for j, x in enumerate(ins)]
            out = handler(layer, xs, call)
        else:
            out = handler(layer, self._iq(layer, ins[0]), call)
        if getattr(layer, "enable_oq", False):
            out = self._add(layer, "oq", Quantize(_read_quantizer(layer.oq, layer)), [out], self.shapes[out])
        return out

    def _iq(self, layer, x: str, j: int | None = None) -> str:
        if not layer.enable_iq:
            return x
        iq = layer.iq[j] if j is not None else layer.iq
        suffix = "iq" if j is None else f"iq{j}"
        return self._add(layer, suffix, Quantize(_read_quantizer(iq, layer)), [x], self.shapes[x])

    def _post_activation(self, layer, x: str) -> str:
        _check_activation(layer)
        if _activation_name(layer) == "relu":
            return self._add(layer, "relu", Relu(), [x], self.shapes[x])
        return x

    def _relu(self, layer, x: str, slope: float) -> str:
        if slope == 0.0:
            return self._add(layer, "relu", Relu(), [x], self.shapes[x])
        codes, _ = to_codes(np.array([slope]))
        if abs(int(codes[0])).bit_length() > 16:
            raise UnsupportedLayerError(f"{_where(layer)} has negative_slope {slope!r}, not a short dyadic number; "
                                        "supported: slopes like 0.125 or 0.3125 (at most 16 significant bits)")
        return self._add(layer, "leaky_relu", LeakyRelu(slope), [x], self.shapes[x])

    def _dense(self, layer, x: str, call) -> str:
        _check_activation(layer)
        bias = None if layer.bias is None else np.asarray(layer.qbias, dtype=np.float64)
        kernel = np.asarray(layer.qkernel, dtype=np.float64)
        shape = self.shapes[x][:-1] + (kernel.shape[1],)
        return self._post_activation(layer, self._add(layer, "dense", Dense(kernel, bias), [x], shape))

    def _einsum(self, layer, x: str, call) -> str:
        _check_activation(layer)
        out_shape = tuple(int(d) for d in call.output_tensors[0].shape[1:])
        bias = None if layer.bias is None else np.asarray(layer.qbias, dtype=np.float64)
        op = einsum_linear(layer.equation, self.shapes[x], np.asarray(layer.qkernel, dtype=np.float64), bias,
                           out_shape)
        return self._post_activation(layer, self._add(layer, "einsum", op, [x], out_shape))

    def _conv(self, layer, x: str, call) -> str:
        _check_activation(layer)
        if layer.data_format != "channels_last" or layer.groups != 1 or any(d != 1 for d in layer.dilation_rate) \
                or layer.padding not in ("valid", "same"):
            raise UnsupportedLayerError(
                f"{_where(layer)} has data_format={layer.data_format!r}, groups={layer.groups}, dilation_rate="
                f"{layer.dilation_rate}, padding={layer.padding!r}; supported: channels_last, groups=1, dilation 1, "
                "padding 'valid' or 'same', any strides")
        kernel = np.asarray(layer.qkernel, dtype=np.float64)
        in_shape = self.shapes[x]
        out_spatial, taps = window_geometry(in_shape[:-1], kernel.shape[:-2], layer.strides, layer.padding)
        c_in, c_out = in_shape[-1], kernel.shape[-1]
        # taps: (P, K) flat spatial input index per kernel offset, -1 = padding; patch order = (offset, channel)
        patches = np.where(taps[:, :, None] >= 0, taps[:, :, None] * c_in + np.arange(c_in), -1).reshape(len(taps), -1)
        n_pos = len(taps)
        bias = None if layer.bias is None else np.broadcast_to(np.asarray(layer.qbias, np.float64), (n_pos, c_out))
        out_index = np.arange(n_pos * c_out).reshape(n_pos, c_out)
        op = Linear(patches, kernel.reshape(-1, c_out), bias, out_index, tuple(out_spatial) + (c_out,))
        return self._post_activation(layer, self._add(layer, "conv", op, [x], op.out_shape))

    def _batchnorm(self, layer, x: str, call) -> str:
        shape = self.shapes[x]
        axis = layer.axis if isinstance(layer.axis, int) else None
        if axis is None:
            raise UnsupportedLayerError(f"{_where(layer)} normalizes several axes {layer.axis}; supported: one axis")
        axis = axis % (len(shape) + 1) - 1
        if axis < 0:
            raise UnsupportedLayerError(f"{_where(layer)} normalizes the batch axis; supported: a feature axis")
        scale, offset = (np.asarray(a, dtype=np.float64).reshape(-1) for a in layer.qscaler_and_qoffset)
        index = np.moveaxis(np.arange(int(np.prod(shape))).reshape(shape), axis, -1).reshape(-1, shape[axis])
        op = Linear(index, np.diag(scale), np.broadcast_to(offset, index.shape), index, shape)
        return self._add(layer, "batchnorm", op, [x], shape)

    def _pool(self, layer, x: str, call) -> str:
        if layer.data_format != "channels_last":
            raise UnsupportedLayerError(f"{_where(layer)} has data_format={layer.data_format!r}; supported: "
                                        "channels_last")
        shape = self.shapes[x]
        out_spatial, taps = window_geometry(shape[:-1], layer.pool_size, layer.strides, layer.padding)
        c = shape[-1]
        windows = np.where(taps[:, None, :] >= 0, taps[:, None, :] * c + np.arange(c)[None, :, None], -1)
        return self._add(layer, "pool", self._pool_op(layer, windows.reshape(-1, taps.shape[1]),
                                                        tuple(out_spatial) + (c,)), [x], tuple(out_spatial) + (c,))

    def _global_pool(self, layer, x: str, call) -> str:
        if layer.data_format != "channels_last":
            raise UnsupportedLayerError(f"{_where(layer)} has data_format={layer.data_format!r}; supported: "
                                        "channels_last")
        shape = self.shapes[x]
        c, n = shape[-1], int(np.prod(shape[:-1]))
        windows = np.arange(n)[None, :] * c + np.arange(c)[:, None]  # (C, n)
        out_shape = (1,) * (len(shape) - 1) + (c,) if layer.keepdims else (c,)
        return self._add(layer, "pool", self._pool_op(layer, windows, out_shape), [x], out_shape)

    def _pool_op(self, layer, windows: np.ndarray, out_shape) -> Pool:
        if "Max" in type(layer).__name__:
            return Pool("max", windows, 0, out_shape)
        counts = np.unique((windows >= 0).sum(axis=1))
        if len(counts) != 1 or counts[0] & (counts[0] - 1):
            raise UnsupportedLayerError(
                f"{_where(layer)} averages windows of {sorted(counts.tolist())} elements; averaging is exact only "
                "when every window holds the same power-of-two number of elements (e.g. pool_size 2 or 4, "
                "padding 'valid' that tiles the input)")
        return Pool("sum", windows, -int(counts[0]).bit_length() + 1, out_shape)

    def _merge(self, layer, xs: list[str], call) -> str:
        from hgq import layers as hl

        kind = {hl.QAdd: "add", hl.QSubtract: "sub", hl.QMaximum: "max", hl.QMinimum: "min"}[type(layer)]
        shapes = {self.shapes[x] for x in xs}
        if len(shapes) != 1:
            raise UnsupportedLayerError(f"{_where(layer)} merges tensors of shapes {sorted(shapes)}; supported: "
                                        "equal shapes (no broadcasting)")
        return self._add(layer, kind, Merge(kind), xs, shapes.pop())

    def _table(self, layer, x: str) -> str:
        if not layer.enable_iq:
            raise UnsupportedLayerError(f"{_where(layer)} has enable_iq=False; a table needs the quantized input "
                                        "grid: supported with enable_iq=True")
        shape = self.shapes[x]
        x = self._iq(layer, x)
        return self._add(layer, "table", read_table(layer, shape), [x], shape)


def read_table(layer, shape: tuple[int, ...]) -> Table:
    """Every entry of a QUnaryFunctionLUT, computed by the layer itself (float32, output quantizer included)."""
    import keras

    q = _read_quantizer(layer.iq, layer)
    formats = q.formats(shape)  # (n, 3)
    n = len(formats)
    los, exps, sizes = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    for e, (k, i, f) in enumerate(formats.tolist()):
        i = max(i, -f)
        bits = k + i + f  # >= 0: i + f >= 0 now
        if bits > MAX_TABLE_BITS:
            raise UnsupportedLayerError(f"{_where(layer)} has an input of {bits} bits; tables are supported up to "
                                        f"{MAX_TABLE_BITS} input bits (lower the input quantizer's bit width)")
        los[e], exps[e], sizes[e] = -k << (i + f), -f, 1 << bits
    rows = int(sizes.max())
    j = np.minimum(np.arange(rows)[:, None], sizes[None, :] - 1)
    grid = ((los[None, :] + j) * 2.0 ** exps[None, :]).astype(np.float32)
    values = np.asarray(keras.ops.convert_to_numpy(layer(grid.reshape(rows, *shape), training=False)),
                        dtype=np.float64).reshape(rows, n)
    if not np.all(np.isfinite(values)):
        raise UnsupportedLayerError(f"{_where(layer)} gives non-finite table entries")
    tables, table_of, known = [], np.zeros(n, np.int64), {}
    for e in range(n):
        entry = values[: sizes[e], e]
        key = entry.tobytes()
        if key not in known:
            known[key] = len(tables)
            tables.append(entry.copy())
        table_of[e] = known[key]
    return Table(exps, los, table_of, tuple(tables), tuple(shape))


def window_geometry(in_spatial, window, strides, padding) -> tuple[list[int], np.ndarray]:
    """Output spatial shape and, per output position (C order), the flat input position of each window tap.

    Padding as Keras: 'valid', or 'same' with ``ceil(in / stride)`` outputs and the extra padding after.
    Taps that fall in the padding are -1.
    """
    in_spatial, window, strides = (tuple(int(v) for v in a) for a in (in_spatial, window, strides))
    out, pad = [], []
    for n, k, s in zip(in_spatial, window, strides):
        if padding == "valid":
            out.append((n - k) // s + 1)
            pad.append(0)
        else:
            o = -(-n // s)
            out.append(o)
            pad.append(max((o - 1) * s + k - n, 0) // 2)
    out_pos = np.stack(np.meshgrid(*[np.arange(o) for o in out], indexing="ij"), -1).reshape(-1, len(out))
    taps = np.stack(np.meshgrid(*[np.arange(k) for k in window], indexing="ij"), -1).reshape(-1, len(window))
    coords = out_pos[:, None, :] * np.array(strides) - np.array(pad) + taps[None, :, :]  # (P, K, d)
    inside = np.all((coords >= 0) & (coords < np.array(in_spatial)), axis=2)
    flat = np.ravel_multi_index(tuple(np.clip(coords, 0, np.array(in_spatial) - 1).transpose(2, 0, 1)), in_spatial)
    return out, np.where(inside, flat, -1)


def einsum_linear(equation: str, in_shape, kernel: np.ndarray, bias, out_shape) -> Linear:
    """An einsum layer as a ``Linear``: its matrix found by feeding unit inputs, split into positions
    when input axes pass straight to the output (the same kernel at every position)."""
    in_shape, out_shape = tuple(in_shape), tuple(out_shape)
    n_in, n_out = int(np.prod(in_shape)), int(np.prod(out_shape))
    w_codes, w_exp = to_codes(kernel)
    unit = np.eye(n_in, dtype=np.int64).reshape(n_in, *in_shape)
    M = np.einsum(equation, unit, w_codes).reshape(n_in, n_out)
    b = None if bias is None else np.broadcast_to(bias, out_shape).reshape(-1)
    rows, cols = _einsum_positions(equation, in_shape, out_shape)
    if rows is not None:
        blocks = M[rows[:, :, None], cols[:, None, :]]  # (P, L, N)
        if np.all(blocks == blocks[0]) and np.abs(blocks).sum() == np.abs(M).sum():
            return Linear(rows, blocks[0] * 2.0**w_exp, None if b is None else b[cols], cols, out_shape)
    return Linear(np.arange(n_in)[None, :], M * 2.0**w_exp, None if b is None else b[None, :],
                  np.arange(n_out)[None, :], out_shape)


def _einsum_positions(equation, in_shape, out_shape):
    if "..." in equation:
        return None, None
    lhs, out = equation.replace(" ", "").split("->")
    inp, ker = lhs.split(",")
    inp, out = inp[1:], out[1:]  # drop the batch axis
    if len(inp) != len(in_shape) or len(out) != len(out_shape):
        return None, None
    parallel = [c for c in inp if c in out and c not in ker]
    if not parallel:
        return None, None
    sizes = [in_shape[inp.index(c)] for c in parallel]
    positions = np.stack(np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"), -1).reshape(-1, len(sizes))

    def members(axes: str, shape) -> np.ndarray:
        idx = np.indices(shape).reshape(len(shape), -1)  # (ndim, n) in C order
        flat = np.arange(idx.shape[1])
        sel = []
        for pos in positions:
            mask = np.ones(idx.shape[1], bool)
            for c, v in zip(parallel, pos):
                mask &= idx[axes.index(c)] == v
            sel.append(flat[mask])
        return np.array(sel)

    return members(inp, in_shape), members(out, out_shape)


def _where(layer) -> str:
    return f"layer {layer.name!r} ({type(layer).__name__})"


def _is_multi_input(layer) -> bool:
    from hgq.layers.core.base import QLayerBaseMultiInputs

    return isinstance(layer, QLayerBaseMultiInputs)


def _activation_name(layer) -> str:
    act = getattr(layer, "activation", None)
    if act is None:
        return "linear"
    return getattr(act, "__name__", type(act).__name__)


def _check_activation(layer) -> None:
    if _activation_name(layer) not in ("relu", "linear"):
        raise UnsupportedLayerError(f"{_where(layer)} has activation {_activation_name(layer)!r}; "
                                    "supported: 'relu' or 'linear' (put other functions in a QUnaryFunctionLUT table "
                                    "layer)")


def _reshaped(q: Quantizer | None, shape) -> Quantizer | None:
    """A quantizer read downstream of layout layers, its formats laid out on the input's shape."""
    if q is None:
        return None
    n = int(np.prod(shape))
    k, i, f = (np.asarray(a) for a in (q.k, q.i, q.f))
    if all(a.size == 1 for a in (k, i, f)):
        return q
    try:
        k, i, f = (np.broadcast_to(a, np.broadcast_shapes(k.shape, i.shape, f.shape)).reshape(-1) for a in (k, i, f))
    except ValueError:
        return q
    if k.size != n:
        return q
    return Quantizer(k.reshape(shape), i.reshape(shape), f.reshape(shape), q.round_mode, q.overflow_mode)


def _read_quantizer(q, layer) -> Quantizer:
    """Freeze an HGQ2 ``Quantizer`` to integer (k, i, f) per feature, dropping the batch axis.

    A power-of-two ``scaler`` (quantize x / 2**s, then multiply by 2**s) is the format (k, i + s, f - s).
    """
    where = f"{_where(layer)}, quantizer {q.name!r}"
    affine = getattr(q, "affine", None)
    if affine is not None:
        raise UnsupportedLayerError(f"{where} has an affine transform {affine}; supported: quantizers without one")
    scaler = getattr(q, "scaler", None)
    shift = 0
    if scaler is not None:
        m, e = math.frexp(float(scaler))
        if m != 0.5:
            raise UnsupportedLayerError(f"{where} has scaler {scaler!r}; supported: power-of-two scalers (exact)")
        shift = e - 1
    inner = q.quantizer
    if not hasattr(inner, "kif") or inner.round_mode not in ("TRN", "RND") or \
            inner.overflow_mode not in ("WRAP", "SAT", "SAT_SYM"):
        raise UnsupportedLayerError(f"{where} is {type(inner).__name__} {getattr(inner, 'round_mode', '?')}/"
                                    f"{getattr(inner, 'overflow_mode', '?')}; supported: fixed-point quantizers "
                                    "with rounding TRN or RND and overflow WRAP, SAT or SAT_SYM")
    k, i, f = (np.asarray(t, dtype=np.float64) for t in inner.kif)
    if k.ndim and k.shape[0] == 1:  # the shared batch axis of a datalane quantizer
        k, i, f = k[0], i[0], f[0]
    return Quantizer(k.astype(np.int64), i.astype(np.int64) + shift, f.astype(np.int64) - shift, inner.round_mode,
                     inner.overflow_mode)


def _check_calibrated(model, network: Network) -> None:
    """Refuse WRAP activation quantizers left as training set them.

    ``trace_minmax`` sets every integer-bit count to a whole number and every
    keep-negative bit to whether negatives were seen. Training leaves fractional
    integer bits (they decay by steps of 0.01) and never clears keep-negative, so
    a quantizer right after a ReLU that still keeps negatives was never traced.
    """
    hint = "call hgq.utils.trace_minmax(model, calibration_data) after training, then convert"
    for layer in model.layers:
        for q in _wrap_quantizers(layer):
            raw_i = np.asarray(q.quantizer._i, dtype=np.float64)
            if np.any(raw_i != np.round(raw_i)):
                raise NotCalibratedError(f"model {model.name!r} is not calibrated: quantizer {q.name!r} of layer "
                                         f"{layer.name!r} has integer bits set by training, not by tracing; {hint}")
    made_by = {node.name: node.op for node in network.nodes}
    for node in network.nodes:
        if isinstance(node.op, Quantize) and node.op.quantizer.overflow_mode == "WRAP" and \
                isinstance(made_by.get(node.inputs[0]), Relu) and np.any(node.op.quantizer.k != 0):
            raise NotCalibratedError(f"model {model.name!r} is not calibrated: {node.source} keeps a sign bit for "
                                     f"the output of a ReLU; {hint}")


def _wrap_quantizers(layer):
    from hgq.quantizer import Quantizer as HQuantizer

    for sub in layer._flatten_layers(include_self=True, recursive=True):
        if isinstance(sub, HQuantizer) and getattr(sub.quantizer, "overflow_mode", None) == "WRAP" and \
                hasattr(sub.quantizer, "_i") and not getattr(sub.quantizer, "_is_weight", False):
            yield sub
