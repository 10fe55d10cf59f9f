"""How products of two variables reach the hardware: the ``multipliers`` option.

- ``"lut"`` (the default): no multiplier at all. ``expand`` rewrites every
  multiplier of a program as shift-and-add (``da_core.products.shift_and_add``):
  the design stays free of DSPs, as the CMVM layers are, and the pipelining, the
  cost model and both Verilog back ends see only adders, selects and wiring.
- ``"dsp"``: each multiplier stays a ``mul`` op, written as ``*`` in the Verilog,
  where synthesis maps it to DSP48E2s (``Program.dsps`` counts them).
- ``"auto"``: per multiplier, a DSP only where it pays (``dsp_pays``); the rest are
  expanded as in ``"lut"``. A multiplier stays ``*`` when both hold:

  - synthesis puts it on a DSP at all: the product bits any output can see
    (``da_core.precision.requirements``) number at least ``DSP_MIN_PRODUCT_BITS``.
    Yosys' ``synth_xilinx`` builds a narrower ``*`` from LUTs (its
    ``DSP_Y_MINWIDTH``), where the shift-and-add form is cheaper; left as ``*``
    the cost model would count a DSP that is not there;
  - its shift-and-add form, trimmed to those bits, costs more than
    ``DSP_LUTS`` LUTs (the cost model's). Below that a product is a few adders
    (a narrow operand of one or two radix-4 digits) and a DSP48E2 saves little.
    Measured with Yosys 0.23 by ``benchmarks/multipliers.py --grid`` (the LUTs of
    each product shape expanded, against its one DSP) and on whole models by
    ``benchmarks/rtl_luts.py --multipliers auto`` (benchmarks/RESULTS.md).

A select (a product by one bit) is an AND in every mode; a known operand is a
constant weight for the CMVM solver in every mode.
"""

from collections import Counter
from functools import cache

from .builder import ProgramBuilder
from .interval import Interval
from .precision import WHOLE, check_same, requirements, trim
from .products import shift_and_add
from .program import Program
from .replay import origin, port_inputs, replay

MODES = ("lut", "dsp", "auto")
DEFAULT_MULTIPLIERS = "lut"
DSP_MIN_PRODUCT_BITS = 9  # Yosys synth_xilinx (xcup): a `*` with fewer result bits is built from LUTs
DSP_LUTS = 32  # "auto": a product whose shift-and-add costs at most this many LUTs is expanded


def check_multipliers(multipliers: str) -> None:
    if multipliers not in MODES:
        raise ValueError(f"multipliers must be one of {', '.join(map(repr, MODES))}, got {multipliers!r}")


def expand(program: Program, keep: frozenset[int] = frozenset(), check_samples: int = 256) -> Program:
    """The same program with every multiplier not in ``keep`` as shift-and-add (selects stay selects)."""
    if not set(program.multipliers) - keep:
        return program
    operands = Counter(a for v in set(program.multipliers) - keep for a in set(program.ops[v].args))
    b = ProgramBuilder()
    new = port_inputs(b, program)
    for v, op in enumerate(program.ops):
        if op.kind == "input":
            continue
        b.origin = origin(program, v)
        args = [new[a] for a in op.args]
        if op.kind == "mul" and v not in keep:
            new[v] = shift_and_add(b, *args, shared=frozenset(new[a] for a in op.args if operands[a] > 1))
        else:
            new[v] = replay(b, op, args)
    expanded = b.build([new[v] for v in program.outputs])
    check_same(program, expanded, check_samples, "da_core.multipliers")
    return expanded


def dsp_pays(program: Program) -> frozenset[int]:
    """The multipliers that ``"auto"`` keeps for DSPs (the rule in the module docstring)."""
    _, high = requirements(program)
    kept = []
    for v in program.multipliers:
        a, b = (program.ops[x].interval for x in program.ops[v].args)
        bits = seen_bits(program.ops[v].interval, high[v])
        if bits >= DSP_MIN_PRODUCT_BITS and expansion_luts(a, b, bits) > DSP_LUTS:
            kept.append(v)
    return frozenset(kept)


def seen_bits(product: Interval, high: int) -> int:
    """The product's low bits that some output sees (``high``: the requirement of ``precision.requirements``)."""
    return product.width if high >= WHOLE else max(min(product.width, high - product.exp), 0)


@cache
def expansion_luts(a: Interval, b: Interval, bits: int) -> int:
    """Cost-model LUTs of one product of operands in ``a`` and ``b`` as shift-and-add, its low ``bits`` seen."""
    s = ProgramBuilder()
    product = shift_and_add(s, s.input(a), s.input(b))
    exp = s.interval(product).exp
    out = s.quant(product, 1, exp + bits - 1, -exp, "TRN", "WRAP")  # modulo 2**bits: free wiring
    return trim(s.build([out]), check_samples=0).cost


def apply(program: Program, multipliers: str) -> Program:
    """``program`` with its multipliers as ``multipliers`` asks ("lut": expanded, "dsp": as they are, "auto":
    expanded where a DSP does not pay)."""
    check_multipliers(multipliers)
    if multipliers == "dsp":
        return program
    return expand(program, dsp_pays(program) if multipliers == "auto" else frozenset())
