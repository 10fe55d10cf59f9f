"""The CMVM solver, the flat program of scalar fixed-point ops, its interpreter, and network lowering."""

from .builder import ProgramBuilder
from .cmvm import Solution, emit_cmvm, solve, solve_many
from .interval import Interval
from .lower import lower, lower_with_intervals
from .program import Op, Program
from .stream_lower import lower_stream

__all__ = ["solve", "solve_many", "Solution", "emit_cmvm", "lower", "lower_with_intervals", "lower_stream", "Program",
           "Op", "ProgramBuilder", "Interval"]
