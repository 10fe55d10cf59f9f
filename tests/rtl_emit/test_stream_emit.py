"""Stream designs (io="stream") in Verilator: every output bit of every sample equals StreamProgram.run.

Hand-built stream programs (``stream_programs``) cover every stage kind: 2-D windows at strides 1 and 2,
zero-padded windows, a 1-D window, map, reduce (add and max), collect, dense and scan.
"""

import dataclasses
import json

import numpy as np
import pytest

import rtl_emit
import sim
from rtl_emit.stream_design import StreamDesign, emit_stream
from sim import CompiledModel, MismatchError

from tests.rtl_emit import stream_programs as sp

N_SAMPLES = 1000


def _programs():
    rng = np.random.default_rng(11)
    return dict(conv=sp.conv_net(rng), particles=sp.particles(rng), one_d=sp.one_d(rng), rnn=sp.recurrent(),
                padded=sp.padded_conv_net(rng), padded_1d=sp.padded_1d(rng))


@pytest.fixture(scope="module")
def designs(tmp_path_factory):
    root = tmp_path_factory.mktemp("stream")
    return {name: emit_stream(stream, root / name, name=name, latency_cutoff=2)
            for name, stream in _programs().items()}


@pytest.fixture(scope="module")
def models(designs):
    return {name: CompiledModel(d) for name, d in designs.items()}


@pytest.mark.parametrize("name", ["conv", "particles", "one_d", "rnn", "padded", "padded_1d"])
def test_rtl_equals_the_stream_program_beat_by_beat(designs, models, name):
    design, model = designs[name], models[name]
    codes = sp.random_codes(design.program, N_SAMPLES, np.random.default_rng(1))
    expected = design.program.run(codes)
    np.testing.assert_array_equal(model(codes), expected)
    s = design.metadata["stream"]
    assert model.last_cycles <= N_SAMPLES * s["initiation_interval_cycles"] + design.latency_cycles + 2  # the II
    if s["latency_exact"]:
        assert model.last_latency_cycles == design.latency_cycles
    assert model.last_latency_cycles <= design.latency_cycles
    # the same samples with random gaps in inp_valid and out_ready low: the handshake loses and repeats nothing
    np.testing.assert_array_equal(model.stream_beats(codes, gap=0.3, stall=0.4, seed=5), expected)


def test_verify_checks_every_sample_and_names_a_mismatch(designs):
    design = designs["rnn"]
    codes = sp.random_codes(design.program, 300, np.random.default_rng(2))
    result = sim.verify_codes(design, codes)
    assert result.n_samples == 300 and result.n_outputs == len(design.program.output_intervals)
    values = codes * np.exp2([iv.exp for iv in design.program.sample_intervals()])
    assert sim.verify(design, values).n_samples == 300
    with pytest.raises(ValueError, match="stream design"):
        sim.run_rtl(design, codes, engine="cocotb")  # the cocotb engine streams one sample per clock
    wrong = dataclasses.replace(design, program=_other_cell(design.program))  # the Verilog is the first cell's
    with pytest.raises(MismatchError, match="program vs RTL"):
        sim.verify_codes(wrong, codes)


def _other_cell(stream):
    """The same scan with h' = sat(x0 + x1 + h): same formats, other arithmetic."""
    from da_core import ProgramBuilder
    from da_core.stream import Stage, StreamProgram

    scan = stream.stages[0]
    b = ProgramBuilder()
    x0, x1, h, g = (b.input(iv) for iv in scan.kernel_inputs)
    cell = b.build([b.quant(b.add(b.add(x0, x1), h), 1, 6, 0, "TRN", "SAT"),
                    b.quant(b.add(g, x0), 0, 7, 0, "TRN", "SAT")])
    return StreamProgram((dataclasses.replace(scan, program=cell),)) if isinstance(scan, Stage) else None


def test_metadata_describes_beats_stages_and_costs(designs):
    design = designs["conv"]
    meta = json.loads(design.metadata_path.read_text())
    s, r, stream = meta["stream"], meta["report"], design.program
    assert meta["io"] == r["io"] == "stream"
    assert s["grid"] == [7, 6] and s["beats_per_sample"] == s["initiation_interval_cycles"] == 42
    assert [st["kind"] for st in s["stages"]] == ["window", "window", "collect", "dense"]
    assert [st["layers"] for st in s["stages"]] == [["conv"], ["pool"], ["flatten"], ["dense"]]
    assert r["adders"] == sum(st.program.n_adders for st in stream.stages if st.program is not None)
    assert r["lut_estimate"] == sum(st["lut_estimate"] for st in s["stages"]) > r["kernel_lut_estimate"]
    line_buffer = (2 * 6 + 2) * 4  # (kh - 1) * W + kw - 1 positions of one 4-bit pixel
    assert s["stages"][0]["glue_parts"]["line_buffer"] == line_buffer
    assert r["ff_bits"] == sum(st["ff_bits"] for st in s["stages"]) > line_buffer
    assert {"inp_ready", "out_ready", "inp_valid", "out_valid", "rst"} <= set(meta["ports"])
    assert "beats" in design.path("markdown").read_text()
    assert meta["latency_cycles"] == sum(st["latency_cycles"] for st in s["stages"])


def test_a_stream_design_loads_back(designs):
    design = designs["particles"]
    loaded = rtl_emit.Design.load(design.out_dir)
    assert isinstance(loaded, StreamDesign) and loaded.latency_cycles == design.latency_cycles
    codes = sp.random_codes(design.program, 50, np.random.default_rng(3))
    np.testing.assert_array_equal(loaded.program.run(codes), design.program.run(codes))
    assert loaded.program.to_dict() == design.program.to_dict()


def test_yosys_synthesizes_a_stream_design(designs):
    report = rtl_emit.yosys_report(designs["rnn"])
    assert report["status"] == "ok", report
    assert report["luts"] > 0 and report["ffs"] > 0
    assert "Yosys synth_xilinx (xcup): LUTs" in designs["rnn"].path("markdown").read_text()


@pytest.mark.parametrize("options, message", [
    (dict(io="serial"), "io must be one of"), (dict(io="stream", hdl="vhdl"), "Verilog only"),
    (dict(io="stream", combinational=True), "needs a clock"), (dict(io="stream", clock_enable=True), "out_ready")])
def test_stream_options_are_refused_before_any_work(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        rtl_emit.compile_model(None, tmp_path / "x", **options)


def test_compile_model_lowers_with_lower_stream(tmp_path, monkeypatch):
    import da_core
    import quant

    stream = sp.recurrent()
    calls = []
    monkeypatch.setattr(quant, "from_keras", lambda model: "network")
    monkeypatch.setattr(da_core, "lower_stream", lambda net, **kw: calls.append((net, kw)) or stream, raising=False)
    design = rtl_emit.compile_model("model", tmp_path / "d", io="stream", max_depth=3, name="gru")
    assert isinstance(design, StreamDesign) and design.program is stream and design.network == "network"
    assert calls == [("network", dict(max_depth=3, multipliers="lut"))]
    assert "module gru (" in design.verilog_path.read_text() and "module gru_s0 (" in design.verilog_path.read_text()


def test_padded_windows_take_their_padding_cycles(designs, models):
    """Zero padding after a grid costs one cycle per padded position (the input waits), counted in the II."""
    design, model = designs["padded"], models["padded"]
    s = design.metadata["stream"]
    extra = [st["padding_cycles"] for st in s["stages"]]
    c1, c2, c3 = design.program.stages[:3]
    assert extra[:3] == [(c1.grid[0] + 1) * (c1.grid[1] + 1) - c1.n_positions, c2.grid[1],
                          (c3.grid[0] + 2) * (c3.grid[1] + 1) - c3.n_positions]
    assert s["initiation_interval_cycles"] == s["beats_per_sample"] + sum(extra) and not s["latency_exact"]
    codes = sp.random_codes(design.program, N_SAMPLES, np.random.default_rng(4))
    np.testing.assert_array_equal(model(codes), design.program.run(codes))
    assert model.last_cycles >= (N_SAMPLES - 1) * s["initiation_interval_cycles"] + s["beats_per_sample"]
    one_d = designs["padded_1d"].metadata["stream"]  # one padded stage, first: its latency is exact
    assert one_d["latency_exact"] and one_d["initiation_interval_cycles"] == one_d["beats_per_sample"] + 2
