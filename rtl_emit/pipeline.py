"""Register placement: which values are registered, and how many times.

The program is cut into stages of ``latency_cutoff`` adder levels each. A value
of adder depth ``d >= 1`` is computed combinationally in stage ``(d - 1) // N``;
inputs and other depth-0 values (wiring of inputs) belong to stage 0. Every stage
ends in a register boundary; a value read by a later stage travels through one
register chain of its own, shared by all its readers. Every output leaves
through the last boundary, so all paths have the same latency and a new sample
can enter on every clock (initiation interval 1).

Latency convention: with ``L = latency_cycles`` (the number of register
boundaries on every input-to-output path; the inputs are not registered), the
input presented before rising edge ``t`` produces the output that is stable
after edge ``t + L - 1`` and is captured by downstream logic at edge ``t + L``.

Constants (and zero-width values) need no registers. A ``shift`` op is wiring:
it is the same code as its operand and shares its operand's register chain.
"""

from dataclasses import dataclass

from da_core.program import Program


@dataclass(frozen=True)
class PipelinePlan:
    """Where each value of a program is computed and how far it is delayed."""

    latency_cutoff: int
    stage: tuple[int, ...]  # per value: the stage whose logic computes it
    root: tuple[int, ...]  # per value: the value whose signal carries its code (shifts are wiring)
    delay: tuple[int, ...]  # per root: length of its register chain (0 for non-roots)
    latency_cycles: int
    ff_bits: int

    @property
    def n_stages(self) -> int:
        return self.latency_cycles

    def output_delay(self, v: int) -> int:
        """Registers between output value ``v`` (computed in its stage) and the output port."""
        return self.latency_cycles - self.stage[self.root[v]]


def is_constant(program: Program, v: int) -> bool:
    """Values that the hardware wires as constants: no logic, no registers."""
    op = program.ops[v]
    while op.kind == "shift":
        op = program.ops[op.args[0]]
    return op.kind == "const" or op.interval.width == 0


def plan_pipeline(program: Program, latency_cutoff: int | None) -> PipelinePlan:
    """Place registers every ``latency_cutoff`` adder levels (None: one stage, outputs registered only)."""
    if latency_cutoff is None:
        latency_cutoff = max(program.depth, 1)
    if not isinstance(latency_cutoff, int) or isinstance(latency_cutoff, bool) or latency_cutoff < 1:
        raise ValueError(f"latency_cutoff must be an int >= 1 (adder levels per stage), got {latency_cutoff!r}")
    ops = program.ops
    stage = tuple(0 if op.depth <= 0 else (op.depth - 1) // latency_cutoff for op in ops)
    root = list(range(len(ops)))
    for v, op in enumerate(ops):
        if op.kind == "shift":
            root[v] = root[op.args[0]]
        for a in op.args:
            if stage[a] > stage[v]:
                raise ValueError(f"op {v} ({op.kind}, depth {op.depth}) reads value {a} of greater depth "
                                 f"{ops[a].depth}: the program's depths are inconsistent")
    registered_outputs = [v for v in program.outputs if not is_constant(program, v)]
    latency = 1 + max((stage[v] for v in registered_outputs), default=0)
    delay = [0] * len(ops)
    for v in live_values(program):
        for a in ops[v].args:
            if not is_constant(program, a) and ops[v].kind != "shift":
                delay[root[a]] = max(delay[root[a]], stage[v] - stage[root[a]])
    for v in registered_outputs:
        delay[root[v]] = max(delay[root[v]], latency - stage[root[v]])
    ff_bits = sum(d * ops[v].interval.width for v, d in enumerate(delay))
    return PipelinePlan(latency_cutoff, stage, tuple(root), tuple(delay), latency, ff_bits)


def live_values(program: Program) -> list[int]:
    """Values that some output depends on, in program order."""
    keep = set(program.outputs)
    for v in range(len(program.ops) - 1, -1, -1):
        if v in keep:
            keep.update(program.ops[v].args)
    return sorted(keep)
