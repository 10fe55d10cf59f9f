"""Simulation of emitted designs (Verilog in Verilator, VHDL in GHDL), and the bit-exact check against the reference."""

from .compiled import CompiledModel
from .rtl import run_rtl
from .verify import MismatchError, VerifyResult, verify, verify_codes

__all__ = ["CompiledModel", "MismatchError", "VerifyResult", "run_rtl", "verify", "verify_codes"]
