"""Reads a trained Keras 3 / HGQ2 model into a ``Network``.

Only what can be made bit-exact is accepted; anything else is refused with an
error that names the layer, its class and what is supported instead.
"""

import numpy as np

from .network import Dense, Input, Network, Node, Quantize, Quantizer, Relu

SUPPORTED = "QDense (activation 'relu' or 'linear'), InputLayer"


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
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise UnsupportedLayerError(
            f"model {model.name!r} has {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
            "only single-input, single-output chains of layers are supported")
    for layer in layers:
        _check_supported(layer)
    _check_chain(model, layers)

    input_shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    first = layers[0]
    if not first.enable_iq:
        raise UnsupportedLayerError(f"the model input is not quantized: layer {first.name!r} "
                                    f"({type(first).__name__}) has enable_iq=False")
    network_input = Input("input", input_shape, _read_quantizer(first.iq, first))
    nodes, previous = [], "input"
    for n, layer in enumerate(layers):
        if n > 0 and layer.enable_iq:
            previous = _append(nodes, f"{layer.name}/iq", Quantize(_read_quantizer(layer.iq, layer)), previous, layer)
        bias = None if layer.bias is None else np.asarray(layer.qbias, dtype=np.float64)
        previous = _append(nodes, f"{layer.name}/dense", Dense(np.asarray(layer.qkernel, dtype=np.float64), bias),
                           previous, layer)
        if _activation_name(layer) == "relu":
            previous = _append(nodes, f"{layer.name}/relu", Relu(), previous, layer)
        if layer.enable_oq:
            previous = _append(nodes, f"{layer.name}/oq", Quantize(_read_quantizer(layer.oq, layer)), previous, layer)
    network = Network((network_input,), tuple(nodes), (previous,))
    _check_calibrated(model, network)
    return network


def _append(nodes: list, name: str, op, previous: str, layer) -> str:
    nodes.append(Node(name, op, (previous,), f"{layer.name} ({type(layer).__name__})"))
    return name


def _activation_name(layer) -> str:
    return getattr(layer.activation, "__name__", type(layer.activation).__name__)


def _check_supported(layer) -> None:
    from hgq.layers import QDense

    where = f"layer {layer.name!r} ({type(layer).__name__})"
    if type(layer) is not QDense:
        raise UnsupportedLayerError(f"{where} is not supported; supported: {SUPPORTED}")
    if _activation_name(layer) not in ("relu", "linear"):
        raise UnsupportedLayerError(f"{where} has activation {_activation_name(layer)!r}; "
                                    "supported: 'relu' or 'linear' (put other functions in a table layer)")


def _check_chain(model, layers) -> None:
    """Each layer must read the previous layer's output: branches come in a later version."""
    expected = model.inputs[0]
    for layer in layers:
        if len(layer._inbound_nodes) != 1 or layer.input is not expected:
            raise UnsupportedLayerError(f"layer {layer.name!r} ({type(layer).__name__}) is not part of a simple "
                                        "chain of layers; only sequential chains are supported")
        expected = layer.output


def _read_quantizer(q, layer) -> Quantizer:
    """Freeze an HGQ2 ``Quantizer`` to integer (k, i, f) per feature, dropping the batch axis."""
    where = f"layer {layer.name!r} ({type(layer).__name__}), quantizer {q.name!r}"
    if getattr(q, "scaler", None) is not None or getattr(q, "affine", None) is not None:
        raise UnsupportedLayerError(f"{where} has a scaler or affine transform; not supported yet")
    inner = q.quantizer
    if not hasattr(inner, "kif") or inner.round_mode not in ("TRN", "RND") or \
            inner.overflow_mode not in ("WRAP", "SAT", "SAT_SYM"):
        raise UnsupportedLayerError(f"{where} is {type(inner).__name__} {getattr(inner, 'round_mode', '?')}/"
                                    f"{getattr(inner, 'overflow_mode', '?')}; supported: fixed-point quantizers "
                                    "with rounding TRN or RND and overflow WRAP, SAT or SAT_SYM")
    k, i, f = (np.asarray(t, dtype=np.float64) for t in inner.kif)
    if k.ndim and k.shape[0] == 1:  # the shared batch axis of a datalane quantizer
        k, i, f = k[0], i[0], f[0]
    return Quantizer(k.astype(np.int64), i.astype(np.int64), f.astype(np.int64), inner.round_mode,
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
    previous = None
    for node in network.nodes:
        if isinstance(node.op, Quantize) and node.op.quantizer.overflow_mode == "WRAP" and \
                isinstance(previous, Relu) and np.any(node.op.quantizer.k != 0):
            raise NotCalibratedError(f"model {model.name!r} is not calibrated: {node.source} keeps a sign bit for "
                                     f"the output of a ReLU; {hint}")
        previous = node.op


def _wrap_quantizers(layer):
    for name in ("iq", "oq"):
        enabled = getattr(layer, f"enable_{name}", False)
        q = getattr(layer, name) if enabled else None
        if q is not None and getattr(q.quantizer, "overflow_mode", None) == "WRAP" and hasattr(q.quantizer, "_i"):
            yield q
