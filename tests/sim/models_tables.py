"""Small HGQ2 models made of lookup tables: QUnaryFunctionLUT in every option, QAffinedUnaryFunctionLUT and the
HGQ-LUT layers QDenseT, QEinsumDenseT, QConvT1D, QConvT2D (with and without batch norm).

Trained a few steps on synthetic data and calibrated with trace_minmax (``models_ops`` helpers); ``x`` holds
the data several times and then values beyond its range (N_SAMPLES samples). Table outputs are quantized to
few bits (``toq``) so each table stays small.
"""

import numpy as np
from models_ops import _data, _fit_and_calibrate, _many, _q


def _toq(f: int = 3):
    from hgq.config import QuantizerConfig

    return QuantizerConfig("kif", "table", i0=2, f0=f)


def lut_chain():
    """QUnaryFunctionLUT with its own quantizers, with enable_iq=False after a quantizer, with enable_oq=False
    (the next layer's input quantizer folds into the table), and QAffinedUnaryFunctionLUT."""
    import keras
    from hgq.config import QuantizerConfig
    from hgq.layers import QAffinedUnaryFunctionLUT, QDense, QUnaryFunctionLUT

    keras.utils.set_random_seed(31)
    rng = np.random.default_rng(31)
    x = _data(rng, (4,))
    inp = keras.Input((4,))
    q = _q("q")(inp)
    t1 = QUnaryFunctionLUT("tanh", iq_conf=QuantizerConfig("kif", "datalane", f0=3), name="tanh_table")(q)
    t2 = QUnaryFunctionLUT("sigmoid", enable_iq=False, name="sigmoid_no_iq")(t1)
    t3 = QAffinedUnaryFunctionLUT("tanh", iq_conf=QuantizerConfig("kif", "datalane", f0=3), name="affined")(q)
    t4 = QUnaryFunctionLUT("swish", iq_conf=QuantizerConfig("kif", "datalane", f0=2), enable_oq=False,
                           enable_ebops=False, name="swish_no_oq")(q)
    cat = keras.layers.Concatenate(name="cat")([t2, t3, t4])
    out = QDense(2, name="head")(cat)
    model = keras.Model(inp, out, name="lut_chain")
    _fit_and_calibrate(model, x, np.tanh(x[:, :2]))
    return model, _many(x, rng)


def dense_t_net():
    """QDenseT with batch norm and ReLU, QEinsumDenseT (and its batch norm), a QDenseT head."""
    import keras
    from hgq.layers import QDenseT, QEinsumDenseT

    keras.utils.set_random_seed(32)
    rng = np.random.default_rng(32)
    x = _data(rng, (4,), scale=4)
    inp = keras.Input((4,))
    q = _q("q")(inp)
    h = QDenseT(4, batch_norm=True, activation="relu", d_hl=4, toq_conf=_toq(), name="dense_t_bn")(q)
    h = keras.layers.Reshape((2, 2), name="rows")(h)
    e = QEinsumDenseT("bnc,cC->bnC", (2, 3), bias_axes="C", d_hl=4, toq_conf=_toq(), name="einsum_t")(h)
    e = QEinsumDenseT("bnc,nN->bNc", (2, 3), batch_norm=True, d_hl=4, toq_conf=_toq(), name="einsum_t_bn")(e)
    out = QDenseT(2, d_hl=4, toq_conf=_toq(), name="head_t")(keras.layers.Flatten(name="flat")(e))
    model = keras.Model(inp, out, name="dense_t_net")
    _fit_and_calibrate(model, x, np.tanh(x[:, :2] - x[:, 2:]))
    return model, _many(x, rng, scale=4)


def conv_t_net():
    """QConvT1D ('same' padding, with batch norm) and QConvT2D (strides, without), a QDenseT head."""
    import keras
    from hgq.layers import QConvT1D, QConvT2D, QDenseT

    keras.utils.set_random_seed(33)
    rng = np.random.default_rng(33)
    x = _data(rng, (4, 4, 1), scale=4)
    inp = keras.Input((4, 4, 1))
    q = _q("q")(inp)
    img = QConvT2D(2, 2, strides=2, d_hl=4, toq_conf=_toq(), name="conv_t2d")(q)  # (2, 2, 2)
    seq = keras.layers.Reshape((4, 2), name="seq")(img)
    seq = QConvT1D(2, 3, padding="same", batch_norm=True, d_hl=4, toq_conf=_toq(), name="conv_t1d_bn")(seq)
    out = QDenseT(2, d_hl=4, toq_conf=_toq(), name="head_t")(keras.layers.Flatten(name="flat")(seq))
    model = keras.Model(inp, out, name="conv_t_net")
    _fit_and_calibrate(model, x, x[:, 0, :2, 0])
    return model, _many(x, rng, scale=4)


def table_deep_sets(n: int = 6):
    """A table-based deep-sets GNN on (n particles x 3 features): a per-particle QDenseT, QSum pooling over the
    particles, a QDenseT head."""
    import keras
    from hgq.layers import QDenseT, QSum

    keras.utils.set_random_seed(34)
    rng = np.random.default_rng(34)
    x = _data(rng, (n, 3), scale=4)
    inp = keras.Input((n, 3))
    q = _q("q")(inp)
    phi = QDenseT(4, activation="relu", d_hl=4, toq_conf=_toq(2), name="phi_t")(q)  # (n, 4)
    pooled = QSum(axes=1, scale=1 / 4, name="pool")(phi)  # (4,)
    out = QDenseT(2, d_hl=4, toq_conf=_toq(), name="rho_t")(pooled)
    model = keras.Model(inp, out, name="table_deep_sets")
    _fit_and_calibrate(model, x, x.sum(axis=1)[:, :2])
    return model, _many(x, rng, scale=4)


TABLES = {"lut_chain": lut_chain, "dense_t_net": dense_t_net, "conv_t_net": conv_t_net,
          "table_deep_sets": table_deep_sets}
