"""Program -> pipelined Verilog or VHDL with metadata; ``compile_model`` goes from a trained model in one call."""

from . import timing, vivado
from .compile import compile_model
from .design import DEFAULT_NAME, Design, StreamDesign, check_options, emit_program
from .metadata import DesignFiles, Metadata
from .pipeline import DEFAULT_LATENCY_CUTOFF
from .ports import Interface
from .stream_design import check_stream_options, emit_stream
from .summary import design_summary
from .yosys import yosys_report

__all__ = ["DEFAULT_LATENCY_CUTOFF", "DEFAULT_NAME", "Design", "DesignFiles", "Interface", "Metadata", "StreamDesign",
           "check_options", "check_stream_options", "compile_model", "design_summary", "emit_program", "emit_stream",
           "timing", "vivado", "yosys_report"]
