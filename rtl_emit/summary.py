"""One design's figures as one flat row: what a report over many designs prints for it.

Read from the metadata (cost model, pipeline, Yosys when it ran) and, when Vivado has
run the design's ``NAME_ooc.tcl``, from its post-route reports (``rtl_emit.vivado``).
"""

import hashlib
from pathlib import Path

from .metadata import FORMAT, Metadata, find_metadata
from .vivado import vivado_results

# the columns, in order; the yosys_ and vivado_ ones only when those tools ran
COLUMNS = ("module", "adders", "lut_estimate", "dsps", "ff_bits", "latency_cycles", "latency_ns", "estimated_delay_ns",
           "estimated_fmax_mhz", "yosys_luts", "yosys_ffs", "yosys_carry", "yosys_dsps", "vivado_luts", "vivado_ffs",
           "vivado_dsps", "vivado_brams", "vivado_wns_ns", "vivado_fmax_mhz", "notes")


def design_summary(out_dir: str | Path) -> dict:
    """The figures of the design in ``out_dir``: cost model, latency (cycles, and ns at the XDC's clock),
    estimated delay and Fmax, and Yosys and post-route Vivado counts where those ran."""
    path = find_metadata(Path(out_dir))
    if path is None:
        raise FileNotFoundError(f"no adderflow design in {out_dir} (no metadata .json of format {FORMAT})")
    meta = Metadata.load(path)
    r = meta.report
    period = meta.clock_period_ns
    row = dict(module=meta.name, adders=r["adders"], lut_estimate=r["lut_estimate"], dsps=r.get("dsps", 0),
               ff_bits=r["ff_bits"],
               latency_cycles=meta.latency_cycles,
               latency_ns=r["estimated_delay_ns"] if period is None else round(meta.latency_cycles * period, 3),
               estimated_delay_ns=r["estimated_delay_ns"], estimated_fmax_mhz=r["estimated_fmax_mhz"])
    y = r.get("yosys", {})
    if y.get("status") == "ok":
        row.update(yosys_luts=y["luts"], yosys_ffs=y["ffs"], yosys_carry=y["carry"], yosys_dsps=y.get("dsps", 0))
    verilog = Path(out_dir) / meta.files.verilog
    v = vivado_results(out_dir, meta.name, hashlib.sha256(verilog.read_bytes()).hexdigest())
    if v is not None and v["status"] == "ok":
        row.update(vivado_luts=v["luts"], vivado_ffs=v["ffs"], vivado_dsps=v["dsps"], vivado_brams=v["brams"],
                   vivado_wns_ns=v["wns_ns"], vivado_fmax_mhz=v["fmax_mhz"])
    elif v is not None:
        row["notes"] = f"Vivado reports ignored: {v['reason']}"
    return row
