"""Program -> pipelined Verilog with metadata; ``compile_model`` goes from a trained model in one call."""

from . import timing
from .compile import compile_model
from .design import DEFAULT_LATENCY_CUTOFF, Design, emit_program
from .ports import Interface
from .yosys import yosys_report

__all__ = ["Design", "emit_program", "compile_model", "DEFAULT_LATENCY_CUTOFF", "Interface", "timing", "yosys_report"]
