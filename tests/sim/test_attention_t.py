"""HGQ-LUT attention end to end: QMultiHeadAttentionT and QLinformerAttentionT (every projection a learned table)
in a Linformer of LUT-table layers (``models_attention.linformer_t``): HGQ2 == reference == program == Verilog,
every bit, on over 10,000 samples, inputs beyond the calibration range included."""

from models_attention import linformer_t
from models_ops import N_SAMPLES, verify_end_to_end

import rtl_emit


def test_table_linformer_bit_exact_from_keras_to_verilog(tmp_path):
    model, x = linformer_t()
    assert {type(op).__name__ for op in model.operations} >= {"QDenseT", "QLinformerAttentionT",
                                                              "QMultiHeadAttentionT"}
    assert verify_end_to_end(model, x, tmp_path) >= N_SAMPLES >= 10_000
    report = rtl_emit.Design.load(tmp_path).report
    assert report["tables"] >= 1 and report["multipliers"] == 0  # projections are ROMs, products shift-and-add
