"""One call from a trained model to pipelined Verilog: read, lower, emit."""

from pathlib import Path

import da_core
import quant

from .design import Design, check_out_dir, emit_program

DEFAULT_LATENCY_CUTOFF = 5  # adder levels per pipeline stage: a few ns of carry chains on UltraScale+


def compile_model(model, out_dir: str | Path, latency_cutoff: int | None = None, overwrite: bool = False,
                  name: str = "adderflow_top", max_depth: int | None = None) -> Design:
    """Convert a trained, calibrated HGQ2 model (or a ``quant.Network``) into Verilog in ``out_dir``.

    latency_cutoff: adder levels per pipeline stage (None: DEFAULT_LATENCY_CUTOFF).
    max_depth: adder levels allowed in each layer's CMVM (None: about the minimum).
    """
    check_out_dir(Path(out_dir), overwrite)  # before the slow part, not after
    network = model if isinstance(model, quant.Network) else quant.from_keras(model)
    program = da_core.lower(network, max_depth=max_depth)
    cutoff = DEFAULT_LATENCY_CUTOFF if latency_cutoff is None else latency_cutoff
    return emit_program(program, out_dir, name=name, latency_cutoff=cutoff, overwrite=overwrite, network=network)
