"""The glue of a stream design's top module, one block of Verilog per stage.

Each block takes the stage's input stream (a data bus of one position and its valid bit) and gives
its output stream. Every register loads only on an enabled edge (``en``, the global stall of
``stream_emit``), data registers only when a beat enters (``en && valid``); ``rst`` clears the
counters and valid bits, so a partial sample is dropped and the next one starts at position 0.

- map / dense: the kernel on each beat; latency: the kernel's.
- window: a line buffer (a shift register of the last ``age(first window position)`` positions;
  each window position is a fixed tap) and one counter per grid axis of the entering position;
  a window leaves with its last position (row >= kh - 1, col >= kw - 1, on the stride grid per axis,
  kept by a phase counter). Latency: the kernel's. Zero padding (Keras 'same'): a tap in the padding
  before the grid is forced to 0 by a comparison of the counters; the padding after the grid is run
  through the line buffer as inserted zero positions (``s{i}_hold``: one cycle each, prod(grid + after)
  - prod(grid) per sample, while every stage upstream and ``inp_ready`` wait), so each window still
  leaves with its last position of the grid extended by the padding after it. Latency: the kernel's
  plus the cycles from the last real position to the last inserted one.
- reduce: an accumulator loaded with a sample's first position, emitted after its last. Latency 1.
- collect: a shift register of all but the last position; the vector leaves with the last one. Latency 0.
- scan: the state register, updated each step by the combinational cell from 0 at a sample's first
  step; the final state leaves after the last step. Latency 1.

The cost estimates of the glue (``Glue``): register bits exactly; LUTs as an estimate of counters
(about two LUTs per bit: increment and terminal count), accumulators (one LUT per bit for ``add``,
two for ``max``: compare and select) and the scan's state select (one per bit). Shift registers are
counted as FFs; synthesis may pack them into SRLs (Yosys' ``srl`` count).
"""

from dataclasses import dataclass, field
from math import prod

import numpy as np

from da_core.stream import Stage

from . import ports as P
from .pipeline import PipelinePlan
from .ports import bus_elements, bus_width

EN = "en"


@dataclass(frozen=True)
class Glue:
    """What a stage adds around its kernel: latency in cycles, register bits, estimated LUTs."""

    latency_cycles: int
    ff_bits: int = 0
    lut_estimate: int = 0
    parts: dict = field(default_factory=dict)  # register bits by role (line_buffer, counters, ...)


@dataclass(frozen=True)
class Block:
    lines: list[str]
    data: str  # the output bus's signal
    valid: str
    glue: Glue


def _bits(n: int) -> int:
    """Bits of a counter over 0..n-1 (at least 1)."""
    return max(1, (n - 1).bit_length())


def _vec(w: int) -> str:
    return f"[{max(w, 1) - 1}:0] "


def _kernel(plan: PipelinePlan, module: str, i: int, data: str, valid: str, in_w: int, out_w: int,
            out: str, en: str = EN) -> list[str]:
    """An instance of a kernel module; ``out`` (declared here) takes its output bus."""
    lines = [f"  wire {_vec(out_w)}{out};"]
    conns = [] if plan.combinational else [f".{P.CLOCK}({P.CLOCK})", f".{P.RESET}({P.RESET})", f".{P.ENABLE}({en})"]
    if in_w:
        conns.append(f".{P.INPUT}({data})")
    if not plan.combinational:
        conns.append(f".{P.INPUT_VALID}({valid})")
    if out_w:
        conns.append(f".{P.OUTPUT}({out})")
    else:
        lines.append(f"  assign {out} = 1'b0;")
    if not plan.combinational:
        conns.append(f".{P.OUTPUT_VALID}(s{i}_valid)")
        lines.insert(0, f"  wire s{i}_valid;")
    lines.append(f"  {module} u_s{i} ({', '.join(conns)});")
    return lines


def _counter(i: int, name: str, n: int, step: str) -> tuple[list[str], str, str]:
    """A position counter 0..n-1 advancing when ``step``; returns its lines, first and last conditions."""
    c, b = f"s{i}_{name}", _bits(n)
    lines = [f"  reg [{b - 1}:0] {c} = {b}'d0;",
             f"  always @(posedge {P.CLOCK}) if ({P.RESET}) {c} <= {b}'d0; "
             f"else if ({step}) {c} <= ({c} == {n - 1}) ? {b}'d0 : {c} + 1'b1;"]
    return lines, f"({c} == 0)", f"({c} == {n - 1})"


def _map(stage: Stage, plan: PipelinePlan, i: int, module: str, data: str, valid: str, en: str = EN) -> Block:
    in_w, out_w = bus_width(stage.in_intervals), bus_width(stage.out_intervals)
    lines = _kernel(plan, module, i, data, valid, in_w, out_w, f"s{i}_out", en)
    return Block(lines, f"s{i}_out", f"s{i}_valid", Glue(plan.latency_cycles))


def holds(stage: Stage) -> bool:
    """A window stage with zero padding after the grid inserts those positions as internal cycles."""
    return stage.kind == "window" and any(after for _, after in stage.padding)


def padding_cycles(stage: Stage) -> int:
    """Cycles per sample a window stage holds its input for its padding after the grid (0 without)."""
    return prod(g + a for g, (_, a) in zip(stage.grid, stage.padding)) - stage.n_positions if holds(stage) else 0


def padding_tail(stage: Stage) -> int:
    """Cycles from a padded window stage's last position of the grid to the last inserted zero position."""
    inner = [g + a for g, (_, a) in zip(stage.grid, stage.padding)]
    return sum(a * prod(inner[k + 1:]) for k, (_, a) in enumerate(stage.padding)) if holds(stage) else 0


def _window(stage: Stage, plan: PipelinePlan, i: int, module: str, data: str, valid: str, en: str = EN) -> Block:
    """The line buffer runs over the grid extended by the padding after it (``s{i}_hold``: an inserted zero
    position; the stream emitter stalls everything upstream meanwhile); taps in the padding before the grid
    are forced to zero from the counters, so each window issues with its last position in that extended grid."""
    grid, window, stride = stage.grid, stage.window, stage.stride
    padding = stage.padding or ((0, 0),) * len(grid)
    inner = [g + after for g, (_, after) in zip(grid, padding)]
    pw = bus_width(stage.in_intervals)
    if bus_width(stage.kernel_inputs) != pw * prod(window):
        raise ValueError("the padded window's kernel takes formats of other bit-widths than enter the stage")
    rowlen = [prod(inner[a + 1:]) for a in range(len(grid))]
    offsets = np.indices(window).reshape(len(grid), -1).T  # window positions, C order
    ages = [int(sum((w - 1 - o) * r for w, o, r in zip(window, off, rowlen))) for off in offsets]
    depth = max(ages)
    hold = holds(stage)
    step = f"(({valid} || s{i}_hold) && {en})" if hold else f"({valid} && {en})"
    lines, ff, luts = [], 0, 0
    pixel = data
    if hold and pw:
        pixel = f"s{i}_px"
        lines.append(f"  wire [{pw - 1}:0] {pixel} = s{i}_hold ? {pw}'d0 : {data};  // the padding after the grid")
        luts += pw
    if depth and pw:
        lb = f"s{i}_lb"
        shifted = pixel if depth == 1 else f"{{{lb}[{(depth - 1) * pw - 1}:0], {pixel}}}"
        lines += [f"  reg [{depth * pw - 1}:0] {lb} = {depth * pw}'d0;  // line buffer: the last {depth} positions",
                  f"  always @(posedge {P.CLOCK}) if ({step}) {lb} <= {shifted};"]
        ff += depth * pw

    def tap(age: int, off) -> str:
        value = pixel if age == 0 else f"s{i}_lb[{age * pw - 1}:{(age - 1) * pw}]"
        before = [f"(s{i}_c{a} < {w - 1 - o})" for a, (w, o, (b, _)) in enumerate(zip(window, off, padding)) if o < b]
        return f"(({' || '.join(before)}) ? {pw}'d0 : {value})" if before else value

    # one counter per axis, an odometer over the (extended) positions; a phase counter per strided axis
    issue, clocked, ends = [f"({valid} || s{i}_hold)" if hold else valid], [], []
    for a, (g, w, s, (b, after)) in enumerate(zip(inner, window, stride, padding)):
        c, bits, first = f"s{i}_c{a}", _bits(g), w - 1 - b  # first: where the first window of the axis closes
        carry = " && ".join([step] + [f"(s{i}_c{k} == {inner[k] - 1})" for k in range(a + 1, len(grid))])
        lines += [f"  reg [{bits - 1}:0] {c} = {bits}'d0;",
                  f"  wire [{bits - 1}:0] {c}_next = ({c} == {g - 1}) ? {bits}'d0 : {c} + 1'b1;"]
        clocked.append(f"  always @(posedge {P.CLOCK}) if ({P.RESET}) {c} <= {bits}'d0; "
                       f"else if ({carry}) {c} <= {c}_next;")
        ff, luts = ff + bits, luts + 2 * bits
        if first > 0:
            issue.append(f"({c} >= {first})")
        if after:
            ends.append(f"({c} >= {g - after})")
        if s > 1:
            ph, pb = f"s{i}_p{a}", _bits(s)
            lines.append(f"  reg [{pb - 1}:0] {ph} = {pb}'d0;")
            clocked.append(f"  always @(posedge {P.CLOCK}) if ({P.RESET}) {ph} <= {pb}'d0; else if ({carry}) "
                           f"{ph} <= ({c}_next == {first} || {ph} == {s - 1}) ? {pb}'d0 : {ph} + 1'b1;")
            ff, luts = ff + pb, luts + 2 * pb
            issue.append(f"({ph} == 0)")
    lines += clocked
    if hold:
        lines.append(f"  assign s{i}_hold = {' || '.join(ends)};  // a position of the padding after the grid")
    win_w = pw * len(ages)
    taps = [tap(age, off) for age, off in zip(ages, offsets)]
    luts += pw * sum("?" in t for t in taps)
    lines += [f"  wire s{i}_issue = {' && '.join(issue)};", f"  wire {_vec(win_w)}s{i}_win;"]
    lines.append(f"  assign s{i}_win = {{{', '.join(reversed(taps))}}};" if pw else f"  assign s{i}_win = 1'b0;")
    out_w = bus_width(stage.out_intervals)
    lines += _kernel(plan, module, i, f"s{i}_win", f"s{i}_issue", win_w, out_w, f"s{i}_out", en)
    return Block(lines, f"s{i}_out", f"s{i}_valid",
                 Glue(plan.latency_cycles + padding_tail(stage), ff, luts,
                      dict(line_buffer=depth * pw, counters=ff - depth * pw)))


def _extend(expr: str, w: int, signed: bool, to: int) -> str:
    """``expr`` (``w`` bits) sign- or zero-extended to ``to`` bits (``w`` 0: zero)."""
    if not w:
        return f"{to}'d0"
    if to == w:
        return expr
    fill = f"{expr}[{w - 1}]" if signed else "1'b0"
    return f"{{{{{to - w}{{{fill}}}}}, {expr}}}"


def _field(bus: str, el) -> str:
    return f"{bus}[{el.lsb + el.width - 1}:{el.lsb}]"


def _registered(i: int, n: int, valid: str, out_w: int, what: str, en: str = EN) -> tuple[list[str], list[str], Glue]:
    """The output register of a reduce or scan, loaded by every entering beat and valid after a sample's last
    position: its declarations (with the position counter and ``s{i}_first``), and its clocked block given
    the new value (elements, element 0 last)."""
    counter, first, last = _counter(i, "pos", n, f"({valid} && {en})")
    reg = f"s{i}_{what}"
    decls = counter + [f"  wire s{i}_first = {first};", f"  reg [{out_w - 1}:0] {reg} = {out_w}'d0;",
                       f"  reg s{i}_valid = 1'b0;"]
    b = _bits(n)

    def clocked(new: list[str]) -> list[str]:
        return [f"  always @(posedge {P.CLOCK}) begin",
                f"    if ({P.RESET}) s{i}_valid <= 1'b0; else if ({en}) s{i}_valid <= {valid} && {last};",
                f"    if ({valid} && {en}) {reg} <= {{{', '.join(new)}}};", "  end"]
    return decls, clocked, Glue(1, out_w + b + 1, 2 * b, {what: out_w, "counters": b + 1})


def _reduce(stage: Stage, plan, i: int, module: str, data: str, valid: str, en: str = EN) -> Block:
    ins, outs = bus_elements(list(stage.in_intervals)), bus_elements(list(stage.out_intervals))
    out_w = bus_width(list(stage.out_intervals))
    acc = f"s{i}_acc"
    decls, clocked, glue = _registered(i, stage.n_positions, valid, out_w, "acc", en)
    new, lines, luts = [], [], 0
    for e_in, e_out in zip(ins, outs):
        if not e_out.width:
            continue
        x, a, w = f"s{i}_x{e_in.index}", _field(acc, e_out), e_out.width
        lines.append(f"  wire [{w - 1}:0] {x} = {_extend(_field(data, e_in), e_in.width, e_in.signed, w)};")
        if stage.reduction == "add":
            new.append(f"(s{i}_first ? {x} : {a} + {x})")
            luts += w
        else:
            greater = f"$signed({x}) > $signed({a})" if e_out.signed else f"{x} > {a}"
            new.append(f"((s{i}_first || {greater}) ? {x} : {a})")
            luts += 2 * w
    glue = Glue(glue.latency_cycles, glue.ff_bits, glue.lut_estimate + luts, glue.parts)
    return Block(decls + lines + clocked(new[::-1]), acc, f"s{i}_valid", glue)


def _collect(stage: Stage, plan, i: int, module: str, data: str, valid: str, en: str = EN) -> Block:
    n, pw = stage.n_positions, bus_width(list(stage.in_intervals))
    step = f"({valid} && {en})"
    lines, _, last = _counter(i, "pos", n, step)
    b, keep = _bits(n), (n - 1) * pw
    vector = data if pw else "1'b0"
    if keep:
        buf = f"s{i}_buf"
        shifted = data if n == 2 else f"{{{data}, {buf}[{keep - 1}:{pw}]}}"
        lines += [f"  reg [{keep - 1}:0] {buf} = {keep}'d0;  // positions 0..{n - 2} of the sample, position 0 lowest",
                  f"  always @(posedge {P.CLOCK}) if ({step}) {buf} <= {shifted};"]
        vector = f"{{{data}, {buf}}}"
    lines += [f"  wire {_vec(n * pw)}s{i}_out = {vector};", f"  wire s{i}_valid = {valid} && {last};"]
    return Block(lines, f"s{i}_out", f"s{i}_valid", Glue(0, keep + b, 2 * b, dict(collect_buffer=keep, counters=b)))


def _scan(stage: Stage, plan: PipelinePlan, i: int, module: str, data: str, valid: str, en: str = EN) -> Block:
    in_w, state_w = bus_width(list(stage.in_intervals)), bus_width(list(stage.state))
    st = f"s{i}_state"
    decls, clocked, glue = _registered(i, stage.n_positions, valid, state_w, "state", en)
    cell_in = ", ".join(x for x in (f"(s{i}_first ? {state_w}'d0 : {st})" if state_w else "",
                                    data if in_w else "") if x) or "1'b0"
    kernel_out = bus_elements(list(stage.program.output_intervals))
    lines = [f"  wire {_vec(in_w + state_w)}s{i}_cell_in = {{{cell_in}}};"]
    lines += _kernel(plan, module, i, f"s{i}_cell_in", valid, in_w + state_w,
                     bus_width(list(stage.program.output_intervals)), f"s{i}_cell", en)
    new = [_extend(_field(f"s{i}_cell", k), k.width, k.signed, s.width)
           for k, s in zip(kernel_out, bus_elements(list(stage.state))) if s.width]
    glue = Glue(glue.latency_cycles, glue.ff_bits, glue.lut_estimate + state_w, glue.parts)
    return Block(decls + lines + clocked(new[::-1]), st, f"s{i}_valid", glue)


STAGE_WRITERS = dict(map=_map, dense=_map, window=_window, reduce=_reduce, collect=_collect, scan=_scan)
