"""Profiling: the formats against the data, per tensor, the cost per layer, and `adderflow profile`."""

import numpy as np
import pytest

import da_core
from adderflow.cli import EXIT_BAD_INPUT, main
from adderflow.profiling import layer_costs, plot, profile


@pytest.fixture(scope="module")
def rows(digits_net, many_inputs):
    return profile(digits_net, many_inputs)


def test_every_tensor_its_interval_holds_the_data(rows, digits_net, many_inputs):
    assert [r["node"] for r in rows] == ["input"] + [n.name for n in digits_net.nodes]
    traced = digits_net.trace(many_inputs)
    for r in rows:
        values = traced[r["node"]]
        assert (r["data_min"], r["data_max"]) == (values.min(), values.max())
        assert r["lo"] <= r["data_min"] <= r["data_max"] <= r["hi"]
        assert 0 <= r["data_bits"] <= r["bits"] and r["spare_bits"] >= 0
        assert r["elements"] == values[0].size


def test_the_cost_adds_up_to_the_program(rows, digits_net):
    program = da_core.lower(digits_net)
    assert sum(r["adders"] for r in rows) == program.n_adders
    assert sum(r["luts"] for r in rows) == program.cost
    assert all(r["adders"] == 0 for r in rows if r["op"] in ("Input", "Relu"))
    costs = layer_costs(rows)
    assert [c["layer"] for c in costs] == ["input"] + list(dict.fromkeys(n.source for n in digits_net.nodes))
    assert sum(c["luts"] for c in costs) == program.cost
    assert sum(c["lut_share"] for c in costs) == pytest.approx(1, abs=1e-3)


def test_plot(rows, tmp_path):
    fig = plot(rows, tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes) == 3


def test_cli_writes_the_plot_and_prints_the_tables(digits, tmp_path, capsys):
    model, data = tmp_path / "m.keras", tmp_path / "x.npy"
    digits[0].save(model)
    np.save(data, digits[2])
    assert main(["profile", str(model), str(data), "-o", str(tmp_path / "plot.png"), "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"
    assert "| node | layer | op |" in out and "| layer | adders | luts | lut_share |" in out
    np.save(data, digits[2][:, :10])
    assert main(["profile", str(model), str(data)]) == EXIT_BAD_INPUT
    assert "DATA array 0 has shape" in capsys.readouterr().err
