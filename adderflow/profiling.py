"""Where the bits and the LUTs go: per network node, the formats against the data, and the cost.

The analogue of hls4ml's ``profiling.numerical``: for every tensor of the network (the
quantized model inputs and each node's output) it sets the exact interval the fixed-point
network allows (``da_core.lower_with_intervals``, before the precision pass) against the
range that data actually reaches in the bit-exact reference (``quant.Network.trace``), and
counts the adders and cost-model LUTs that each node's lowering made (``Program.origins``).
"""

from pathlib import Path

import numpy as np

from da_core.cost import bit_width


def profile(model, x, max_depth: int | None = None) -> list[dict]:
    """One row per tensor, in network order: what the formats allow, what ``x`` reaches, what it costs.

    Columns: ``node`` (tensor name), ``layer`` (the Keras layer it came from), ``op``, ``elements``;
    ``lo``/``hi``, the interval the network assigns (over all elements) and ``bits``, its widest
    element; ``data_min``/``data_max`` and ``data_bits``, the widest element's bits for the range
    the data reaches at the same step; ``spare_bits``, the bits over all elements that the data
    never needs; ``adders`` and ``luts`` of the node's share of the program (after the precision pass).
    """
    import da_core
    import quant

    network = model if isinstance(model, quant.Network) else quant.from_keras(model)
    values = network.trace(x)
    if not len(next(iter(values.values()))):
        raise ValueError("profiling needs at least one sample")
    program, intervals = da_core.lower_with_intervals(network, max_depth=max_depth)
    costs = program.cost_by_origin()
    sources = {spec.name: ("input", "Input") for spec in network.inputs}
    sources.update((n.name, (n.source or n.name, type(n.op).__name__)) for n in network.nodes)
    rows = []
    for name, ivs in intervals.items():
        flat = values[name].reshape(len(values[name]), -1)
        exp = np.array([iv.exp for iv in ivs], dtype=np.float64)
        lo = np.array([iv.lo for iv in ivs], dtype=np.float64) * 2.0**exp
        hi = np.array([iv.hi for iv in ivs], dtype=np.float64) * 2.0**exp
        widths = [iv.width for iv in ivs]
        d_lo, d_hi = flat.min(axis=0, initial=0.0), flat.max(axis=0, initial=0.0)  # with 0, as every format
        needed = [bit_width(int(a), int(b)) for a, b in zip(d_lo * 2.0**-exp, d_hi * 2.0**-exp)]
        cost = costs.get(name, dict(adders=0, luts=0))
        layer, op = sources[name]
        rows.append(dict(node=name, layer=layer, op=op, elements=len(ivs), lo=float(lo.min(initial=0.0)),
                         hi=float(hi.max(initial=0.0)), bits=max(widths, default=0),
                         data_min=float(flat.min(initial=np.inf)), data_max=float(flat.max(initial=-np.inf)),
                         data_bits=max(needed, default=0), spare_bits=int(sum(widths) - sum(needed)),
                         adders=cost["adders"], luts=cost["luts"]))
    return rows


def layer_costs(rows: list[dict]) -> list[dict]:
    """Adders and LUTs per Keras layer (its nodes summed), with each layer's share of the LUTs, in network order."""
    table: dict[str, dict] = {}
    for row in rows:
        entry = table.setdefault(row["layer"], dict(layer=row["layer"], adders=0, luts=0))
        entry["adders"] += row["adders"]
        entry["luts"] += row["luts"]
    total = sum(e["luts"] for e in table.values()) or 1
    return [dict(e, lut_share=round(e["luts"] / total, 4)) for e in table.values()]


def plot(rows: list[dict], path: str | Path | None = None):
    """Three panels per tensor: assigned interval against the data's range (symmetric log scale), bits
    assigned against bits the data needs, and cost-model LUTs. Saved to ``path`` if given; returns the Figure."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("profiling plots need matplotlib: pip install matplotlib") from None
    y = np.arange(len(rows))[::-1]
    fig = Figure(figsize=(13, 1.6 + 0.32 * len(rows)), layout="constrained")
    ax_range, ax_bits, ax_luts = fig.subplots(1, 3, sharey=True, width_ratios=(3, 2, 2))
    for yi, r in zip(y, rows):
        ax_range.plot([r["lo"], r["hi"]], [yi, yi], color="0.75", lw=9, solid_capstyle="butt")
        ax_range.plot([r["data_min"], r["data_max"]], [yi, yi], color="tab:blue", lw=3, solid_capstyle="butt")
    smallest = min((abs(v) for r in rows for v in (r["lo"], r["hi"], r["data_min"], r["data_max"]) if v), default=1)
    ax_range.set_xscale("symlog", linthresh=smallest)
    ax_range.plot([], [], color="0.75", lw=9, label="interval the network assigns")
    ax_range.plot([], [], color="tab:blue", lw=3, label="range the data reaches")
    ax_range.set(xlabel="value (symmetric log scale)", title="value ranges")
    ax_bits.barh(y + 0.2, [r["bits"] for r in rows], height=0.4, color="0.65", label="bits assigned (widest element)")
    ax_bits.barh(y - 0.2, [r["data_bits"] for r in rows], height=0.4, color="tab:blue", label="bits the data needs")
    ax_bits.set(xlabel="bits", title="bit widths")
    fig.legend(loc="outside lower center", ncols=4, fontsize="small")
    ax_luts.barh(y, [r["luts"] for r in rows], color="tab:orange")
    ax_luts.set(xlabel="LUTs (cost model)", title="where the cost goes")
    ax_range.set_yticks(y, [f"{r['node']} ({r['op']})" for r in rows])
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
