"""How products of two variables reach the hardware: the ``multipliers`` option.

- ``"lut"`` (the default): no multiplier at all. ``expand`` rewrites every
  multiplier of a program as shift-and-add (``da_core.products.shift_and_add``):
  the design stays free of DSPs, as the CMVM layers are, and the pipelining, the
  cost model and both Verilog back ends see only adders, selects and wiring.
- ``"dsp"``: each multiplier stays a ``mul`` op, written as ``*`` in the Verilog,
  where synthesis maps it to DSP48E2s (``Program.dsps`` counts them).

A select (a product by one bit) is an AND in both modes; a known operand is a
constant weight for the CMVM solver in both.
"""

from .builder import ProgramBuilder
from .precision import check_same
from .products import shift_and_add
from .program import Program
from .replay import origin, port_inputs, replay

MODES = ("lut", "dsp")
DEFAULT_MULTIPLIERS = "lut"


def check_multipliers(multipliers: str) -> None:
    if multipliers not in MODES:
        raise ValueError(f"multipliers must be one of {', '.join(map(repr, MODES))}, got {multipliers!r}")


def expand(program: Program, check_samples: int = 256) -> Program:
    """The same program with every multiplier as shift-and-add: no ``mul`` op left but selects."""
    if not program.multipliers:
        return program
    b = ProgramBuilder()
    new = port_inputs(b, program)
    for v, op in enumerate(program.ops):
        if op.kind == "input":
            continue
        b.origin = origin(program, v)
        args = [new[a] for a in op.args]
        new[v] = shift_and_add(b, *args) if op.kind == "mul" else replay(b, op, args)
    expanded = b.build([new[v] for v in program.outputs])
    check_same(program, expanded, check_samples, "da_core.multipliers")
    return expanded


def apply(program: Program, multipliers: str) -> Program:
    """``program`` with its multipliers as ``multipliers`` asks ("lut": expanded, "dsp": as they are)."""
    check_multipliers(multipliers)
    return expand(program) if multipliers == "lut" else program
