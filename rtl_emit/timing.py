"""The delay model behind clock targets: estimated nanoseconds per op on an UltraScale+ fabric.

It is deliberately small and coarse, for placing registers before any vendor tool
runs, not for sign-off. Numbers are typical of a -2 speed grade UltraScale+ part
(Vivado reports LUT6 ~0.05-0.1 ns, CARRY8 ~0.05-0.1 ns per 8 bits, local nets
~0.2-0.5 ns):

- an adder or subtractor of ``w`` result bits: one net into the LUT that forms
  the propagate/generate bits, the LUT, then the carry chain,
  ``NET_NS + LUT_NS + CARRY8_NS * ceil(w / 8)``;
- a select (the mux of relu, max/min, a saturating clamp, the AND of a product by
  one bit): ``NET_NS + LUT_NS``;
- a multiplier (``multipliers="dsp"``): a DSP48E2 with none of its internal
  registers, operands to product, ``NET_NS + DSP_NS``, plus ``CASCADE_NS`` for each
  further DSP of a product too wide for one (their partial products cascade);
- wiring (shifts, inputs, constants, quantizers that only drop or wrap bits): 0.

A comparison (max/min, clamp) is an adder's carry chain followed by a select; a
rounding quantizer is one adder. Each pipeline register costs
``REGISTER_OVERHEAD_NS`` of every clock period (clock to Q, setup, clock
uncertainty), so a stage may hold ``clock_period_ns - REGISTER_OVERHEAD_NS`` of
logic. Estimated delays are the longest register-to-register (or port-to-register)
path by this model; Yosys' report (``rtl_emit.yosys``) and Vivado give real ones.
"""

from da_core.program import Op, is_bit, multiplier_dsps

NET_NS = 0.30
LUT_NS = 0.10
CARRY8_NS = 0.06
REGISTER_OVERHEAD_NS = 0.25
DSP_NS = 2.0  # A/B to P through the 27x18 multiplier, AREG = BREG = MREG = PREG = 0
CASCADE_NS = 0.5  # through the next DSP's post-adder (PCIN -> P)


def adder_ns(width: int) -> float:
    """An adder of ``width`` result bits on LUTs + CARRY8."""
    return NET_NS + LUT_NS + CARRY8_NS * max(-(-width // 8), 1)


def select_ns() -> float:
    return NET_NS + LUT_NS


def multiplier_ns(dsps: int) -> float:
    """A product on ``dsps`` cascaded DSP48E2s, combinational."""
    return NET_NS + DSP_NS + CASCADE_NS * (dsps - 1)


def op_delay_ns(op: Op, arg_ops: list[Op]) -> float:
    """Estimated propagation delay through ``op`` (from its operands to its result)."""
    w = max([op.interval.width] + [a.interval.width for a in arg_ops])
    match op.kind:
        case "add" | "neg":
            return adder_ns(op.interval.width)
        case "relu" | "mux":
            return select_ns()
        case "max" | "min":
            return adder_ns(w) + select_ns()
        case "quant":
            # the builder counts one adder level for rounding and one for a clamp (see ProgramBuilder.quant)
            levels = op.depth - (arg_ops[0].depth if arg_ops else 0)
            rounds = op.params[3] == "RND" and arg_ops and arg_ops[0].interval.exp < -op.params[2]
            clamps = op.params[4] != "WRAP" and levels > int(bool(rounds))
            return adder_ns(w) * bool(rounds) + (adder_ns(w) + select_ns()) * bool(clamps)
        case "mul":
            a, b = (arg.interval for arg in arg_ops)
            return select_ns() if is_bit(b) else multiplier_ns(multiplier_dsps(a, b))
        case "input" | "const" | "shift":
            return 0.0
    # an op kind this model does not know (e.g. a table lookup): a LUT level per adder level it declares
    levels = op.depth - max((a.depth for a in arg_ops), default=0)
    return max(levels, 1) * select_ns()


def stage_budget_ns(clock_period_ns: float) -> float:
    """Logic delay one pipeline stage may hold at ``clock_period_ns``."""
    return clock_period_ns - REGISTER_OVERHEAD_NS
