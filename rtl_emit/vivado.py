"""Post-route figures from the Vivado reports that a design's ``NAME_ooc.tcl`` writes.

Vivado does not run here: the parsers read the plain-text formats of ``report_utilization``
and ``report_timing_summary`` as Vivado prints them (UG906; the same layout in public reports
of Vivado 2018 to 2023): tables of ``| Site Type | Used | Fixed | ... |`` rows for
utilization, and the "Design Timing Summary" and "Clock Summary" sections for timing.
"""

import re
from pathlib import Path

REPORT_DIR = "vivado_{name}"  # next to NAME_ooc.tcl
UTILIZATION = "utilization_route.rpt"
TIMING = "timing_route.rpt"
UTILIZATION_SYNTH = "utilization_synth.rpt"
TIMING_SYNTH = "timing_synth.rpt"
STAMP = "verilog.sha256"  # the SHA-256 of the Verilog the reports are of

# site types, by the names of the device families' tables (7-series: Slice, UltraScale(+): CLB)
_SITES = {"luts": ("CLB LUTs", "Slice LUTs"), "ffs": ("CLB Registers", "Slice Registers"),
          "dsps": ("DSPs",), "brams": ("Block RAM Tile",)}
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def report_dir(out_dir: str | Path, name: str) -> Path:
    """Where ``NAME_ooc.tcl`` writes its reports."""
    return Path(out_dir) / REPORT_DIR.format(name=name)


def parse_utilization(text: str) -> dict[str, float | int | None]:
    """LUTs, FFs (register sites), DSPs and BRAM tiles (halves count: a RAMB18 is 0.5) from
    ``report_utilization`` text; None for a figure the report does not hold."""
    used: dict[str, str] = {}
    column = None
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.lstrip().startswith("|") else []
        if len(cells) < 2:
            continue
        if "Used" in cells:  # a table's header (Site Type, Ref Name, ...)
            column = cells.index("Used")
        elif column is not None and len(cells) > column:
            used.setdefault(cells[0].rstrip("*").strip(), cells[column])
    figures: dict[str, float | int | None] = {}
    for key, names in _SITES.items():
        value = next((used[n] for n in names if n in used), None)
        figures[key] = None if value is None or not _NUMBER.fullmatch(value) else \
            (float(value) if "." in value else int(value))
    if isinstance(figures["brams"], float) and figures["brams"].is_integer():
        figures["brams"] = int(figures["brams"])
    return figures


def parse_timing_summary(text: str, clock: str = "clk") -> dict[str, float | bool | None]:
    """WNS, TNS, WHS (ns), the clock's period and the Fmax it allows, ``1000 / (period - WNS)`` MHz,
    from ``report_timing_summary`` text; None where the report has no figure (no clock: no Fmax)."""
    lines = text.splitlines()
    header, rows = _table(lines, "| Design Timing Summary", "WNS(ns)")
    design = dict(zip(header, rows[0])) if rows else {}
    wns, tns, whs = (_float(design.get(k)) for k in ("WNS(ns)", "TNS(ns)", "WHS(ns)"))
    header, rows = _table(lines, "| Clock Summary", "Clock")
    periods = {cells[0]: _float(cells[header.index("Period(ns)")]) for cells in rows
               if "Period(ns)" in header and len(cells) == len(header)}
    period = periods.get(clock, next(iter(periods.values()), None))  # the design's clock, else the first
    fmax = round(1000.0 / (period - wns), 1) if period is not None and wns is not None and period > wns else None
    met = "All user specified timing constraints are met." in text
    return dict(wns_ns=wns, tns_ns=tns, whs_ns=whs, period_ns=period, fmax_mhz=fmax, timing_met=met)


def vivado_results(out_dir: str | Path, name: str, verilog_sha256: str) -> dict | None:
    """The post-route figures of a design, None when Vivado has not written both reports.

    The TCL stamps its reports with the SHA-256 of the Verilog it was written with; reports whose stamp
    is not ``verilog_sha256`` (the Verilog now in the directory) describe another design: ``status: "stale"``.
    """
    folder = report_dir(out_dir, name)
    util, timing, stamp = folder / UTILIZATION, folder / TIMING, folder / STAMP
    if not (util.is_file() and timing.is_file()):
        return None
    if not stamp.is_file() or stamp.read_text().strip() != verilog_sha256:
        return dict(status="stale", reason=f"the reports in {folder} are not of the Verilog now in {out_dir}")
    return dict(status="ok", **parse_utilization(util.read_text()), **parse_timing_summary(timing.read_text()))


def _float(cell: str | None) -> float | None:
    return float(cell) if cell is not None and _NUMBER.fullmatch(cell) else None


def _table(lines: list[str], title: str, first: str) -> tuple[list[str], list[list[str]]]:
    """Column names and rows of the table headed ``first`` in the report section ``| Title``: Vivado pads
    columns with two or more spaces (names and waveforms hold single ones); rows end at a blank line."""
    start = next((i for i, line in enumerate(lines) if line.strip() == title), None)
    if start is None:
        return [], []
    body = []
    for line in lines[start + 1:]:
        if line.startswith("| ") and not line.startswith("| -"):  # the next section's title
            break
        body.append(line)
    head = next((i for i, line in enumerate(body) if line.split()[:1] == [first]), None)
    if head is None:
        return [], []
    rows = []
    for line in body[head + 2:]:  # past the dashed underline
        if not line.strip():
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return re.split(r"\s{2,}", body[head].strip()), rows
