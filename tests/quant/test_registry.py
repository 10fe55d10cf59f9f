"""Every class a model can hold either converts or is refused with UnsupportedLayerError, nothing else.

The registry decides from the class alone, before any attribute of the layer is read: a bare instance
made with ``cls.__new__`` (only its name set) must be claimed or refused without an AttributeError.
Real models then go through every class in ``hgq.layers`` end to end.
"""

import importlib
import inspect
import os
import pkgutil
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hgq import layers as hl  # noqa: E402
from hgq.layers import attn  # noqa: E402
from hgq.utils import trace_minmax  # noqa: E402

import quant  # noqa: E402
from quant import registry  # noqa: E402

README = Path(__file__).resolve().parents[2] / "README.md"


def _keras_classes() -> set[type]:
    from keras.src.ops.operation import Operation

    found = {c for c in vars(keras.layers).values() if inspect.isclass(c) and issubclass(c, Operation)}
    ops = importlib.import_module("keras.src.ops")
    for module in pkgutil.walk_packages(ops.__path__, "keras.src.ops."):
        if module.name.endswith("_test"):
            continue
        for c in vars(importlib.import_module(module.name)).values():
            if inspect.isclass(c) and issubclass(c, Operation) and c.__module__ == module.name:
                found.add(c)
    return found


def _hgq_classes() -> set[type]:
    namespaces = (vars(hl), vars(attn))
    return {c for ns in namespaces for c in ns.values() if inspect.isclass(c) and issubclass(c, keras.layers.Layer)}


def _bare(cls):
    layer = cls.__new__(cls)
    object.__setattr__(layer, "name", "probe")
    return layer


def test_every_class_is_claimed_or_refused_from_its_class_alone():
    classes = _keras_classes() | _hgq_classes()
    assert len(classes) > 400  # Keras's layers and ops, and HGQ2's layers
    claimed = 0
    for cls in classes:
        try:
            registry.handler_for(_bare(cls))
            claimed += 1
        except quant.UnsupportedLayerError as e:
            assert f"'probe' ({cls.__name__}) is not supported; supported: dense and einsum: QDense" in str(e)
    assert claimed == sum(len(h.classes) for h in registry.handlers()) - _aliases()


def _aliases() -> int:
    """Registered paths naming a class already named (HGQ2's QMaxPool1D is QMaxPooling1D, ...)."""
    paths = [p for h in registry.handlers() for p in h.classes]
    objects = [getattr(importlib.import_module(p.rsplit(".", 1)[0]), p.rsplit(".", 1)[1]) for p in paths]
    return len(objects) - len(set(objects))


def _inputs(*shapes):
    return [keras.Input(s) for s in shapes]


def _single(make, shape=(4,)):
    def build():
        (x,) = _inputs(shape)
        return [x], make()(x)

    return build


def _pair(make, shapes=((4,), (4,))):
    def build():
        xs = _inputs(*shapes)
        return xs, make()(xs)

    return build


def _attention(make, shape=(3, 4)):
    """Attention reads its inputs through its sub-layers' quantizers: a Quantizer in front gives the ports."""
    def build():
        q, v = _inputs(shape, shape)
        return [q, v], make()(hl.Quantizer()(q), hl.Quantizer()(v))

    return build


# one small model per HGQ2 layer class (aliases share a class and appear once)
MODELS = {
    "QAdd": _pair(hl.QAdd), "QSubtract": _pair(hl.QSubtract), "QMultiply": _pair(hl.QMultiply),
    "QMaximum": _pair(hl.QMaximum), "QMinimum": _pair(hl.QMinimum), "QDot": _pair(lambda: hl.QDot(axes=1)),
    "QEinsum": _pair(lambda: hl.QEinsum("bi,bi->b")), "QSum": _single(lambda: hl.QSum(axes=1)),
    "QMeanPow2": _single(lambda: hl.QMeanPow2(axes=1)), "QAveragePow2": _pair(hl.QAveragePow2),
    "QDense": _single(lambda: hl.QDense(3)), "QDenseT": _single(lambda: hl.QDenseT(3)),
    "QBatchNormDense": _single(lambda: hl.QBatchNormDense(3)),
    "QEinsumDense": _single(lambda: hl.QEinsumDense("bi,ij->bj", 3)),
    "QEinsumDenseT": _single(lambda: hl.QEinsumDenseT("bi,ij->bj", 3)),
    "QEinsumDenseBatchnorm": _single(lambda: hl.QEinsumDenseBatchnorm("bi,ij->bj", 3, bias_axes="j")),
    "QBatchNormalization": _single(hl.QBatchNormalization),
    "QConv1D": _single(lambda: hl.QConv1D(2, 3), (6, 2)), "QConv2D": _single(lambda: hl.QConv2D(2, 3), (5, 5, 1)),
    "QConv3D": _single(lambda: hl.QConv3D(2, 2), (3, 3, 3, 1)),
    "QConvT1D": _single(lambda: hl.QConvT1D(2, 3), (6, 2)),
    "QConvT2D": _single(lambda: hl.QConvT2D(2, 3), (5, 5, 1)),
    **{f"Q{kind}Pooling{d}D": _single(lambda kind=kind, d=d: getattr(hl, f"Q{kind}Pooling{d}D")(2),
                                      (4,) * d + (2,))
       for kind in ("Max", "Average") for d in (1, 2, 3)},
    **{f"QGlobal{kind}Pooling{d}D": _single(getattr(hl, f"QGlobal{kind}Pooling{d}D"), (4,) * d + (2,))
       for kind in ("Max", "Average") for d in (1, 2, 3)},
    "QUnaryFunctionLUT": _single(lambda: hl.QUnaryFunctionLUT("tanh")),
    "QAffinedUnaryFunctionLUT": _single(lambda: hl.QAffinedUnaryFunctionLUT("tanh")),
    "QSoftmax": _single(lambda: hl.QSoftmax(enable_iq=True)),
    "QMultiHeadAttention": _attention(lambda: attn.QMultiHeadAttention(2, 2)),
    "QMultiHeadAttentionT": _attention(lambda: attn.QMultiHeadAttentionT(2, 2)),
    "QLinformerAttention": _attention(lambda: attn.QLinformerAttention(2, 2, 2)),
    "QLinformerAttentionT": _attention(lambda: attn.QLinformerAttentionT(2, 2, 2)),
    "QSALTAttention": _attention(lambda: attn.QSALTAttention(2, 2, 2)),
    "QSimpleRNN": _single(lambda: hl.QSimpleRNN(3), (3, 4)), "QGRU": _single(lambda: hl.QGRU(3), (3, 4)),
    "QSimpleSNN": _single(lambda: hl.QSimpleSNN(4), (3, 4)), "QLIF": _single(lambda: hl.QLIF(4), (3, 4)),
    "Quantizer": _single(lambda: hl.Quantizer()),
}
BASES = {"QLayerBase", "QLayerBaseSingleInput", "QLayerBaseMultiInputs"}
CELLS = {"QSimpleSNNCell", "QLIFCell"}  # the steps inside QSimpleSNN and QLIF: Keras's RNN cannot run them alone


def test_every_hgq_layer_class_has_a_model_here():
    assert {c.__name__ for c in _hgq_classes()} - BASES - CELLS == set(MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_hgq_layer_converts_or_is_refused(name):
    keras.utils.set_random_seed(0)
    inputs, out = MODELS[name]()
    model = keras.Model(inputs, out)
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(64, *i.shape[1:])).astype(np.float32) for i in inputs]
    trace_minmax(model, xs, verbose=False)
    try:
        network = quant.from_keras(model)
    except quant.UnsupportedLayerError as e:
        assert "is not supported" in str(e) or "supported:" in str(e)
        return
    got = network.predict(xs)
    expected = model.predict(xs, verbose=0)
    for g, e in zip(got if isinstance(got, list) else [got], expected if isinstance(expected, list) else [expected]):
        np.testing.assert_array_equal(g, e)


def test_the_readme_table_is_the_registry():
    """The README's table of supported layers is generated from the registry (``python -m quant.registry``)."""
    assert registry.markdown_table() in README.read_text()
