"""A streamed network: stages that each reuse one kernel program over the positions of a sample.

A fully parallel design applies a convolution's kernel at every output pixel in its own adders; a streamed
design (``io="stream"``) builds the kernel once and feeds it one position per clock. ``StreamProgram`` is
that design's arithmetic, independent of any HDL: the sample enters as a grid of positions (row-major pixels,
particles or time steps), each carrying the same features, and passes through a chain of stages:

- ``map``: the kernel on each position alone (per-particle dense layers, elementwise activations);
- ``window``: the kernel on each window of ``window`` positions taken every ``stride`` positions along each
  grid axis: convolutions and pooling, through line buffers in hardware. The kernel's inputs are the
  window's positions in C order, each position's features in turn. ``padding`` (per axis, positions of
  zeros before and after the grid; none: valid padding) makes the windows run over the zero-padded grid
  (Keras padding="same"): a window's taps in the padding read code 0;
- ``reduce``: ``add`` or ``max`` over all positions, one vector per sample (QSum, global pooling): an
  accumulator. The sum is exact: its codes grow by the bits the position count needs;
- ``collect``: all positions side by side, one vector per sample (a flatten before a dense head): a buffer;
- ``dense``: the kernel on the one vector a sample has become (the parallel head);
- ``scan``: a recurrent cell over the positions (time steps) in order: the kernel takes one step's features
  then the ``state`` and gives the next state, which starts at code 0; the stage leaves the final state,
  one vector per sample. In hardware the state is a register and the kernel runs one step per clock.

Every value is an integer code of its ``Interval``; ``run`` composes the stages' programs on codes, so
``StreamProgram.run`` equal to the parallel program's ``run`` is the stream's whole correctness claim before
any RTL exists.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .interval import Interval
from .program import Program

MAP, WINDOW, REDUCE, COLLECT, DENSE, SCAN = "map", "window", "reduce", "collect", "dense", "scan"
KINDS = (MAP, WINDOW, REDUCE, COLLECT, DENSE, SCAN)
KERNEL_KINDS = (MAP, WINDOW, DENSE, SCAN)
REDUCTIONS = ("add", "max")


def holding_zero(iv: Interval) -> Interval:
    """``iv`` widened to hold the code 0 (itself when it does)."""
    return Interval(min(iv.lo, 0), max(iv.hi, 0), iv.exp)


def window_rows(grid, window, stride, padding=()) -> np.ndarray:
    """(P_out, window size): per output position (C order) of windows over the padded grid, the grid positions
    of its taps (C order); -1 for a tap in the padding."""
    padding = padding or ((0, 0),) * len(grid)
    out_grid = [(g + sum(p) - w) // s + 1 for g, p, w, s in zip(grid, padding, window, stride)]
    before = np.array([p[0] for p in padding])[:, None, None]
    starts = np.indices(out_grid).reshape(len(grid), -1) * np.array(stride)[:, None]
    offsets = np.indices(window).reshape(len(grid), -1)
    rows = starts[:, :, None] + offsets[:, None, :] - before  # (axes, P_out, window size)
    inside = np.all((rows >= 0) & (rows < np.array(grid)[:, None, None]), axis=0)
    return np.where(inside, np.ravel_multi_index(tuple(np.maximum(rows, 0)), grid, mode="clip"), -1)


@dataclass(frozen=True)
class Stage:
    """One stage: what enters per position (``grid``, ``in_intervals``) and how it becomes what leaves.

    ``grid``: the positions per sample entering the stage, row-major (``()`` for one vector per sample);
    ``in_intervals``: the features of one entering position; ``program``: the kernel (map, window, dense,
    scan); ``window``, ``stride`` and ``padding`` (``(before, after)`` zero positions, each less than the window;
    ``()``: none) per grid axis (window stages); ``reduction``: "add" or "max" (reduce stages); ``state``: the
    formats of the state (scan stages: the kernel's outputs, which must lie in them at the same exponents);
    ``layers``: the network nodes this stage computes, for reports.
    """

    kind: str
    grid: tuple[int, ...]
    in_intervals: tuple[Interval, ...]
    program: Program | None = None
    window: tuple[int, ...] = ()
    stride: tuple[int, ...] = ()
    reduction: str = ""
    state: tuple[Interval, ...] = ()
    layers: tuple[str, ...] = ()
    padding: tuple[tuple[int, int], ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"stage kind {self.kind!r} is not one of {KINDS}")
        if (self.program is not None) != (self.kind in KERNEL_KINDS):
            raise ValueError(f"a {self.kind} stage {'needs' if self.program is None else 'takes no'} program")
        if self.kind == DENSE and self.grid:
            raise ValueError("a dense stage takes one vector per sample (grid ())")
        if self.kind in (REDUCE, COLLECT, SCAN) and not self.grid:
            raise ValueError(f"a {self.kind} stage needs positions to reduce or collect")
        if self.padding and not (self.kind == WINDOW and len(self.padding) == len(self.grid) and all(
                len(p) == 2 and 0 <= min(p) and max(p) < w for p, w in zip(self.padding, self.window))):
            raise ValueError(f"padding {self.padding} is not (before, after) zeros per grid axis, each less than the "
                             f"window {self.window}, of a window stage")
        if self.kind == WINDOW and not (len(self.window) == len(self.stride) == len(self.grid)
                                        and all(0 < w <= g for w, g in zip(self.window, self.padded_grid))
                                        and all(s > 0 for s in self.stride)):
            raise ValueError(f"window {self.window} / stride {self.stride} do not fit the grid {self.grid}"
                             + (f" padded by {self.padding}" if self.padding else ""))
        if self.kind == REDUCE and self.reduction not in REDUCTIONS:
            raise ValueError(f"reduction {self.reduction!r} is not one of {REDUCTIONS}")
        if self.program is not None and list(self.program.input_intervals) != self.kernel_inputs:
            raise ValueError(f"the {self.kind} kernel's input formats differ from what enters the stage")
        if self.kind == SCAN and not (len(self.program.outputs) == len(self.state) and all(
                o.exp == s.exp and s.lo <= o.lo and o.hi <= s.hi and s.lo <= 0 <= s.hi
                for o, s in zip(self.program.output_intervals, self.state))):
            raise ValueError("a scan kernel's outputs must lie in the state's formats (same exponents), which hold 0")

    @property
    def n_positions(self) -> int:
        """Positions per sample entering (beats of this stage's input stream)."""
        return int(np.prod(self.grid, dtype=np.int64))

    @property
    def padded_grid(self) -> tuple[int, ...]:
        """The grid with its padding (the grid itself without)."""
        return tuple(g + sum(p) for g, p in zip(self.grid, self.padding)) if self.padding else self.grid

    @property
    def kernel_inputs(self) -> list[Interval]:
        """The formats the kernel program must take: one position's (then the state, for a scan), or a window's
        positions in C order.

        A padded window's taps may read the padding's code 0, so there each entering format is widened to hold 0
        (``holding_zero``; the kernel is lowered on the widened formats, whose codes keep their bits).
        """
        repeat = int(np.prod(self.window, dtype=np.int64)) if self.kind == WINDOW else 1
        ivs = [holding_zero(iv) for iv in self.in_intervals] if self.is_padded else list(self.in_intervals)
        return ivs * repeat + list(self.state)

    @property
    def is_padded(self) -> bool:
        return any(any(p) for p in self.padding)

    @property
    def out_grid(self) -> tuple[int, ...]:
        if self.kind == MAP:
            return self.grid
        if self.kind == WINDOW:
            return tuple((g - w) // s + 1 for g, w, s in zip(self.padded_grid, self.window, self.stride))
        return ()

    @property
    def out_intervals(self) -> tuple[Interval, ...]:
        """The features of one leaving position."""
        if self.kind == SCAN:
            return self.state
        if self.program is not None:
            return tuple(self.program.output_intervals)
        if self.kind == COLLECT:
            return self.in_intervals * self.n_positions
        if self.reduction == "max":
            return self.in_intervals
        n = self.n_positions
        return tuple(Interval(iv.lo * n, iv.hi * n, iv.exp) for iv in self.in_intervals)

    def window_rows(self) -> np.ndarray:
        """(P_out, window size): per output position (C order), the entering positions of its window (C order);
        -1 for a tap in the padding."""
        return window_rows(self.grid, self.window, self.stride, self.padding)

    def run(self, codes: np.ndarray) -> np.ndarray:
        """Entering codes (n, positions, features) -> leaving codes (n, positions out, features out)."""
        n = len(codes)
        if self.kind in (MAP, DENSE):
            return self.program.run(codes.reshape(-1, codes.shape[2])).reshape(n, codes.shape[1], -1)
        if self.kind == WINDOW:
            rows = self.window_rows()
            zero = np.zeros((n, 1, codes.shape[2]), np.int64)  # row -1: the padding
            windows = np.concatenate([codes, zero], axis=1)[:, rows, :].reshape(n * len(rows), -1)
            return self.program.run(windows).reshape(n, len(rows), -1)
        if self.kind == COLLECT:
            return codes.reshape(n, 1, -1)
        if self.kind == SCAN:
            state = np.zeros((n, len(self.state)), np.int64)
            for t in range(codes.shape[1]):
                state = self.program.run(np.concatenate([codes[:, t], state], axis=1))
            return state[:, None, :]
        reduced = codes.sum(axis=1) if self.reduction == "add" else codes.max(axis=1)
        return reduced[:, None, :]


@dataclass(frozen=True)
class StreamProgram:
    """A network as a chain of stages; the first stage's ``grid`` and ``in_intervals`` are the input stream's."""

    stages: tuple[Stage, ...]

    def __post_init__(self):
        if not self.stages:
            raise ValueError("a stream program needs at least one stage")
        for before, after in zip(self.stages, self.stages[1:]):
            if after.grid != before.out_grid or after.in_intervals != before.out_intervals:
                raise ValueError(f"a {after.kind} stage does not take what the {before.kind} stage before it gives")

    @property
    def grid(self) -> tuple[int, ...]:
        """Positions per sample on the input port: beats per sample."""
        return self.stages[0].grid

    @property
    def input_intervals(self) -> list[Interval]:
        """One beat's input elements."""
        return list(self.stages[0].in_intervals)

    @property
    def output_intervals(self) -> list[Interval]:
        """One output beat's elements."""
        return list(self.stages[-1].out_intervals)

    @property
    def out_grid(self) -> tuple[int, ...]:
        """Output beats per sample, row-major (``()``: one)."""
        return self.stages[-1].out_grid

    def run(self, codes: np.ndarray) -> np.ndarray:
        """Input codes of whole samples (n, positions * features), positions row-major, features inner ->
        output codes (n, output positions * output features), in the same order.

        That is the parallel program's port order for a network whose input is (*grid, features), so the
        two programs' ``run`` can be compared directly.
        """
        codes = np.asarray(codes, dtype=np.int64)
        n_in = len(self.stages[0].in_intervals)
        if codes.ndim != 2 or codes.shape[1] != self.stages[0].n_positions * n_in:
            raise ValueError(f"expected codes of shape (n_samples, {self.stages[0].n_positions * n_in}), "
                             f"got {codes.shape}")
        values = codes.reshape(len(codes), -1, n_in)
        for stage in self.stages:
            values = stage.run(values)
        return values.reshape(len(codes), -1)

    def output_values(self, codes: np.ndarray) -> np.ndarray:
        """Real values of output codes, exact in float64."""
        beats = int(np.prod(self.out_grid, dtype=np.int64))
        return codes * np.exp2(np.array([iv.exp for iv in self.output_intervals] * beats, dtype=np.float64))

    # --- the interface a design and the simulators use (as ``Program``'s) ---

    @property
    def n_inputs(self) -> int:
        """Input codes per sample: positions * features (the parallel program's input count)."""
        return self.stages[0].n_positions * len(self.stages[0].in_intervals)

    @property
    def n_adders(self) -> int:
        """Adders of all kernels, each built once."""
        return sum(s.program.n_adders for s in self.stages if s.program is not None)

    @property
    def cost(self) -> int:
        """The cost model's LUTs of all kernels (the glue is counted by ``rtl_emit``)."""
        return sum(s.program.cost for s in self.stages if s.program is not None)

    def sample_intervals(self) -> list[Interval]:
        """The formats of one sample's input codes, in ``run``'s order."""
        return self.input_intervals * self.stages[0].n_positions

    def check_codes(self, codes: np.ndarray) -> np.ndarray:
        """Integer codes of whole samples (n, positions * features) as int64, refusing any outside its format."""
        codes = np.asarray(codes)
        if codes.ndim != 2 or codes.shape[1] != self.n_inputs:
            raise ValueError(f"expected codes of shape (n_samples, {self.n_inputs}), got {codes.shape}")
        if not np.issubdtype(codes.dtype, np.integer):
            raise TypeError(f"input codes must be integers, got {codes.dtype}")
        codes = codes.astype(np.int64)
        ivs = self.sample_intervals()
        lo, hi = np.array([iv.lo for iv in ivs]), np.array([iv.hi for iv in ivs])
        bad = np.argwhere((codes < lo) | (codes > hi))
        if len(bad):
            i, j = bad[0]
            raise ValueError(f"input {j} (position {j // len(self.input_intervals)}), sample {i}: code {codes[i, j]} "
                             f"is outside its format {ivs[j]} (codes {ivs[j].lo}..{ivs[j].hi})")
        return codes

    def input_codes(self, values: np.ndarray) -> np.ndarray:
        """Input values of whole samples (n, positions * features) -> integer codes, refusing values off the grid."""
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != self.n_inputs:
            raise ValueError(f"input values have shape {values.shape}; expected (n_samples, {self.n_inputs})")
        codes = values * np.exp2(-np.array([iv.exp for iv in self.sample_intervals()], dtype=np.float64))
        off_grid = np.argwhere(codes != np.round(codes))
        if len(off_grid):
            i, j = off_grid[0]
            raise ValueError(f"input {j} of sample {i} is {values[i, j]!r}, not on its grid "
                             f"2**{self.sample_intervals()[j].exp}")
        return codes.astype(np.int64)

    def to_dict(self) -> dict:
        """JSON-ready: every stage's fields, kernels as ``Program.to_dict``."""
        def iv(x: Interval) -> list[int]:
            return [x.lo, x.hi, x.exp]

        return {"format": "adderflow.stream/1", "stages": [
            dict(kind=s.kind, grid=list(s.grid), in_intervals=[iv(x) for x in s.in_intervals],
                 program=None if s.program is None else s.program.to_dict(), window=list(s.window),
                 stride=list(s.stride), reduction=s.reduction, state=[iv(x) for x in s.state], layers=list(s.layers),
                 padding=[list(p) for p in s.padding])
            for s in self.stages]}

    @classmethod
    def from_dict(cls, d: dict) -> "StreamProgram":
        if d.get("format") != "adderflow.stream/1":
            raise ValueError(f"not an adderflow stream program: format {d.get('format')!r}")
        return cls(tuple(Stage(
            s["kind"], tuple(s["grid"]), tuple(Interval(*x) for x in s["in_intervals"]),
            None if s["program"] is None else Program.from_dict(s["program"]), tuple(s["window"]),
            tuple(s["stride"]), s["reduction"], tuple(Interval(*x) for x in s["state"]), tuple(s["layers"]),
            tuple(tuple(p) for p in s.get("padding", ())))
            for s in d["stages"]))

    def save(self, path) -> None:
        Path(path).write_text(json.dumps(self.to_dict()))

    @classmethod
    def load(cls, path) -> "StreamProgram":
        return cls.from_dict(json.loads(Path(path).read_text()))
