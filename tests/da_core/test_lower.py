"""The lowered program equals the NumPy reference on every sample and survives a save/load."""

import numpy as np

import da_core


def test_program_equals_reference(digits_net, many_inputs, tmp_path):
    program = da_core.lower(digits_net)
    expected = digits_net.predict(many_inputs)
    quantized = np.concatenate(digits_net.quantize_inputs(many_inputs))
    got = program(quantized)
    mismatch = np.argwhere(got != expected)
    assert mismatch.size == 0, f"first mismatch at {mismatch[0]}"
    program.save(tmp_path / "program.json")
    again = da_core.Program.load(tmp_path / "program.json")
    assert again == program
    np.testing.assert_array_equal(again(quantized), expected)


def test_program_widths_hold_every_value(digits_net, many_inputs):
    """Every intermediate value lies inside its interval: widths are never too small."""
    program = da_core.lower(digits_net)
    quantized = np.concatenate(digits_net.quantize_inputs(many_inputs))
    codes = (quantized * 2.0 ** -np.array([iv.exp for iv in program.input_intervals])).astype(np.int64)
    probe = da_core.Program(program.ops, tuple(range(len(program.ops))))
    values = probe.run(codes)
    lo = np.array([op.interval.lo for op in program.ops])
    hi = np.array([op.interval.hi for op in program.ops])
    assert np.all(values >= lo) and np.all(values <= hi)
