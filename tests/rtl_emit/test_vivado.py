"""Post-route figures parsed from Vivado's reports, where the written OOC TCL puts them.

Vivado cannot run here: the reports are hand-written in Vivado's documented layout
(``vivado_reports.py`` says how), with invented counts.
"""

import re

import numpy as np
import pytest
from vivado_reports import UTILIZATION_7SERIES, UTILIZATION_ULTRASCALE, timing_report

import da_core
import rtl_emit
from rtl_emit import vivado


def test_utilization_of_ultrascale_and_7_series():
    assert vivado.parse_utilization(UTILIZATION_ULTRASCALE) == dict(luts=1234, ffs=567, dsps=2, brams=1.5)
    assert vivado.parse_utilization(UTILIZATION_7SERIES) == dict(luts=812, ffs=300, dsps=0, brams=0)
    assert vivado.parse_utilization("no tables here") == dict(luts=None, ffs=None, dsps=None, brams=None)


@pytest.mark.parametrize("wns, tns, fail, period, fmax, met", [
    ("0.123", "0.000", 0, "2.500", 420.7, True),  # 1000 / (2.5 - 0.123)
    ("-0.250", "-3.100", 17, "2.500", 363.6, False),  # 1000 / 2.75
    ("1.040", "0.000", 0, None, None, True),  # combinational: a max-delay bound, no clock
])
def test_timing_summary(wns, tns, fail, period, fmax, met):
    t = vivado.parse_timing_summary(timing_report(wns, tns, fail, period))
    assert t == dict(wns_ns=float(wns), tns_ns=float(tns), whs_ns=0.031,
                     period_ns=None if period is None else float(period), fmax_mhz=fmax, timing_met=met)


@pytest.fixture
def design(tmp_path):
    program = da_core.solve(np.array([[3, 5], [7, -2], [1, 1]])).program
    return rtl_emit.emit_program(program, tmp_path / "d", latency_cutoff=1)


def _run_vivado_by_hand(design) -> None:
    """Put the reports where the TCL writes them, stamped as the TCL stamps them."""
    tcl = design.path("tcl").read_text()
    folder = re.search(r"set reports \$here/(\S+)", tcl).group(1)
    assert folder == vivado.REPORT_DIR.format(name=design.name)
    for name in (vivado.UTILIZATION, vivado.TIMING, vivado.STAMP):
        assert f"$reports/{name}" in tcl
    stamp = re.search(r"puts \$stamp (\w+)", tcl).group(1)
    out = design.out_dir / folder
    out.mkdir()
    (out / vivado.UTILIZATION).write_text(UTILIZATION_ULTRASCALE)
    (out / vivado.TIMING).write_text(timing_report("0.123"))
    (out / vivado.STAMP).write_text(stamp + "\n")


def test_summary_reads_the_reports_the_tcl_writes(design):
    assert "vivado_luts" not in rtl_emit.design_summary(design.out_dir)  # before Vivado ran
    _run_vivado_by_hand(design)
    row = rtl_emit.design_summary(design.out_dir)
    assert (row["vivado_luts"], row["vivado_ffs"], row["vivado_dsps"], row["vivado_brams"]) == (1234, 567, 2, 1.5)
    assert (row["vivado_wns_ns"], row["vivado_fmax_mhz"]) == (0.123, 420.7)
    assert row["latency_cycles"] == design.latency_cycles and row["adders"] == design.report["adders"]


def test_reports_of_an_earlier_design_are_not_taken_for_a_new_one(design):
    _run_vivado_by_hand(design)
    rtl_emit.emit_program(design.program, design.out_dir, latency_cutoff=2, overwrite=True)  # other Verilog
    row = rtl_emit.design_summary(design.out_dir)
    assert "vivado_luts" not in row and "Vivado reports ignored" in row["notes"]
