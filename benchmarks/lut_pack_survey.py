"""How often CMVM inputs of the benchmark models are 1 or 2 bits wide, and how wide interval arithmetic is
against the exact range of each adder (issue 14's survey).

    python benchmarks/lut_pack_survey.py --work DIR [--models jsc_mlp ...]

Loads (or trains, bench_models.MODELS) each model, lowers it with every ``emit_cmvm`` call recorded, and
re-solves each distinct (matrix, input formats). Per model it prints:

- the CMVM inputs by width (0, 1, 2, 3, 4+ bits) over all positions;
- (a) packing: adders whose value depends on at most 6 input bits in all (a function of <= 6 bits, one LUT6
  per result bit): the cost of every adder under such maximal sub-sums against the width of the sub-sums;
- (b) affine ranges: each adder's value is an exact linear form of the CMVM's inputs; its exact range over
  the input box (the sum of each term's extreme) against the interval the builder derived: bits saved;
  then the whole model lowered with every adder wrapped (a free WRAP quantizer) to the exact range of its
  linear form over the values that are not sums (inputs, ReLU, quantizer and table outputs), and trimmed:
  the cost-model LUTs that this affine narrowing saves in the end.
"""

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PACK_BITS = 6


def capture(network) -> list[tuple[np.ndarray, list]]:
    """(W, input intervals) of every emit_cmvm call the lowering makes."""
    import importlib

    import da_core

    lower_module = importlib.import_module("da_core.lower")

    seen, emit = [], lower_module.emit_cmvm

    def recording(builder, x, W, bias=None, max_depth=None, signs=None):
        seen.append((np.array(W), [builder.interval(v) for v in x]))
        return emit(builder, x, W, bias, max_depth, signs)

    lower_module.emit_cmvm = recording
    try:
        da_core.lower(network)
    finally:
        lower_module.emit_cmvm = emit
    return seen


def linear_forms(program) -> list[dict[int, int] | None]:
    """Per value, {input index: integer coefficient} with value code = sum(coef * input code), or None."""
    forms: list[dict[int, int] | None] = []
    for op in program.ops:
        e = op.interval.exp
        match op.kind:
            case "input":
                forms.append({op.params[0]: 1})
            case "shift":
                forms.append(forms[op.args[0]])  # same code, exponent moves
            case "neg":
                f = forms[op.args[0]]
                forms.append(None if f is None else {i: -c for i, c in f.items()})
            case "add":
                shift, sign = op.params
                fa, fb = forms[op.args[0]], forms[op.args[1]]
                if fa is None or fb is None:
                    forms.append(None)
                    continue
                ea = program.ops[op.args[0]].interval.exp - e
                eb = program.ops[op.args[1]].interval.exp + shift - e
                f = {i: c << ea for i, c in fa.items()}
                for i, c in fb.items():
                    f[i] = f.get(i, 0) + sign * (c << eb)
                forms.append({i: c for i, c in f.items() if c})
            case _:
                forms.append(None)
    return forms


def exact_range(form: dict[int, int], ivs) -> tuple[int, int]:
    lo = sum(min(c * ivs[i].lo, c * ivs[i].hi) for i, c in form.items())
    hi = sum(max(c * ivs[i].lo, c * ivs[i].hi) for i, c in form.items())
    return lo, hi


def analyse(W: np.ndarray, ivs) -> dict:
    """Packing and affine-range figures of one solved CMVM."""
    import da_core
    from da_core.cost import bit_width

    sol = da_core.solve(W, inputs=ivs)
    p = sol.program
    forms = linear_forms(p)
    in_ivs = p.input_intervals
    bits = [iv.width for iv in in_ivs]
    support = [None if f is None else sum(bits[i] for i in f) for f in forms]
    readers: list[list[int]] = [[] for _ in p.ops]
    for v, op in enumerate(p.ops):
        for a in op.args:
            readers[a].append(v)
    outputs = set(p.outputs)

    def root_of(v):  # through shifts
        while p.ops[v].kind == "shift":
            v = p.ops[v].args[0]
        return v

    small = [p.ops[v].kind in ("add", "neg") and support[v] is not None and support[v] <= PACK_BITS
             for v in range(len(p.ops))]
    # a maximal packable sub-sum: small, and read by something not small (or an output)
    def readers_through_shifts(v):
        out = []
        for r in readers[v]:
            out += readers_through_shifts(r) if p.ops[r].kind == "shift" else [r]
        return out

    roots = [v for v in range(len(p.ops)) if small[v] and (v in outputs or any(
        not small[r] for r in readers_through_shifts(v)) or any(root_of(o) == v for o in outputs))]
    under = set()
    stack = list(roots)
    while stack:
        v = stack.pop()
        if v in under:
            continue
        under.add(v)
        stack += [root_of(a) for a in p.ops[v].args if small[root_of(a)]]
    packed_cost = sum(p.ops[v].cost for v in under)
    packed_luts = sum(p.ops[v].interval.width for v in roots)
    saved_bits = 0
    for v, op in enumerate(p.ops):
        if op.kind in ("add", "neg") and forms[v] is not None:
            lo, hi = exact_range(forms[v], in_ivs)
            saved_bits += op.interval.width - bit_width(lo, hi)
    return dict(cost=p.cost, adders=p.n_adders, packed_cost=packed_cost, packed_luts=packed_luts,
                n_roots=len(roots), affine_bits=saved_bits,
                narrow_adders=sum(op.kind == "add" and any(bits[root_of(a)] <= 2 for a in op.args
                                                           if p.ops[root_of(a)].kind == "input") for op in p.ops))


def affine_cost(network) -> tuple[int, int]:
    """Cost-model LUTs of the trimmed program without and with every adder wrapped to its affine exact range."""
    from fractions import Fraction

    import da_core
    from da_core.builder import ProgramBuilder
    from da_core.cost import bit_width
    from da_core.precision import trim

    plain_add, forms = ProgramBuilder.add, {}

    def form(builder, x) -> dict[int, Fraction]:
        op = builder.ops[x]
        if op.kind == "shift":
            return {k: c * Fraction(2) ** op.params[0] for k, c in form(builder, op.args[0]).items()}
        return forms.get(x, {x: Fraction(1)})

    def affine_add(self, a, b, shift=0, sign=1):
        v = plain_add(self, a, b, shift, sign)
        if self.ops[v].kind != "add":
            return v
        f = dict(form(self, a))
        for k, c in form(self, b).items():
            f[k] = f.get(k, 0) + sign * c * Fraction(2) ** shift
        forms[v] = f = {k: c for k, c in f.items() if c}
        iv, lo, hi = self.ops[v].interval, Fraction(0), Fraction(0)
        for k, c in f.items():
            kv = self.ops[k].interval
            ends = [c * kv.lo * Fraction(2) ** kv.exp, c * kv.hi * Fraction(2) ** kv.exp]
            lo, hi = lo + min(ends), hi + max(ends)
        w = bit_width(int(lo / Fraction(2) ** iv.exp), int(hi / Fraction(2) ** iv.exp))
        return self.quant(v, int(lo < 0), w - int(lo < 0) + iv.exp, -iv.exp, "TRN", "WRAP") if w < iv.width else v

    plain = da_core.lower(network).cost
    ProgramBuilder.add = affine_add
    try:
        program = da_core.lower(network, trim=False)
    finally:
        ProgramBuilder.add = plain_add
    return plain, trim(program).cost


def survey(name: str, work: Path) -> None:
    import keras
    import hgq  # noqa: F401

    import quant

    path = work / f"{name}.keras"
    if not path.exists():
        from bench_models import MODELS

        MODELS[name]()[0].save(path)
    network = quant.from_keras(keras.models.load_model(path, compile=False))
    calls = capture(network)
    widths = Counter()
    totals = Counter()
    cache = {}
    for W, ivs in calls:
        widths.update(min(iv.width, 4) for iv in ivs)
        key = (W.tobytes(), W.shape, tuple(ivs))
        if key not in cache:
            cache[key] = analyse(W, ivs)
        totals.update(cache[key])
    print(f"{name}: {len(calls)} CMVM calls, {len(cache)} distinct; inputs by width (4 = 4+): "
          f"{dict(sorted(widths.items()))}")
    print(f"  adders {totals['adders']}, cost {totals['cost']}; adders reading a <=2-bit input directly "
          f"{totals['narrow_adders']}")
    saved = totals["packed_cost"] - totals["packed_luts"]
    print(f"  (a) sub-sums of <= {PACK_BITS} input bits: {totals['n_roots']}, adder cost under them "
          f"{totals['packed_cost']}, as LUT6 tables {totals['packed_luts']} -> saving {saved} "
          f"({saved / max(totals['cost'], 1):.1%})")
    print(f"  (b) adder result bits interval arithmetic adds over the exact range: {totals['affine_bits']}")
    plain, affine = affine_cost(network)
    print(f"  (b) whole model, trimmed: cost-model LUTs {plain} -> {affine} with affine ranges "
          f"({(affine - plain) / plain:+.2%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="where the .keras models are (or go)")
    parser.add_argument("--models", nargs="+", default=["jsc_mlp", "digits_mlp", "tabular_mlp", "residual", "conv_net"])
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    for name in args.models:
        survey(name, args.work)


if __name__ == "__main__":
    main()
