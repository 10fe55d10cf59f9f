"""One call from a trained model to pipelined Verilog: read, lower, emit."""

from pathlib import Path

import da_core
import quant

from .design import Design, check_out_dir, emit_program
from .pipeline import check_target


def compile_model(model, out_dir: str | Path, latency_cutoff: int | None = None, overwrite: bool = False,
                  name: str = "adderflow_top", max_depth: int | None = None, *,
                  latency_cutoff_ns: float | None = None, clock_period_ns: float | None = None,
                  combinational: bool = False, reset: bool = False, clock_enable: bool = False,
                  valid: bool = True, **emit_options) -> Design:
    """Convert a trained, calibrated HGQ2 model (or a ``quant.Network``) into Verilog in ``out_dir``.

    latency_cutoff: adder levels per pipeline stage (None: DEFAULT_LATENCY_CUTOFF, unless another
    target is given). latency_cutoff_ns: estimated ns of logic per stage; clock_period_ns: a clock
    target (also written to the XDC); combinational: no registers. reset / clock_enable / valid:
    the control ports (see ``rtl_emit.emit_program``, which also takes ``emit_options``).
    max_depth: adder levels allowed in each layer's CMVM (None: about the minimum).
    """
    check_out_dir(Path(out_dir), overwrite)  # before the slow part, not after
    check_target(latency_cutoff, latency_cutoff_ns, clock_period_ns, combinational)
    network = model if isinstance(model, quant.Network) else quant.from_keras(model)
    program = da_core.lower(network, max_depth=max_depth)
    if latency_cutoff is not None:  # else emit_program's default: DEFAULT_LATENCY_CUTOFF unless another target
        emit_options["latency_cutoff"] = latency_cutoff
    return emit_program(program, out_dir, name=name, overwrite=overwrite, network=network,
                        latency_cutoff_ns=latency_cutoff_ns, clock_period_ns=clock_period_ns,
                        combinational=combinational, reset=reset, clock_enable=clock_enable, valid=valid,
                        **emit_options)
