"""The wires and registers of a planned program: one walk that both back ends write out.

Per live value that needs a wire (constants need none, and a ``shift`` is wiring on
its operand's code), in program order: its code, computed in its stage (an input's
slice of the input bus, or its op's logic on operands read in that stage), then the
register chain that delays it, ``plan.delay`` registers long and shared by all its
readers. Reading value ``a`` in stage ``s`` takes tap ``s - stage[root]`` of its
root's chain; a constant is read as its code. Both back ends name taps alike.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from da_core.interval import Interval
from da_core.program import Op, Program

from .pipeline import PipelinePlan, is_constant, live_values
from .ports import bus_offsets


@dataclass(frozen=True)
class Tap:
    """The code of value ``root`` after ``k`` registers of its chain (``k = 0``: as computed)."""

    root: int
    k: int

    @property
    def name(self) -> str:
        return f"v{self.root}" if self.k == 0 else f"v{self.root}_d{self.k}"


Operand = Tap | int  # an int is a constant's code


@dataclass(frozen=True)
class Wire:
    """One live value: how its code is computed, and its register chain."""

    op: Op
    input_lsb: int | None  # for an input: its lsb on the input bus
    args: tuple[Operand, ...]  # the op's operands as read in its stage
    arg_intervals: tuple[Interval, ...]  # the operands' own intervals (a shift's, not its root's)
    chain: tuple[Tap, ...]  # the code as computed, then after each register


def wires(program: Program, plan: PipelinePlan) -> Iterator[Wire]:
    """The live values that need a wire, in program order (operands before their readers)."""
    ops, input_lsb = program.ops, bus_offsets(program.input_intervals)
    for v in live_values(program):
        op = ops[v]
        if is_constant(program, v) or op.kind == "shift":
            continue
        yield Wire(op, input_lsb[op.params[0]] if op.kind == "input" else None,
                   tuple(_read(program, plan, a, plan.stage[v]) for a in op.args),
                   tuple(ops[a].interval for a in op.args),
                   tuple(Tap(v, k) for k in range(plan.delay[v] + 1)))


def output_taps(program: Program, plan: PipelinePlan) -> list[Operand]:
    """Per output: its code after the last register boundary."""
    return [_read(program, plan, v, plan.latency_cycles) for v in program.outputs]


def _read(program: Program, plan: PipelinePlan, a: int, stage: int) -> Operand:
    """Value ``a`` as read by logic in ``stage``."""
    if is_constant(program, a):
        return program.ops[a].interval.lo
    root = plan.root[a]
    return Tap(root, stage - plan.stage[root])
