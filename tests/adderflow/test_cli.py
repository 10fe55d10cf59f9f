"""`adderflow convert`: end to end from a .keras file, with exit codes scripts can trust."""

import numpy as np
import pytest

from adderflow.cli import EXIT_BAD_INPUT, main


@pytest.fixture(scope="module")
def saved_model(digits, narrow_digits, tmp_path_factory):
    """The 64-8-10 MLP (its designs build quickly) and 200 test digits."""
    path = tmp_path_factory.mktemp("model") / "digits.keras"
    narrow_digits.save(path)
    data = tmp_path_factory.mktemp("data") / "x.npy"
    np.save(data, digits[2][:200])
    return path, data


def test_convert_and_verify(saved_model, tmp_path, capsys):
    model, data = saved_model
    assert main(["convert", str(model), str(tmp_path / "out"), "--verify", str(data), "--clock-period-ns", "2.5",
                 "--reset", "--clock-enable"]) == 0
    printed = capsys.readouterr().out
    assert "verified" in printed and "200 samples" in printed
    assert "0 / 200 samples mismatched" in printed.splitlines()  # the acceptance line, on a line of its own
    verilog = (tmp_path / "out" / "adderflow_top.v").read_text()
    assert "input rst" in verilog and "input ce" in verilog
    assert "create_clock -period 2.5 " in (tmp_path / "out" / "adderflow_top.xdc").read_text()


def test_two_targets_are_a_usage_error(saved_model, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["convert", str(saved_model[0]), str(tmp_path / "out"), "--latency-cutoff", "3", "--combinational"])
    assert exit_info.value.code == EXIT_BAD_INPUT
    assert "--combinational: not allowed with argument --latency-cutoff" in capsys.readouterr().err


def test_existing_output_directory_exits_2_naming_the_flag(saved_model, tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("x")
    assert main(["convert", str(saved_model[0]), str(tmp_path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "pass --overwrite" in err and "overwrite=True" not in err


@pytest.mark.parametrize("flags, message", [
    (["--combinational", "--reset"], "neither reset nor clock_enable"),
    (["--latency-cutoff", "0"], "latency_cutoff must be an int >= 1"),
    (["--clock-period-ns", "0.1"], "leaves no time for logic"),
    (["--io", "stream", "--hdl", "vhdl"], "io='stream' writes Verilog only"),
    (["--io", "stream", "--clock-enable"], "stalls through out_ready"),
    (["--ternary-adders", "--hdl", "vhdl"], "ternary_adders=True is written by the direct Verilog writer"),
    (["--io", "stream", "--ternary-adders"], "two-input adders only"),
])
def test_bad_options_are_refused_before_the_model_is_read(saved_model, tmp_path, monkeypatch, capsys, flags,
                                                          message):
    import keras

    def no_loading(*args, **kwargs):
        raise AssertionError("the model was loaded before the options were checked")

    monkeypatch.setattr(keras.models, "load_model", no_loading)
    assert main(["convert", str(saved_model[0]), str(tmp_path / "out"), *flags]) == EXIT_BAD_INPUT
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("data, message", [
    (np.zeros((5, 63), np.float32), "--verify array 0 has shape (5, 63); model input 0 takes (n_samples, 64)"),
    (np.zeros(64, np.float32), "--verify array 0 has shape (64,)"),
    ({"a": np.zeros((5, 64)), "b": np.zeros((5, 64))}, "--verify holds 2 arrays, but the model takes 1 inputs"),
])
def test_wrong_verify_data_is_refused_before_solving(saved_model, tmp_path, monkeypatch, capsys, data, message):
    import quant

    def no_reading(*args, **kwargs):
        raise AssertionError("the model was read before the --verify data was checked")

    monkeypatch.setattr(quant, "from_keras", no_reading)
    if isinstance(data, dict):
        np.savez(path := tmp_path / "x.npz", **data)
    else:
        np.save(path := tmp_path / "x.npy", data)
    assert main(["convert", str(saved_model[0]), str(tmp_path / "out"), "--verify", str(path)]) == EXIT_BAD_INPUT
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_missing_model_exits_2(tmp_path, capsys):
    assert main(["convert", str(tmp_path / "nope.keras"), str(tmp_path / "out")]) == EXIT_BAD_INPUT
    assert "no model file" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["convert"], ["convert", "m.keras", "out", "--multipliers", "fpga"]])
def test_bad_arguments_exit_2(argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


def test_convert_with_report_then_report_command(saved_model, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["convert", str(saved_model[0]), str(out), "--report", "--combinational", "--multipliers", "dsp"]) == 0
    converted = capsys.readouterr().out
    assert "adders" in converted and "latency cycles" in converted and "dsps" in converted
    assert main(["report", str(out)]) == 0
    header, ruler, row = capsys.readouterr().out.splitlines()
    assert header.split()[:3] == ["name", "module", "adders"] and row.split()[:2] == ["out", "adderflow_top"]
    assert main(["report", "--full", str(out)]) == 0
    reported = capsys.readouterr().out
    assert "adders" in reported and "Yosys synth_xilinx" in reported


def test_report_on_a_directory_without_a_design_exits_2(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == EXIT_BAD_INPUT
    assert "no adderflow design" in capsys.readouterr().err


def test_a_mismatch_exits_1(saved_model, tmp_path, monkeypatch, capsys):
    import sim

    def broken_verify(design, x):
        raise sim.MismatchError("program vs RTL", 3, 1, 5, 4, 1)

    monkeypatch.setattr(sim, "verify", broken_verify)
    assert main(["convert", str(saved_model[0]), str(tmp_path / "o"), "--verify", str(saved_model[1])]) == 1
    assert "MISMATCH" in capsys.readouterr().err


def test_other_assertion_errors_are_not_called_a_mismatch(saved_model, tmp_path, monkeypatch):
    import sim

    def failing_verify(design, x):
        raise AssertionError("a bug, not a mismatch")

    monkeypatch.setattr(sim, "verify", failing_verify)
    with pytest.raises(AssertionError, match="a bug"):
        main(["convert", str(saved_model[0]), str(tmp_path / "o"), "--verify", str(saved_model[1])])



def test_demo_writes_vhdl_and_proves_it_in_ghdl(digits, narrow_digits, tmp_path, monkeypatch, capsys):
    import adderflow.demo

    x_test, y_test = digits[2][:100], digits[3][:100]  # the 64-8-10 MLP stands in for the demo's training
    monkeypatch.setattr(adderflow.demo, "train_digits_mlp", lambda **options: (narrow_digits, None, x_test, y_test))
    assert main(["demo", str(tmp_path), "--hdl", "vhdl"]) == 0
    printed = capsys.readouterr().out
    assert "verified in GHDL" in printed and "0 / 100 samples mismatched" in printed.splitlines()
    assert "entity digits_mlp is" in (tmp_path / "digits_mlp.vhd").read_text().lower()
    assert not (tmp_path / "digits_mlp.v").exists()
