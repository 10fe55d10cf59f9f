"""Small HGQ2 models with attention: QMultiHeadAttention (unfused and fused projections, query != key/value),
QLinformerAttention, QSALTAttention, and a transformer block in the style of HGQ2's jet-tagging examples.

Trained two steps on synthetic data (moved weights, as a user's model has; few steps, since each model's
training step compiles for about 25 s; the Linformer/SALT model excepted, see there), then calibrated with
trace_minmax (``models_ops`` helpers);
``x`` holds the data several times and then values beyond its range (N_SAMPLES samples). Sequences of 2 to 4
tokens and 2 or 3 features keep each design near a thousand adders and its Verilator build short.
"""

import numpy as np
from models_ops import _data, _fit_and_calibrate, _many, _q


def _small(bits: int = 4, place: str = "datalane"):
    """Few-bit quantizers keep the score and combine einsums within float32's 24 bits."""
    from hgq.config import QuantizerConfig

    return QuantizerConfig("kif", place, f0=bits) if place == "datalane" else QuantizerConfig("kbi", place, b0=bits)


def _attention_kwargs():
    return dict(qkvo_iq_conf=_small(3), qkvo_oq_conf=_small(3), qkvo_kq_conf=_small(4, "weight"),
                softmax_exp_oq_conf=_small(5, "table"), softmax_inv_oq_conf=_small(6, "table"))


def mha_cross(n_q: int = 2, n_kv: int = 3, d: int = 3):
    """Two heads, query != key != value (three inputs of different lengths and widths), unfused; a second,
    fused ('kv') QMultiHeadAttention over the first's output as key and value."""
    import keras
    from hgq.layers import QDense
    from hgq.layers.attn import QMultiHeadAttention

    keras.utils.set_random_seed(41)
    rng = np.random.default_rng(41)
    xs = [_data(rng, (n_q, d)), _data(rng, (n_kv, d + 1)), _data(rng, (n_kv, d))]
    q_in, v_in, k_in = (keras.Input(x.shape[1:]) for x in xs)
    q, v, k = _q("qq")(q_in), _q("qv")(v_in), _q("qk")(k_in)
    a = QMultiHeadAttention(2, 2, name="cross", **_attention_kwargs())(q, v, key=k)  # (n_q, d)
    b = QMultiHeadAttention(2, 2, value_dim=3, fuse="kv", output_shape=3, name="fused_kv",
                            **_attention_kwargs())(q, a)  # (n_q, 3)
    out = QDense(2, name="head")(keras.layers.Flatten(name="flat")(b))
    model = keras.Model([q_in, v_in, k_in], out, name="mha_cross")
    _fit_and_calibrate(model, xs, xs[0][:, 0, :2], steps=2)
    return model, [_many(x, rng) for x in xs]


def linformer_salt(n: int = 3, d: int = 2):
    """Self-attention three ways on one sequence: fused 'qkv' QMultiHeadAttention, QLinformerAttention (shared
    key/value projection) and QSALTAttention (clustered key projection, a 3x3 convolution of the scores)."""
    import keras
    from hgq.layers import QAdd, QDense
    from hgq.layers.attn import QLinformerAttention, QMultiHeadAttention, QSALTAttention

    keras.utils.set_random_seed(42)
    rng = np.random.default_rng(42)
    x = _data(rng, (n, d))
    inp = keras.Input((n, d))
    q = _q("q")(inp)
    self_att = QMultiHeadAttention(2, 2, fuse="qkv", name="self", **_attention_kwargs())(q, q)
    lin = QLinformerAttention(2, 2, 2, share_kv_proj=True, name="linformer", **_attention_kwargs())(q, q)
    salt = QSALTAttention(1, 2, 2, cluster_k_proj=True, name="salt", **_attention_kwargs())(q, q)
    mixed = QAdd(name="sum")([self_att, lin, salt])
    out = QDense(2, name="head")(keras.layers.Flatten(name="flat")(mixed))
    model = keras.Model(inp, out, name="linformer_salt")
    # from its initial weights: two training steps widen a SALT score past float32's 24 bits, where HGQ2's
    # forward pass rounds and adderflow refuses with an OverflowError naming the layer
    _fit_and_calibrate(model, x, x[:, 0, :2], steps=0)
    return model, _many(x, rng)


def transformer_block(n: int = 4, d: int = 3):
    """A jet-tagging transformer block (particles x features): QEinsumDenseBatchnorm, a tanh QUnaryFunctionLUT,
    two-head self attention, a skip QAdd, a feed-forward QEinsumDense, QGlobalAveragePooling1D, a QDense head
    ending in QSoftmax."""
    import keras
    from hgq.layers import QAdd, QDense, QEinsumDense, QEinsumDenseBatchnorm, QGlobalAveragePooling1D, QSoftmax
    from hgq.layers import QUnaryFunctionLUT
    from hgq.layers.attn import QMultiHeadAttention

    keras.utils.set_random_seed(43)
    rng = np.random.default_rng(43)
    x = _data(rng, (n, d))
    inp = keras.Input((n, d))
    h = QEinsumDenseBatchnorm("bnc,cC->bnC", (n, 4), bias_axes="C", name="embed")(_q("q")(inp))
    h = QUnaryFunctionLUT("tanh", iq_conf=_small(3), oq_conf=_small(4, "table"), name="tanh")(h)
    att = QMultiHeadAttention(2, 2, name="attention", **_attention_kwargs())(h, h)
    h = QAdd(name="skip")([h, att])
    h = QEinsumDense("bnc,cC->bnC", (n, 4), bias_axes="C", activation="relu", name="feed_forward")(h)
    out = QSoftmax(name="softmax")(QDense(3, name="head")(QGlobalAveragePooling1D(name="pool")(h)))
    model = keras.Model(inp, out, name="transformer_block")
    labels = keras.utils.to_categorical(np.argmax(x[:, :3, 0], axis=1), 3)
    _fit_and_calibrate(model, x, labels, steps=2)
    return model, _many(x, rng)


ATTENTION = {"mha_cross": mha_cross, "linformer_salt": linformer_salt, "transformer_block": transformer_block}


def linformer_t(n: int = 4, d: int = 3):
    """A Linformer of LUT-table layers on (particles x features): a per-particle QDenseT embedding,
    QLinformerAttentionT (key and value projected along the particles by tables), QMultiHeadAttentionT with
    the embedding as query and the Linformer's output as key and value, a QDenseT head."""
    import keras
    from hgq.layers import QDenseT
    from hgq.layers.attn import QLinformerAttentionT, QMultiHeadAttentionT

    keras.utils.set_random_seed(44)
    rng = np.random.default_rng(44)
    x = _data(rng, (n, d))
    inp = keras.Input((n, d))
    h = QDenseT(3, d_hl=4, toq_conf=_table_out(), name="embed_t")(_q("q")(inp))  # (n, 3)
    lin = QLinformerAttentionT(2, 2, 2, d_hl=4, name="linformer_t", **_table_attention_kwargs())(h, h)
    cross = QMultiHeadAttentionT(2, 2, d_hl=4, name="cross_t", **_table_attention_kwargs())(h, lin)
    out = QDenseT(2, d_hl=4, toq_conf=_table_out(), name="head_t")(keras.layers.Flatten(name="flat")(cross))
    model = keras.Model(inp, out, name="linformer_t")
    _fit_and_calibrate(model, x, x[:, 0, :2], steps=2)
    return model, _many(x, rng)


def _table_out(f: int = 3):
    """Table entries (``toq``) of few bits keep each table small and the sums within float32."""
    from hgq.config import QuantizerConfig

    return QuantizerConfig("kif", "table", i0=2, f0=f)


def _table_attention_kwargs():
    return dict(qkvo_iq_conf=_small(2), qkvo_oq_conf=_small(3), qkvo_toq_conf=_table_out(),
                softmax_exp_oq_conf=_small(5, "table"), softmax_inv_oq_conf=_small(6, "table"))
