"""The lowered program equals the NumPy reference on every sample and survives a save/load."""

import numpy as np

import da_core
import quant


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


def test_every_op_is_traced_to_the_node_that_made_it(digits_net, many_inputs):
    """``origins`` survives trimming and a save/load; the per-node costs add up to the program's."""
    program, intervals = da_core.lower_with_intervals(digits_net)
    assert len(program.origins) == len(program.ops)
    names = {spec.name for spec in digits_net.inputs} | {node.name for node in digits_net.nodes}
    table = program.cost_by_origin()
    assert set(table) <= names
    assert sum(r["adders"] for r in table.values()) == program.n_adders
    assert sum(r["luts"] for r in table.values()) == program.cost
    dense = [n.name for n in digits_net.nodes if isinstance(n.op, quant.Dense)]
    assert sum(table[n]["adders"] for n in dense) > 0.9 * program.n_adders  # the matrices hold the adders
    assert da_core.Program.from_dict(program.to_dict()).origins == program.origins
    # the intervals: one per element of every tensor, each holding every value the data reaches
    for name, values in digits_net.trace(many_inputs).items():
        flat = values.reshape(len(values), -1)
        ivs = intervals[name]
        assert len(ivs) == flat.shape[1]
        lo = np.array([iv.lo * 2.0**iv.exp for iv in ivs])
        hi = np.array([iv.hi * 2.0**iv.exp for iv in ivs])
        assert np.all(flat >= lo) and np.all(flat <= hi), name
