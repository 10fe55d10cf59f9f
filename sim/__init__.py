"""Verilator + cocotb simulation of emitted designs, and the bit-exact check against the reference."""

from .compiled import CompiledModel, compile_rtl
from .rtl import run_rtl
from .verify import MismatchError, VerifyResult, verify, verify_codes

__all__ = ["CompiledModel", "compile_rtl", "MismatchError", "VerifyResult", "run_rtl", "verify", "verify_codes"]
