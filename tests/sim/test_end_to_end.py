"""The whole path on a trained model: HGQ2 == reference == program == Verilog, on over 10,000 samples."""

import numpy as np
import pytest

import rtl_emit
import sim


@pytest.fixture(scope="module")
def digits_design(digits, tmp_path_factory):
    return rtl_emit.compile_model(digits[0], tmp_path_factory.mktemp("digits") / "out", latency_cutoff=4)


def test_verilog_is_bit_exact_on_10k_samples(digits, digits_design, many_inputs):
    model = digits[0]
    assert len(many_inputs) >= 10_000
    hgq2 = model.predict(many_inputs, batch_size=len(many_inputs), verbose=0)  # one batch: one compile
    result = sim.verify(digits_design, many_inputs, reference=hgq2)
    assert result.n_samples == len(many_inputs)
    assert result.n_outputs == 10
    assert digits_design.latency_cycles == digits_design.metadata["latency_cycles"] >= 2


@pytest.fixture(scope="module")
def narrow_design(narrow_digits, tmp_path_factory):
    """The 64-8-10 MLP at levels per stage: written, not simulated (the digits design above is)."""
    return rtl_emit.compile_model(narrow_digits, tmp_path_factory.mktemp("narrow") / "out", latency_cutoff=4)


@pytest.mark.parametrize("target", [dict(clock_period_ns=1.5), dict(combinational=True)])
def test_three_latency_targets_verify_bit_exactly(narrow_digits, narrow_design, many_inputs, target, tmp_path):
    """Levels per stage (the fixtures), a fast clock and no clock, on the 64-8-10 MLP whose designs build
    quickly: latency and FFs move as expected."""
    design = rtl_emit.compile_model(narrow_digits, tmp_path, name="digits", **target)
    sim.verify(design, many_inputs[::3])
    assert design.program == narrow_design.program  # same arithmetic, other registers
    if "combinational" in target:
        assert design.latency_cycles == 0 and design.report["ff_bits"] == 0
    else:
        assert design.latency_cycles > narrow_design.latency_cycles
        assert design.report["ff_bits"] > narrow_design.report["ff_bits"]
        assert design.report["estimated_delay_ns"] <= 1.5 - rtl_emit.timing.REGISTER_OVERHEAD_NS
        assert "create_clock -period 1.5 " in design.path("xdc").read_text()


def test_a_wrong_reference_is_caught_with_its_sample(digits_design, many_inputs, digits_net):
    wrong = digits_net.predict(many_inputs[:50]).copy()
    wrong[17, 3] += 2.0**-10
    with pytest.raises(sim.MismatchError, match="sample 17, output 3"):
        sim.verify(digits_design, many_inputs[:50], reference=wrong)


def test_report_counts_what_the_program_holds(digits_design):
    report = digits_design.report
    assert report["adders"] == digits_design.program.n_adders > 0
    assert report["lut_estimate"] == digits_design.program.cost
    assert report["ff_bits"] > 0


def test_occupied_output_directory_is_refused_before_solving(digits, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        rtl_emit.compile_model(digits[0], tmp_path)
    design = rtl_emit.compile_model(digits[0], tmp_path, overwrite=True, name="again")
    assert (tmp_path / "notes.txt").read_text() == "mine"  # the user's file survives
    assert design.verilog_path.is_file()
    np.testing.assert_array_equal(design.program.outputs, rtl_emit.Design.load(tmp_path).program.outputs)
