"""Which Keras/HGQ2 classes adderflow reads, and the handler that reads each.

Every layer family (``quant/layers/*.py``) registers its handlers with ``@handles`` when
``quant`` is imported,
naming the classes by import path. The reader looks a layer's exact class up here
before it reads anything of the layer, so a class no handler claims is refused
with the list of what is supported (the same list the README's table shows).
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from .errors import UnsupportedLayerError, where


@dataclass(frozen=True)
class Handler:
    """Reads one kind of layer into network nodes.

    ``read(reader, layer, inputs, call) -> output tensor name`` (a list or tuple of names for several outputs).
    With ``quantized_io`` the reader applies the layer's input quantizers (``enable_iq``) to ``inputs``
    first and its output quantizer (``enable_oq``) after. ``ports``: how a model input read by this layer
    is quantized, for the port formats: "iq" (the layer's input quantizer), "self" (the layer is a
    quantizer), "through" (a layout layer: look at its readers) or "none" (the layer reads raw values).
    """

    family: str
    classes: tuple[str, ...]
    read: Callable
    limits: str
    quantized_io: bool = True
    ports: str = "iq"


FAMILIES = ("dense and einsum", "convolution", "pooling", "merges", "products", "reductions", "activations and tables",
            "softmax and attention", "recurrent and spiking", "quantizers", "wiring", "keras ops")
_HANDLERS: list[Handler] = []
_BY_CLASS: dict[type, Handler] = {}


def handles(family: str, *classes: str, limits: str = "", quantized_io: bool = True, ports: str = "iq"):
    """Register the decorated function as the reader of ``classes`` ("module.Class" paths)."""

    if family not in FAMILIES:
        raise ValueError(f"unknown layer family {family!r}; one of {FAMILIES}")

    def register(read: Callable) -> Callable:
        _HANDLERS.append(Handler(family, classes, read, limits, quantized_io, ports))
        _BY_CLASS.clear()  # resolved again on next use
        return read

    return register


def handler_for(layer) -> Handler:
    """The handler of ``layer``'s exact class; refuses (UnsupportedLayerError) a class none claims."""
    by_class = _resolved()
    handler = by_class.get(type(layer))
    if handler is None:
        raise UnsupportedLayerError(f"{where(layer)} is not supported; supported: {supported_summary()}")
    return handler


def supported_summary() -> str:
    """Every supported class, grouped by family: the text of refusals."""
    return "; ".join(f"{family}: {', '.join(names)}" for family, names in supported_families().items())


def supported_families() -> dict[str, list[str]]:
    """Family -> supported class names."""
    families: dict[str, list[str]] = {}
    for h in handlers():
        families.setdefault(h.family, []).extend(path.rsplit(".", 1)[1] for path in h.classes)
    return families


def markdown_table() -> str:
    """The README's table of supported layers, one row per handler
    (``python -c "from quant import registry; print(registry.markdown_table())"``)."""
    rows = ["| layer | family | limits |", "|---|---|---|"]
    for h in handlers():
        names = ", ".join(f"`{p.rsplit('.', 1)[1]}`" for p in h.classes)
        rows.append(f"| {names} | {h.family} | {h.limits} |")
    return "\n".join(rows)


def handlers() -> list[Handler]:
    """Every handler, by family (in FAMILIES order), then in registration order."""
    return sorted(_HANDLERS, key=lambda h: FAMILIES.index(h.family))


def _resolved() -> dict[type, Handler]:
    if not _BY_CLASS:
        for h in _HANDLERS:
            for path in h.classes:
                module, name = path.rsplit(".", 1)
                _BY_CLASS[getattr(importlib.import_module(module), name)] = h
    return _BY_CLASS


