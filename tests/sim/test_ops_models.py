"""Models built like HGQ2's own examples, verified end to end in Verilator: a deep-sets particle network,
a particle MLP-Mixer, a thin-gap-chamber-style regression with three inputs (the 3-D net is in test_ops_layers)."""

import pytest
from models_ops import EXAMPLES, N_SAMPLES, verify_end_to_end


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_model_bit_exact_from_keras_to_verilog(name, tmp_path):
    model, x = EXAMPLES[name]()
    assert verify_end_to_end(model, x, tmp_path / name) >= N_SAMPLES >= 10_000
