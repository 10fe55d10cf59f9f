"""Register placement: which values are registered, and how many times.

A target fixes how much logic one pipeline stage may hold:

- ``latency_cutoff=N`` (adder levels): a value of adder depth ``d >= 1`` is
  computed combinationally in stage ``(d - 1) // N``. With no target at all,
  ``N = DEFAULT_LATENCY_CUTOFF``: ``latency_cutoff=None`` means that default
  everywhere (``plan_pipeline``, ``emit_program``, ``compile_model``);
- ``latency_cutoff_ns=T`` or ``clock_period_ns=P`` (``T = P -
  timing.REGISTER_OVERHEAD_NS``): ops are placed as soon as possible in program
  order, each in the latest stage of its operands, and moved to the next stage
  when the estimated arrival time there (``rtl_emit.timing``) would exceed ``T``;
- ``combinational=True``: no registers at all (latency 0).

Inputs and other depth-0 values (wiring of inputs) belong to stage 0. Every stage
ends in a register boundary; a value read by a later stage travels through one
register chain of its own, shared by all its readers, so registers sit only where
a stage boundary is crossed. Every output leaves through the last boundary, so all
paths have the same latency and a new sample can enter on every clock
(initiation interval 1).

Latency convention: with ``L = latency_cycles`` (the number of register
boundaries on every input-to-output path; the inputs are not registered), the
input presented before rising edge ``t`` produces the output that is stable
after edge ``t + L - 1`` and is captured by downstream logic at edge ``t + L``.
With ``L = 0`` the output follows the input combinationally.

Constants (and zero-width values) need no registers. A ``shift`` op is wiring:
it is the same code as its operand and shares its operand's register chain.

After that first placement, ops whose readers all sit in later stages move later
where that registers fewer bits (``_sink``), within the same per-stage limit and
latency; then each boundary is placed at the narrowest cut those limits allow
(``rtl_emit.min_cut``: groups of ops that only pay to move together), kept where
it registers fewer bits.
"""

from dataclasses import dataclass

from da_core.program import Program

from . import timing
from .min_cut import min_cut_stages

DEFAULT_LATENCY_CUTOFF = 5  # adder levels per pipeline stage: a few ns of carry chains on UltraScale+


@dataclass(frozen=True)
class PipelinePlan:
    """Where each value of a program is computed and how far it is delayed."""

    latency_cutoff: int | None  # adder levels per stage, when that was the target
    stage: tuple[int, ...]  # per value: the stage whose logic computes it
    root: tuple[int, ...]  # per value: the value whose signal carries its code (shifts are wiring)
    delay: tuple[int, ...]  # per root: length of its register chain (0 for non-roots)
    latency_cycles: int
    ff_bits: int
    latency_cutoff_ns: float | None = None  # logic delay per stage, when that (or a clock period) was the target
    clock_period_ns: float | None = None
    estimated_delay_ns: float = 0.0  # longest logic path of any stage, by rtl_emit.timing

    @property
    def combinational(self) -> bool:
        return self.latency_cycles == 0

    @property
    def n_stages(self) -> int:
        return self.latency_cycles

    @property
    def target(self) -> dict:
        """The register-placement target, as written into the metadata."""
        if self.combinational:
            mode = "combinational"
        elif self.latency_cutoff is not None:
            mode = "adder_levels"
        else:
            mode = "clock_period_ns" if self.clock_period_ns is not None else "latency_cutoff_ns"
        return dict(mode=mode, latency_cutoff=self.latency_cutoff, latency_cutoff_ns=self.latency_cutoff_ns,
                    clock_period_ns=self.clock_period_ns)

    def output_delay(self, v: int) -> int:
        """Registers between output value ``v`` (computed in its stage) and the output port."""
        return self.latency_cycles - self.stage[self.root[v]]


def is_constant(program: Program, v: int) -> bool:
    """Values that the hardware wires as constants: no logic, no registers."""
    op = program.ops[v]
    while op.kind == "shift":
        op = program.ops[op.args[0]]
    return op.kind == "const" or op.interval.width == 0


def check_target(latency_cutoff: int | None = None, latency_cutoff_ns: float | None = None,
                 clock_period_ns: float | None = None, combinational: bool = False) -> None:
    """Refuse more than one register-placement target, or a bad value (callers check before slow work)."""
    given = [name for name, value in (("latency_cutoff", latency_cutoff), ("latency_cutoff_ns", latency_cutoff_ns),
                                      ("clock_period_ns", clock_period_ns)) if value is not None]
    if combinational and given:
        raise ValueError(f"give one register-placement target: a combinational design has no pipeline stages; "
                         f"drop {given[0]}")
    if len(given) > 1:
        raise ValueError(f"give one register-placement target, not both {given[0]} and {given[1]}")
    if latency_cutoff is not None and (not isinstance(latency_cutoff, int) or isinstance(latency_cutoff, bool)
                                       or latency_cutoff < 1):
        raise ValueError(f"latency_cutoff must be an int >= 1 (adder levels per stage), got {latency_cutoff!r}")
    if latency_cutoff_ns is not None:
        _check_positive("latency_cutoff_ns", latency_cutoff_ns)
    if clock_period_ns is not None:
        _check_positive("clock_period_ns", clock_period_ns)
        if timing.stage_budget_ns(clock_period_ns) <= 0:
            raise ValueError(f"clock_period_ns={clock_period_ns} leaves no time for logic: registers alone take "
                             f"{timing.REGISTER_OVERHEAD_NS} ns (rtl_emit.timing.REGISTER_OVERHEAD_NS)")


def plan_pipeline(program: Program, latency_cutoff: int | None = None, *, latency_cutoff_ns: float | None = None,
                  clock_period_ns: float | None = None, combinational: bool = False) -> PipelinePlan:
    """Place registers for one target (at most one of them; none: DEFAULT_LATENCY_CUTOFF adder levels)."""
    check_target(latency_cutoff, latency_cutoff_ns, clock_period_ns, combinational)
    ops = program.ops
    graph = _ValueGraph(program)
    delays = _op_delays(program)
    if latency_cutoff_ns is not None or clock_period_ns is not None:
        if clock_period_ns is not None:
            budget = timing.stage_budget_ns(clock_period_ns)
        else:
            budget = float(latency_cutoff_ns)
        stage = _stages_by_delay(program, delays, budget)
        stage = _fewest_registers(graph, _sink(graph, stage, delays, budget), delays, budget)
    elif combinational:
        stage = (0,) * len(ops)
    else:
        if latency_cutoff is None:
            latency_cutoff = DEFAULT_LATENCY_CUTOFF
        stage = tuple(0 if op.depth <= 0 else (op.depth - 1) // latency_cutoff for op in ops)
        levels = [op.depth - max((ops[a].depth for a in op.args), default=0) for op in ops]
        stage = _fewest_registers(graph, _sink(graph, stage, levels, latency_cutoff), levels, latency_cutoff)
    for v, op in enumerate(ops):
        for a in op.args:
            if stage[a] > stage[v]:
                raise ValueError(f"op {v} ({op.kind}, depth {op.depth}) reads value {a} of greater depth "
                                 f"{ops[a].depth}: the program's depths are inconsistent")
    latency = 0 if combinational else 1 + max((stage[r] for r in graph.outputs), default=0)
    delay = [graph.delay(r, stage, latency) for r in range(len(ops))]
    ff_bits = sum(d * ops[v].interval.width for v, d in enumerate(delay))
    return PipelinePlan(latency_cutoff, stage, tuple(graph.root), tuple(delay), latency, ff_bits,
                        None if latency_cutoff_ns is None else float(latency_cutoff_ns),
                        None if clock_period_ns is None else float(clock_period_ns),
                        _longest_stage_path(program, delays, stage))


class _ValueGraph:
    """Who reads whose code: shifts share their operand's code (its root), constants need no wires."""

    def __init__(self, program: Program):
        ops = program.ops
        self.root = list(range(len(ops)))
        self.same_code: list[list[int]] = [[] for _ in ops]  # per root: its shifts
        self.readers: list[list[int]] = [[] for _ in ops]  # per root: the non-shift ops reading its code
        self.live = [v for v in live_values(program) if not is_constant(program, v)]
        for v, op in enumerate(ops):
            if op.kind == "shift":
                self.root[v] = self.root[op.args[0]]
        for v in self.live:
            if ops[v].kind == "shift":
                self.same_code[self.root[v]].append(v)
            else:
                for a in ops[v].args:
                    if not is_constant(program, a):
                        self.readers[self.root[a]].append(v)
        self.outputs = {self.root[v] for v in program.outputs if not is_constant(program, v)}
        self.program, self.ops = program, ops

    def delay(self, r: int, stage, latency: int) -> int:
        """Registers on r's chain: to its last reader, or through the last boundary for an output."""
        ends = [stage[c] for c in self.readers[r]] + [latency] * (r in self.outputs)
        return max(ends, default=stage[r]) - stage[r]


def _sink(graph: _ValueGraph, stage: tuple[int, ...], weight: list, limit: float) -> tuple[int, ...]:
    """Move ops to later stages where that registers fewer bits.

    As-soon-as-possible placement registers every partial sum alive at a stage boundary. An op whose
    readers all sit in later stages can be computed after the boundary instead, its operands crossing
    in its place: free where they cross anyway (a layer's inputs feed many adders). A move is taken
    when it saves register bits and every stage's longest path (by ``weight`` per op) stays within
    ``limit``; the latency does not change.
    """
    ops, root, readers, live, outputs = graph.ops, graph.root, graph.readers, graph.live, graph.outputs
    stage = list(stage)
    last = max((stage[v] for v in outputs), default=0)

    arrival: dict[int, float] = {}  # per op: its longest path from its stage's start
    for v in live:
        if ops[v].kind != "shift":
            arrival[v] = weight[v] + max((arrival[root[a]] for a in ops[v].args
                                          if root[a] in arrival and stage[root[a]] == stage[v]), default=0.0)
    for r in reversed(live):
        if ops[r].kind in ("shift", "input"):
            continue
        while readers[r] or r in outputs:
            s = stage[r]
            if min([stage[c] for c in readers[r]] + [last] * (r in outputs)) <= s:
                break
            args = {root[a] for a in ops[r].args if not is_constant(graph.program, a)}
            width = ops[r].interval.width
            added = sum(ops[a].interval.width * max(0, s + 1 - stage[a] - graph.delay(a, stage, last + 1))
                        for a in args)  # register bits r's operands need to reach stage s + 1
            if added >= width:
                break
            stage[r] += 1  # tentatively: re-time what r feeds in the stage it enters
            trial = {r: weight[r]}
            for v in _same_stage_readers(r, readers, root, stage):
                trial[v] = weight[v] + max((trial.get(root[a], arrival.get(root[a], 0.0)) for a in ops[v].args
                                            if root[a] in arrival and stage[root[a]] == stage[v]), default=0.0)
            if any(t > limit and t > arrival[v] for v, t in trial.items()):
                stage[r] -= 1
                break
            arrival.update(trial)
            for v in graph.same_code[r]:
                stage[v] = stage[r]
    return tuple(stage)


def _fewest_registers(graph: _ValueGraph, stage: tuple[int, ...], weight: list, limit: float) -> tuple[int, ...]:
    """``stage``, or the minimum-cut placement (``rtl_emit.min_cut``) at the same latency, each stage's longest
    path by ``weight`` within ``limit`` (or ``stage``'s longest), where it registers fewer bits."""
    latency = 1 + max((stage[r] for r in graph.outputs), default=0)
    cut = min_cut_stages(graph, stage, weight, limit, latency)
    if cut is None or 1 + max((cut[r] for r in graph.outputs), default=0) != latency:
        return stage

    def bits(s):
        return sum(graph.delay(r, s, latency) * graph.ops[r].interval.width for r in graph.live
                   if graph.ops[r].kind != "shift")

    return cut if bits(cut) < bits(stage) else stage


def _same_stage_readers(r: int, readers: list[list[int]], root: list[int], stage: list[int]) -> list[int]:
    """The ops fed by r, directly or through others, in r's stage, in program (topological) order."""
    found, todo = set(), [r]
    while todo:
        for c in readers[root[todo.pop()]]:
            if stage[c] == stage[r] and c not in found:
                found.add(c)
                todo.append(c)
    return sorted(found)


def live_values(program: Program) -> list[int]:
    """Values that some output depends on, in program order."""
    keep = set(program.outputs)
    for v in range(len(program.ops) - 1, -1, -1):
        if v in keep:
            keep.update(program.ops[v].args)
    return sorted(keep)


def _check_positive(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number of nanoseconds, got {value!r}")


def _op_delays(program: Program) -> list[float]:
    ops = program.ops
    return [timing.op_delay_ns(op, [ops[a] for a in op.args]) for op in ops]


def _stages_by_delay(program: Program, delays: list[float], budget: float) -> tuple[int, ...]:
    """As soon as possible: each op in its operands' latest stage, or the next one when it would not fit."""
    ops = program.ops
    stage, arrival = [0] * len(ops), [0.0] * len(ops)
    for v, op in enumerate(ops):
        args = [a for a in op.args if not is_constant(program, a)]
        s = max((stage[a] for a in args), default=0)
        start = max((arrival[a] for a in args if stage[a] == s), default=0.0)
        if delays[v] > 0 and start > 0 and start + delays[v] > budget:
            s, start = s + 1, 0.0  # every operand arrives from a register
        stage[v], arrival[v] = s, start + delays[v]
    return tuple(stage)


def _longest_stage_path(program: Program, delays: list[float], stage: tuple[int, ...]) -> float:
    """The estimated longest combinational path inside any stage (operands from earlier stages are registered)."""
    ops = program.ops
    arrival = [0.0] * len(ops)
    for v, op in enumerate(ops):
        start = max((arrival[a] for a in op.args if stage[a] == stage[v]), default=0.0)
        arrival[v] = start + delays[v]
    return round(max(arrival, default=0.0), 3)
