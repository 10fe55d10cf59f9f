"""Recurrent and spiking models end to end: HGQ2 model.predict == NumPy reference == program == Verilog.

A stacked QSimpleRNN pair and a stacked QGRU pair (return_sequences on the first), a QSimpleRNN with ReLU
and a QLIF spiking classifier, each trained a few steps, calibrated and checked on over 10,000 sequences
(half far beyond the calibration range) with no mismatch. The options of each layer are checked on the
reference and the program in tests/quant/test_recurrent_*.py.
"""

import numpy as np
import pytest
from models_recurrent import MODELS, N_SAMPLES

import quant
import rtl_emit
import sim
from rtl_emit.ports import flat_samples as _flat


@pytest.mark.parametrize("name", sorted(MODELS))
def test_recurrent_bit_exact_from_keras_to_verilog(name, tmp_path):
    model, x = MODELS[name]()
    hgq2 = model.predict(x, batch_size=len(x), verbose=0)
    net = quant.from_keras(model)
    reference = net.predict(x)
    assert len(x) >= N_SAMPLES >= 10_000
    bad = np.argwhere(_flat(reference) != _flat(hgq2))
    assert bad.size == 0, f"{name}: reference != HGQ2 at sequence/output {bad[0]}"
    assert len(np.unique(hgq2)) > 2, f"{name}: the outputs barely vary; the check would be weak"
    design = rtl_emit.compile_model(net, tmp_path / name, latency_cutoff=4)
    result = sim.verify(design, x, reference=hgq2)  # reference == program == RTL, every output bit
    assert result.n_samples == len(x)
    assert design.latency_cycles > 1
