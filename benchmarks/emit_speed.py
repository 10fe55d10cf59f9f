"""Emission speed: seconds from a Program to Verilog on disk, per back end, as designs grow.

    python benchmarks/emit_speed.py [--adders 1000 2000 20000] [--amaranth-max 2000]

Programs are random layered adder DAGs over 64 signed 8-bit inputs, 16 adder levels
deep (each adder reads two values of the level below, with a shift), so that about
``--adders`` adders are live; pipelined every 3 adder levels with reset, clock enable
and valid ports. Writes benchmarks/emit_speed.json.
"""

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from da_core.builder import ProgramBuilder
from da_core.interval import Interval
from rtl_emit import emit_program


def random_adder_program(n_adders: int, n_inputs: int = 64, levels: int = 16, seed: int = 0):
    rng = random.Random(seed)
    b = ProgramBuilder()
    layer = [b.input(Interval(-128, 127, 0)) for _ in range(n_inputs)]
    width = int(n_adders / (levels - 1) / 0.81) + 1  # about a fifth of the adders go unread
    for level in range(levels):
        below = layer
        n = width if level < levels - 1 else width // 4
        layer = []
        while len(layer) < n:
            v = b.add(rng.choice(below), rng.choice(below), rng.randint(0, 3), rng.choice((1, -1)))
            if b.interval(v).width > 20:
                v = b.quant(v, 1, 12, 0, "TRN", "WRAP")
            layer.append(v)
    return b.build(layer)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adders", type=int, nargs="+", default=[1000, 2000, 20000])
    parser.add_argument("--amaranth-max", type=int, default=2000, help="largest design sent through Amaranth")
    args = parser.parse_args(argv)
    rows = []
    for n in args.adders:
        program = random_adder_program(n)
        for backend in ("direct", "amaranth"):
            if backend == "amaranth" and n > args.amaranth_max:
                continue
            out = Path(tempfile.mkdtemp(prefix="adderflow_emit_"))
            start = time.perf_counter()
            design = emit_program(program, out, name="big", latency_cutoff=3, reset=True, clock_enable=True,
                                  backend=backend, overwrite=True)
            seconds = time.perf_counter() - start
            row = dict(backend=backend, adders=program.n_adders, ops=len(program.ops), seconds=round(seconds, 2),
                       latency_cycles=design.latency_cycles, ff_bits=design.report["ff_bits"],
                       verilog_mb=round(design.verilog_path.stat().st_size / 1e6, 2))
            print(row, flush=True)
            rows.append(row)
            shutil.rmtree(out)
    Path(__file__).with_name("emit_speed.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
