"""The end-to-end models of tables, softmax and attention: what each costs in hardware.

    ADDERFLOW_YOSYS=yosys nice -n 10 env PYTHONPATH=. python benchmarks/transformer_cost.py [--models NAME ...]

The jet-tagging transformer block and the Linformer of LUT-table layers (tests/sim/models_attention.py), the
table-based deep-sets GNN (models_tables.py) and the classifier ending in QSoftmax (models_softmax.py), built as
their tests build them, converted at latency_cutoff=4 (products as shift-and-add, the default). Prints a
Markdown table: adders, distinct tables and lookups, products of two variables (the network's ``Einsum``
scalar products), cost-model LUTs, Yosys LUTs and DSPs (``rtl_emit.yosys_report``, ``synth_xilinx -family
xcup``; $ADDERFLOW_YOSYS names a native Yosys, else the PyPI WebAssembly one), latency in cycles.
"""

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "sim"))

from models_attention import linformer_t, transformer_block  # noqa: E402
from models_softmax import softmax_classifier  # noqa: E402
from models_tables import table_deep_sets  # noqa: E402

import quant  # noqa: E402
import rtl_emit  # noqa: E402
from quant.network import Einsum  # noqa: E402

MODELS = {"transformer_block": transformer_block, "linformer_t": linformer_t, "table_deep_sets": table_deep_sets,
          "softmax_classifier": softmax_classifier}


def products(net) -> int:
    """Scalar products of two variables in the network (before any is found constant)."""
    return sum(node.op.pairs()[..., 0].size for node in net.nodes if isinstance(node.op, Einsum))


def measure(name: str, out: Path) -> dict:
    model, _ = MODELS[name]()
    net = quant.from_keras(model)
    design = rtl_emit.compile_model(net, out / name, latency_cutoff=4)
    y = rtl_emit.yosys_report(design)
    return dict(design.report, products=products(net), yosys_luts=y.get("luts", "?"), yosys_dsps=y.get("dsps", "?"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS))
    args = parser.parse_args()
    print("| model | adders | distinct tables | table lookups | products | cost-model LUTs | Yosys LUTs | Yosys DSPs | "
          "latency (cycles) |\n|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            r = measure(name, Path(tmp))
            print(f"| {name} | {r['adders']} | {r['tables']} | {r['table_lookups']} | {r['products']} | "
                  f"{r['lut_estimate']} | {r['yosys_luts']} | {r['yosys_dsps']} | {r['latency_cycles']} |", flush=True)


if __name__ == "__main__":
    main()
