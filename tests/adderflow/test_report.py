"""`adderflow report` over a sweep of six designs, in every format; labels, accuracy, sorting, missing designs."""

import csv
import io
import json
import shutil
import sys
import types
from concurrent.futures import ThreadPoolExecutor

import pytest

from adderflow.cli import EXIT_BAD_INPUT, main
from adderflow.report import ReportError, parse_labels, render, report
from adderflow.sweep import sweep


@pytest.fixture(scope="module")
def swept(two_models, digits, tmp_path_factory):
    """Two models at three latency settings: six designs, each with its accuracy stored."""
    out = tmp_path_factory.mktemp("sweep")
    with ThreadPoolExecutor(1) as pool:  # in this process: no worker start-up
        candidates = sweep(two_models, out, digits[2], digits[3], latency_cutoffs=(1, 3, None), executor=pool)
    return candidates, sorted(out.iterdir())


def test_one_row_per_design_with_the_sweeps_labels_and_accuracy(swept):
    candidates, dirs = swept
    rows = report(dirs)
    assert len(rows) == len(candidates) == 6
    by_name = {row["name"]: row for row in rows}
    for c in candidates:
        row = by_name[c.out_dir.rsplit("/", 1)[1]]
        assert (row["model"], row["latency_cutoff"], row["accuracy"]) == (c.model.rsplit("/", 1)[1][:-6],
                                                                         c.latency_cutoff, c.accuracy)
        assert (row["adders"], row["lut_estimate"], row["ff_bits"], row["latency_cycles"]) == \
               (c.adders, c.lut_estimate, c.ff_bits, c.latency_cycles)
        assert row["latency_ns"] > 0 and row["estimated_fmax_mhz"] > 0


def test_every_format(swept):
    rows = report(swept[1], sort_by="lut_estimate")
    assert [r["lut_estimate"] for r in rows] == sorted(r["lut_estimate"] for r in rows)
    table = render(rows, "table").splitlines()
    assert len(table) == 2 + 6 and table[0].split()[:3] == ["name", "model", "latency_cutoff"]
    md = render(rows, "md").splitlines()
    assert len(md) == 2 + 6 and all(line.startswith("| ") or line.startswith("|---") for line in md)
    assert json.loads(render(rows, "json")) == rows
    back = list(csv.DictReader(io.StringIO(render(rows, "csv"))))  # the CSV, read back with the csv module
    assert [r["name"] for r in back] == [r["name"] for r in rows]
    for got, row in zip(back, rows):
        assert int(got["adders"]) == row["adders"] and float(got["accuracy"]) == row["accuracy"]
        assert got["latency_cutoff"] == ("" if row["latency_cutoff"] is None else str(row["latency_cutoff"]))


def test_cli_prints_the_rows_and_names_a_directory_without_a_design(swept, tmp_path, capsys):
    empty = tmp_path / "not_a_design"
    empty.mkdir()
    code = main(["report", *map(str, swept[1]), str(empty), "--format", "csv", "--sort-by", "accuracy",
                 "--descending"])
    printed = capsys.readouterr()
    assert code == EXIT_BAD_INPUT
    assert f"no adderflow design in {empty}" in printed.err
    rows = list(csv.DictReader(io.StringIO(printed.out)))
    assert len(rows) == 6
    assert [float(r["accuracy"]) for r in rows] == sorted((float(r["accuracy"]) for r in rows), reverse=True)
    with pytest.raises(ReportError, match="not_a_design") as error:
        report([*swept[1], empty])
    assert len(error.value.rows) == 6
    assert len(report([*swept[1], empty], skip_missing=True)) == 6


def test_labels_from_directory_names(swept, tmp_path):
    assert parse_labels("beta=1e-5_lc=3") == dict(beta=1e-5, lc=3)
    assert parse_labels("sweep/beta=1e-5,act=relu/run_2") == dict(beta=1e-5, act="relu")
    assert parse_labels("digits_mlp_lc3") == {}
    for name in ("beta=1e-5_lc=3", "beta=1e-6_lc=3"):
        shutil.copytree(swept[1][0], tmp_path / "grid" / name)
    rows = report(sorted((tmp_path / "grid").iterdir()), sort_by="beta")
    assert [(r["name"], r["beta"], r["lc"]) for r in rows] == [("beta=1e-6_lc=3", 1e-6, 3), ("beta=1e-5_lc=3", 1e-5, 3)]


def test_unknown_sort_column_names_the_columns(swept, capsys):
    assert main(["report", str(swept[1][0]), "--sort-by", "luts"]) == EXIT_BAD_INPUT
    assert "no column 'luts' to sort by; the columns are: name, model" in capsys.readouterr().err


def test_as_frame_goes_through_pandas(swept, monkeypatch):
    made = {}

    def frame(rows, columns):
        made.update(rows=rows, columns=columns)
        return "a DataFrame"

    monkeypatch.setitem(sys.modules, "pandas", types.SimpleNamespace(DataFrame=frame))  # pandas is optional
    assert report(swept[1], as_frame=True) == "a DataFrame"
    assert len(made["rows"]) == 6 and made["columns"][:2] == ["name", "model"]
    monkeypatch.setitem(sys.modules, "pandas", None)  # not installed
    with pytest.raises(ImportError, match="needs pandas"):
        report(swept[1], as_frame=True)
