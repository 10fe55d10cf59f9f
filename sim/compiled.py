"""A design's Verilog compiled by Verilator into a program that streams whole arrays through it.

``CompiledModel(design)`` builds (once per Verilog text, in ``<out_dir>/model_build``)
a small C++ harness around the Verilated module: it reads the packed input bus
words of all samples from a file, presents one sample per clock (with ``ce`` and
``inp_valid`` high, ``rst`` low), collects each output ``latency_cycles`` edges
later and writes the output words back. One Verilator eval per clock where Verilator lets the harness
rearm its rising-edge trigger (``last_evals_per_cycle`` says which). No cocotb and no Python per sample, so a
data set goes through the real Verilog at millions of cycles per second. A stream design
(``io="stream"``) gets the beat-by-beat harness of ``sim.stream_harness`` instead.
"""

import hashlib
import os
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from rtl_emit import Metadata, bus, ports

from . import stream_harness
from ._harness_io import PORT_IO
from .toolchain import is_built, makeflags, mark_built, setup_verilator, tail

CHUNK_SAMPLES = 1_000_000  # samples per harness run: one progress step of a few seconds
MIN_SPLIT_SAMPLES = 20_000  # fewer samples per core than this run in one process (start-up would dominate)

_HARNESS = r"""// Streams samples through V@NAME@, one per clock (written by adderflow).
// usage: model IN_FILE OUT_FILE N_SAMPLES LATENCY_CYCLES
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include "V@NAME@.h"
#include "V@NAME@___024root.h"
#include "verilated.h"

@PORT_IO@

// Verilator sees a rising clock edge where clk is high and was low at the last eval, which it keeps in a
// member of the root. Where that member exists, clearing it makes the next eval with clk high an edge
// again, so a cycle takes one eval instead of two (a falling-edge eval re-runs all the input logic).
template <class R> static auto rearm(R* root, int) -> decltype(root->__Vtrigprevexpr___TOP__clk__0 = 0, true) {
    root->__Vtrigprevexpr___TOP__clk__0 = 0;
    return true;
}
template <class R> static bool rearm(R*, long) { return false; }

int main(int argc, char** argv) {
    if (argc != 5) { std::fprintf(stderr, "usage: %s IN OUT N LATENCY\n", argv[0]); return 2; }
    const long n = std::atol(argv[3]);
    const size_t ib = @IN_BYTES@, ob = @OUT_BYTES@;
    const long latency = std::atol(argv[4]);
    std::vector<uint8_t> in(n * ib + 8, 0), out(n * ob + 8, 0);
    FILE* f = std::fopen(argv[1], "rb");
    if (!f || std::fread(in.data(), 1, n * ib, f) != static_cast<size_t>(n * ib)) { std::fprintf(stderr, "cannot read %s\n", argv[1]); return 1; }
    std::fclose(f);
    VerilatedContext context;
    V@NAME@ top(&context);
@INIT@
    top.eval();
    const long cycles = latency ? n + latency - 1 : n;
    long evals = 0;
    for (long c = 0; c < cycles; ++c) {
@PUT@
        if (!latency) { top.eval(); ++evals; get(top.out, &out[c * ob], ob); continue; }
#if @HAS_CLK@
        top.clk = 1;  // the rising edge's eval settles the logic on the new input first
        top.eval();
        ++evals;
        const long k = c - (latency - 1);
        if (k >= 0) get(top.out, &out[k * ob], ob);
        if (!rearm(top.rootp, 0)) { top.clk = 0; top.eval(); ++evals; }
#endif
    }
    std::printf("%ld %ld\n", cycles, evals);
    top.final();
    f = std::fopen(argv[2], "wb");
    if (!f || std::fwrite(out.data(), 1, n * ob, f) != static_cast<size_t>(n * ob)) { std::fprintf(stderr, "cannot write %s\n", argv[2]); return 1; }
    std::fclose(f);
    return 0;
}
"""


class CompiledModel:
    """The design's RTL as a Python callable: ``model(codes) -> codes``, ``model.predict(x) -> values``.

    Builds on first use (seconds to minutes, growing with the design) and reuses the build
    while the Verilog is unchanged. ``last_samples_per_second`` holds the speed of the last call,
    file transfers included.
    """

    def __init__(self, design, build: bool = True):
        self.design = design
        self.meta = Metadata.load(design.metadata_path)
        if self.meta.hdl != "verilog":
            raise ValueError(f"design {self.meta.name} is {self.meta.hdl.upper()}, and CompiledModel is a Verilator "
                             f"harness, which reads Verilog only: simulate it with sim.run_rtl(design, codes) or "
                             f"sim.verify(design, x) (cocotb on GHDL), or write it with hdl='verilog'")
        self.build_dir = Path(design.out_dir) / self.meta.files.model_build
        self.binary = self.build_dir / f"{self.meta.name}_model"
        self.last_samples_per_second = None
        self.last_cycles = self.last_latency_cycles = None  # of a stream design's last call (first chunk)
        self.last_evals_per_cycle = None  # Verilator evals per clock in the last call's first chunk: 1 where rearmed
        if build:
            self.build()

    def __repr__(self) -> str:
        return f"CompiledModel({self.meta.name!r}, latency {self.meta.latency_cycles} cycles, {self.binary})"

    def build(self) -> Path:
        """Compile the harness unless an up-to-date build exists; returns the executable."""
        verilog = Path(self.design.verilog_path)
        source = _harness_source(self.meta)
        digest = hashlib.sha256(verilog.read_bytes() + source.encode()).hexdigest()
        if is_built(self.build_dir, digest, self.binary):
            return self.binary
        root = setup_verilator()
        obj = self.build_dir / "obj"
        self.build_dir.mkdir(parents=True, exist_ok=True)
        harness = self.build_dir / "harness.cpp"
        harness.write_text(source)
        env = dict(os.environ, MAKEFLAGS=makeflags())
        command = [str(root / "bin" / "verilator"), "--cc", "--exe", "--build", "-j", "2", "-O3",
                   # small C++ functions at -O1: a large design compiles in seconds, not minutes
                   "-CFLAGS", "-O1", "--output-split-cfuncs", "500",
                   "--x-assign", "fast", "--x-initial", "fast", "--noassert", "-Wno-fatal", "-Wno-WIDTH",
                   # paths relative to the build folder: make takes a path with '=' in it for an assignment
                   "--top-module", self.meta.name, "--Mdir", obj.name, "-o", f"../{self.binary.name}",
                   os.path.relpath(verilog.resolve(), self.build_dir.resolve()), harness.name]
        log = self.build_dir / "build.log"
        with log.open("w") as out:
            result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=self.build_dir)
        if result.returncode or not self.binary.is_file():
            raise RuntimeError(f"building the compiled model of {verilog} failed; log: {log}\n{tail(log, 30)}")
        mark_built(self.build_dir, digest)
        return self.binary

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        """Output codes (n_samples, n_outputs) int64 of the RTL on input codes (n_samples, n_inputs)."""
        return self.stream(self.design.program.check_codes(codes))

    def stream(self, codes: np.ndarray) -> np.ndarray:
        """``self(codes)`` on codes that ``Program.check_codes`` has already passed (int64)."""
        meta = self.meta
        n = len(codes)
        if meta.io == "stream":
            return self.stream_beats(codes)
        if meta.out_width == 0 or n == 0:
            return np.zeros((n, len(meta.outputs)), np.int64)
        start = time.perf_counter()
        binary = self.build()
        words = bus.pack(codes, meta.inputs, meta.inp_width)
        # samples are independent: large runs are split over the cores, one harness process per chunk
        workers = max(1, min(n_cores(), n // MIN_SPLIT_SAMPLES))
        size = min(CHUNK_SAMPLES, -(-n // workers))
        starts = range(0, n, size)
        with ThreadPoolExecutor(workers) as pool:
            chunks = list(tqdm(pool.map(lambda i: self._stream(binary, words[i:i + size]), starts), total=len(starts),
                               desc="simulating", unit="chunk", disable=True if len(starts) < 2 else None))
        self.last_evals_per_cycle = chunks[0][1]
        result = bus.unpack(np.concatenate([c[0] for c in chunks]), meta.outputs)
        self.last_samples_per_second = n / (time.perf_counter() - start)
        return result

    def stream_beats(self, codes: np.ndarray, gap: float = 0.0, stall: float = 0.0, seed: int = 0) -> np.ndarray:
        """A stream design's output codes (n, out beats * out features) for checked input codes of whole samples
        (n, beats * features), fed beat by beat; ``gap``: the chance of no input beat in a cycle, ``stall``:
        of ``out_ready`` low (the handshake under load). Sets ``last_cycles`` and ``last_latency_cycles``
        (of the first chunk: cycles run, and the latency seen for its first sample)."""
        meta, n = self.meta, len(codes)
        start = time.perf_counter()
        binary = self.build()
        beats = n * meta.stream["beats_per_sample"]
        workers = max(1, min(n_cores(), beats // MIN_SPLIT_SAMPLES // 10))
        size = max(1, -(-n // workers))
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda i: stream_harness.run_chunk(binary, meta, codes[i:i + size], gap, stall,
                                                                     seed + i), range(0, n, size)))
        self.last_samples_per_second = n / (time.perf_counter() - start)
        if not parts:
            return np.zeros((0, len(meta.outputs) * meta.stream["out_beats_per_sample"]), np.int64)
        self.last_cycles, self.last_latency_cycles = parts[0][1], parts[0][2]
        return np.concatenate([p[0] for p in parts])

    def _stream(self, binary: Path, words: np.ndarray) -> tuple[np.ndarray, float]:
        """Run one chunk of packed samples back to back through the pipeline; returns the packed outputs and
        the harness's evals per clock."""
        meta, n = self.meta, len(words)
        with tempfile.TemporaryDirectory(prefix="adderflow_model_") as tmp:
            inp, out = Path(tmp) / "inp.bin", Path(tmp) / "out.bin"
            inp.write_bytes(np.ascontiguousarray(words).tobytes())
            result = subprocess.run([str(binary), str(inp), str(out), str(n), str(meta.latency_cycles)],
                                    capture_output=True, text=True)
            if result.returncode:
                raise RuntimeError(f"the compiled model of {meta.name} failed: {result.stderr[-2000:]}")
            cycles, evals = map(int, result.stdout.split())
            return np.fromfile(out, np.uint8).reshape(n, bus.n_bytes(meta.out_width)), evals / cycles

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Real output values (float64, exact) of the RTL on input values on the program's input grid,
        or on raw model inputs when the design carries its network (its input quantizers apply)."""
        return self.design.program.output_values(self.stream(self.design.input_codes(x)))


def n_cores() -> int:
    """Cores this process may run on (all of the machine's where the OS does not say)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _harness_source(meta: Metadata) -> str:
    if meta.io == "stream":
        return stream_harness.harness_source(meta)
    levels = {ports.CLOCK: 0, ports.RESET: 0, ports.ENABLE: 1, ports.INPUT_VALID: 1}  # the control ports held
    init = [f"    top.{port} = {level};" for port, level in levels.items() if port in meta.ports]
    put = "        if (c < n) put(top.inp, &in[c * ib], ib);" if meta.inp_width else ""
    return (_HARNESS.replace("@PORT_IO@", PORT_IO).replace("@NAME@", meta.name).replace("@IN_BYTES@", str(bus.n_bytes(meta.inp_width)))
            .replace("@OUT_BYTES@", str(bus.n_bytes(meta.out_width)))
            .replace("@INIT@", "\n".join(init)).replace("@HAS_CLK@", str(int(ports.CLOCK in meta.ports)))
            .replace("@PUT@", put))
