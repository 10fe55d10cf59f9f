"""Attention end to end: HGQ2 == reference == program == Verilog, every bit, on over 10,000 samples each.

``models_attention``: two-head cross attention with query != key != value and a fused ('kv') one; self
attention fused ('qkv'), Linformer (shared key/value projection) and SALT (clustered key projection, the
scores' convolution) side by side; a jet-tagging transformer block ending in QSoftmax.
"""

import pytest
from models_attention import ATTENTION
from models_ops import N_SAMPLES, verify_end_to_end

COVERED = {"mha_cross": {"QMultiHeadAttention"},
           "linformer_salt": {"QMultiHeadAttention", "QLinformerAttention", "QSALTAttention"},
           "transformer_block": {"QEinsumDenseBatchnorm", "QUnaryFunctionLUT", "QMultiHeadAttention", "QAdd",
                                 "QEinsumDense", "QGlobalAveragePooling1D", "QDense", "QSoftmax"}}


@pytest.fixture(scope="module", params=sorted(ATTENTION))
def trained(request):
    model, x = ATTENTION[request.param]()
    return request.param, model, x


def test_attention_bit_exact_from_keras_to_verilog(trained, tmp_path):
    name, model, x = trained
    assert {type(layer).__name__ for layer in model.layers} >= COVERED[name]
    assert verify_end_to_end(model, x, tmp_path) >= N_SAMPLES >= 10_000
