"""Small HGQ2 models with QSoftmax: a classifier ending in it, and softmaxes over other axes and roundings.

Trained a few steps on synthetic data and calibrated with trace_minmax (``models_ops`` helpers); ``x``
holds the data several times and then values beyond its range (N_SAMPLES samples).
"""

import numpy as np
from models_ops import _data, _fit_and_calibrate, _many, _q


def _table_conf(bits: int, integers: int, round_mode: str = "RND"):
    from hgq.config import QuantizerConfig

    return QuantizerConfig("kbi", "table", b0=bits, i0=integers, round_mode=round_mode)


def softmax_classifier(n: int = 8, classes: int = 4):
    """A jet-tagger-style classifier: QDense layers, then QSoftmax as the final layer (HGQ2's defaults)."""
    import keras
    from hgq.layers import QDense, QSoftmax

    keras.utils.set_random_seed(31)
    rng = np.random.default_rng(31)
    x = _data(rng, (n,))
    inp = keras.Input((n,))
    h = QDense(8, activation="relu", name="hidden")(_q("q")(inp))
    out = QSoftmax(name="softmax")(QDense(classes, name="logits")(h))
    model = keras.Model(inp, out, name="softmax_classifier")
    labels = np.argmax(x[:, :classes] + x[:, classes:2 * classes], axis=1)
    model.compile(keras.optimizers.Adam(3e-3), "categorical_crossentropy")
    model.fit(x, keras.utils.to_categorical(labels, classes), epochs=1, batch_size=128, verbose=0)
    from hgq.utils import trace_minmax

    trace_minmax(model, x, batch_size=4096, verbose=False)
    return model, _many(x, rng)


def softmax_axes(rows: int = 3, cols: int = 4):
    """Softmaxes over a middle axis and over two axes, with the rounding modes of their table quantizers set:
    ``exp_iq`` RND_CONV, ``inv_iq`` S_RND_CONV and S_RND, its own iq and oq enabled, tables of other sizes."""
    import keras
    from hgq.config import QuantizerConfig
    from hgq.layers import QDense, QSoftmax

    keras.utils.set_random_seed(32)
    rng = np.random.default_rng(32)
    x = _data(rng, (rows, cols))
    inp = keras.Input((rows, cols))
    h = QDense(cols, name="mix")(_q("q")(inp))  # (rows, cols)
    over_rows = QSoftmax(axis=1, name="sm_rows", exp_iq_conf=QuantizerConfig("kif", "datalane", f0=3,
                                                                            round_mode="RND_CONV"),
                         inv_iq_conf=QuantizerConfig("kif", "datalane", f0=4, round_mode="S_RND_CONV"),
                         exp_oq_conf=_table_conf(6, 1), inv_oq_conf=_table_conf(7, 3))(h)
    both = QSoftmax(axis=(1, 2), name="sm_all", enable_iq=True, enable_oq=True,
                    iq_conf=QuantizerConfig("kif", "datalane", f0=2, round_mode="S_RND"),
                    inv_iq_conf=QuantizerConfig("kif", "datalane", f0=5, round_mode="S_RND"))(h)
    out = QDense(2, name="head")(keras.layers.Flatten(name="flat")(keras.layers.Concatenate(name="cat")(
        [over_rows, both])))
    model = keras.Model(inp, [out, over_rows], name="softmax_axes")
    _fit_and_calibrate(model, x, [x[:, 0, :2], np.full((len(x), rows, cols), 1 / rows, np.float32)])
    return model, _many(x, rng)


SOFTMAX = {"softmax_classifier": softmax_classifier, "softmax_axes": softmax_axes}
