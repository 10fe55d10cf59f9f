"""Reads a trained Keras 3 / HGQ2 model into a ``Network``.

Functional and Sequential models (several inputs and outputs, branches, skip
connections) are read in topological order. Each layer goes to the handler that
claims its exact class (``quant.registry``; the families live in ``quant/layers``);
a class no handler claims is refused before anything of it is read.
"""

import numpy as np

from .errors import NotCalibratedError, UnsupportedLayerError, where
from .hgq_quantizer import input_quantizer, is_multi_input, laid_out, read_quantizer, wrap_quantizers
from .network import Input, Network, Node, Quantize, Quantizer, Relu
from .registry import handler_for


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
    return Reader(model, graph).read()


class Reader:
    """The state of one model read; handlers add nodes through it."""

    def __init__(self, model, graph):
        import keras

        self.model, self.graph = model, graph
        self.operations = [op for op in graph.operations if not isinstance(op, keras.layers.InputLayer)]
        self.handlers = {id(op): handler_for(op) for op in self.operations}  # refuses unknown classes first
        self.nodes: list[Node] = []
        self.names: dict[int, str] = {}  # id(KerasTensor) -> network tensor name
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.inputs: list[Input] = []

    def read(self) -> Network:
        self.inputs = inputs = []
        for n, t in enumerate(self.graph.inputs):
            shape = tensor_shape(t)
            name = f"input_{n}" if len(self.graph.inputs) > 1 else "input"
            inputs.append(Input(name, shape, self._port_quantizer(t, shape)))
            self._bind(t, name, shape)
        for layer in self.operations:
            call = self._call(layer)
            out = self._layer(layer, [self.names[id(t)] for t in call.input_tensors], call)
            names = [out] if isinstance(out, str) else list(out)  # a handler returns one name per output
            if len(names) != len(call.output_tensors):
                raise AssertionError(f"{where(layer)}: read {len(names)} outputs, Keras has {len(call.output_tensors)}")
            for tensor, name in zip(call.output_tensors, names):
                self._bind(tensor, name, tensor_shape(tensor))
        outputs = tuple(self.names[id(t)] for t in self.graph.outputs)
        network = Network(tuple(inputs), tuple(self.nodes), outputs)
        _check_calibrated(self.model, network)
        return network

    # ---- what handlers use ------------------------------------------------------------------------------
    def add(self, layer, suffix: str, op, inputs: list[str], shape: tuple[int, ...]) -> str:
        """A new node ``LAYER/suffix`` computing ``op(*inputs)``, of feature shape ``shape``; returns its name."""
        name = f"{layer.name}/{suffix}"
        self.nodes.append(Node(name, op, tuple(inputs), f"{layer.name} ({type(layer).__name__})"))
        self.shapes[name] = tuple(shape)
        return name

    def quantize(self, layer, suffix: str, q: Quantizer | None, x: str) -> str:
        """``x`` through quantizer ``q`` (unchanged when None)."""
        return x if q is None else self.add(layer, suffix, Quantize(q), [x], self.shapes[x])

    # ---- internals --------------------------------------------------------------------------------------
    def _call(self, layer):
        calls = [node for node in layer._inbound_nodes
                 if node.input_tensors and all(id(t) in self.names for t in node.input_tensors)]
        if len(calls) != 1:
            raise UnsupportedLayerError(f"{where(layer)} is called {len(calls)} times in model {self.model.name!r}; "
                                        "shared layers are not supported, use one layer per call")
        return calls[0]

    def _layer(self, layer, ins: list[str], call) -> str:
        handler = self.handlers[id(layer)]
        if not handler.quantized_io:
            return handler.read(self, layer, ins, call)
        xs = [self.quantize(layer, f"iq{j}" if len(ins) > 1 else "iq", input_quantizer(layer, j), x)
              for j, x in enumerate(ins)]
        out = handler.read(self, layer, xs if is_multi_input(layer) else xs[0], call)
        if getattr(layer, "enable_oq", False):
            out = self.quantize(layer, "oq", read_quantizer(layer.oq, layer), out)
        return out

    def _bind(self, tensor, name: str, shape: tuple[int, ...]) -> None:
        self.names[id(tensor)] = name
        if self.shapes.get(name, shape) != shape:
            raise AssertionError(f"shape of {name} read as {self.shapes[name]}, Keras says {shape}")
        self.shapes[name] = shape

    def _port_quantizer(self, tensor, shape) -> Quantizer:
        """The quantizer HGQ2 applies to a model input: the one of the layers that read it (through layout layers)."""
        found = list(self._quantizers_reading(tensor))
        hint = ("put an hgq Quantizer layer (or a layer with enable_iq=True) first (supported: model inputs that "
                "the layers reading them quantize, one format per input element)")
        if not found:
            raise UnsupportedLayerError(f"the model input is not quantized: no layer reads {tensor.name!r}; {hint}")
        for q, at in found:
            if q is None:
                raise UnsupportedLayerError(f"the model input is not quantized: {at} reads {tensor.name!r} without "
                                            f"an input quantizer (enable_iq=False, or a layer that has none); {hint}")
        (q0, at0), rest = found[0], found[1:]
        q0 = laid_out(q0, shape)
        formats0 = q0.formats(shape)
        for q, at in rest:
            q = laid_out(q, shape)
            if (q.round_mode, q.overflow_mode) != (q0.round_mode, q0.overflow_mode) or \
                    not np.array_equal(q.formats(shape), formats0):
                raise UnsupportedLayerError(
                    f"the model input {tensor.name!r} is quantized differently by {at0} and {at}; the ports "
                    "carry one fixed-point format per input: put one hgq Quantizer layer right after the input")
        return q0

    def _quantizers_reading(self, tensor):
        for layer in self.operations:
            for node in layer._inbound_nodes:
                ids = [id(t) for t in node.input_tensors]
                if id(tensor) not in ids:
                    continue
                ports = self.handlers[id(layer)].ports
                if ports == "self":
                    yield read_quantizer(layer, layer), where(layer)
                elif ports == "through":
                    yield from self._quantizers_reading(node.output_tensors[0])
                elif ports == "iq":
                    yield input_quantizer(layer, ids.index(id(tensor))), where(layer)
                else:
                    yield None, where(layer)


def tensor_shape(tensor) -> tuple[int, ...]:
    """A Keras tensor's feature shape (the batch axis dropped)."""
    return tuple(int(d) for d in tensor.shape[1:])


def _check_calibrated(model, network: Network) -> None:
    """Refuse WRAP activation quantizers left as training set them.

    ``trace_minmax`` sets every integer-bit count to a whole number and every
    keep-negative bit to whether negatives were seen. Training leaves fractional
    integer bits (they decay by steps of 0.01) and never clears keep-negative, so
    a quantizer right after a ReLU that still keeps negatives was never traced.
    """
    hint = "call hgq.utils.trace_minmax(model, calibration_data) after training, then convert"
    for layer in model.layers:
        for q in wrap_quantizers(layer):
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
