"""A design's Verilog compiled by Verilator into a library that streams whole arrays through it.

``CompiledModel(design)`` builds (once per Verilog text, in ``<out_dir>/model_build``)
a small C++ harness around the Verilated module as a shared library, which this process calls through
ctypes (one call per chunk of samples, the chunks on threads of their own). It presents one sample per clock
(with ``ce`` and ``inp_valid`` high, ``rst`` low) and collects each output ``latency_cycles`` edges later,
reading and writing the NumPy arrays in place. One Verilator eval per clock where Verilator lets the harness
rearm its rising-edge trigger (``last_evals_per_cycle`` says which). ``predict`` hands the harness the raw
float inputs, which it quantizes and codes itself, op for op as the Python path does (``sim._raw_inputs``);
where it refuses a value, the Python path runs and raises its own error. No cocotb and no Python per sample:
about 2 us of CPU per sample for the 3,229-adder JSC MLP, all of it in the harness. A stream design
(``io="stream"``) gets the beat-by-beat program of ``sim.stream_harness`` instead.
"""

import ctypes
import hashlib
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from rtl_emit import Metadata, bus, ports

from . import _raw_inputs, stream_harness
from ._harness_io import prelude
from .toolchain import is_built, makeflags, mark_built, setup_verilator, tail

CHUNK_SAMPLES = 1_000_000  # samples per harness call: one progress step of a second or so
MIN_SPLIT_SAMPLES = 20_000  # fewer samples per core than this run in one call (start-up would dominate)
FLOAT64_EXACT_BITS = 53  # output codes up to this wide are exact as float64 values
_POINTER = ctypes.c_void_p

_HARNESS = r"""// Streams samples through V@NAME@, one per clock (written by adderflow): a shared library that
// sim.compiled calls through ctypes, one call per chunk of samples.
@PRELUDE@
#include <cmath>
#pragma GCC optimize("O2")  // the per-sample code below (harness files are built at -Os)

// Verilator sees a rising clock edge where clk is high and was low at the last eval, which it keeps in a
// member of the root. Where that member exists, clearing it makes the next eval with clk high an edge
// again, so a cycle takes one eval instead of two (a falling-edge eval re-runs all the input logic).
template <class R> static auto rearm(R* root, int) -> decltype(root->__Vtrigprevexpr___TOP__clk__0 = 0, true) {
    root->__Vtrigprevexpr___TOP__clk__0 = 0;
    return true;
}
template <class R> static bool rearm(R*, long) { return false; }

// The bus elements (rtl_emit.ports): lsb and width of each input; lsb, width and signedness of each output,
// and 2**exp, its code's value (a padding row where there are none).
static const long N_IN = @N_IN@, N_OUT = @N_OUT@, IB = @IN_BYTES@, OB = @OUT_BYTES@, IWORDS = (IB + 3) / 4 + 3;
static const int IN_EL[][2] = {@IN_EL@};
static const int OUT_EL[][3] = {@OUT_EL@};
static const double OUT_SCALE[] = {@OUT_SCALE@};

// The columns of a row of sim._raw_inputs.quantizer_table, one row per input.
enum { @COLUMNS@, QCOLS };

// A row of the table, the integers as integers.
struct Format {
    bool pruned, fast, wrap;
    int round;
    int64_t unit_bias, unit_mask;
    const double* q;
    explicit Format(const double* row)
        : pruned(row[PRUNED] != 0), fast(row[FAST] != 0), wrap(row[OVERFLOW] == 0), round(static_cast<int>(row[ROUND])),
          unit_bias(static_cast<int64_t>(row[UNIT_BIAS])), unit_mask(static_cast<int64_t>(row[UNIT_PERIOD]) - 1), q(row) {}
};

// The code of one raw input as quant.fixed.quantize (HGQ2's NumPy quantizer) and Program.input_codes compute
// it; false where the Python path refuses the value (NaN, off the grid, 2**53 or more) or its code is off the
// input's range. Where the rounded value and the wrap period fit 52 bits (fast), every float64 operation of
// the Python path is exact but its x * 2**f + 0.5, so integers give the same result; elsewhere (NaN, inf,
// huge values) the Python path's float64 operations run one for one (the remainder as fmod: exact).
static bool quantize(float raw, const Format& fmt, int64_t& code) {
    const double* q = fmt.q;
    double c = 0.0;
    if (!fmt.pruned) {
        double x = raw;
        if (!fmt.wrap) x = x < q[CLIP_LO] ? q[CLIP_LO] : (x > q[CLIP_HI] ? q[CLIP_HI] : x);  // np.clip, NaN kept
        const double s = x * q[SCALE];
        if (fmt.fast && std::fabs(s) < 0x1p52) {
            const double t = fmt.round == 1 ? s + 0.5 : fmt.round == 2 ? std::nearbyint(s) : s;
            int64_t u = static_cast<int64_t>(t);
            u -= static_cast<double>(u) > t;  // floor
            if (fmt.wrap) u = ((u + fmt.unit_bias) & fmt.unit_mask) - fmt.unit_bias;  // floored remainder by 2**n
            c = static_cast<double>(u) * q[UNIT_CODE];
        } else {
            double v = (fmt.round == 0 ? std::floor(s) : fmt.round == 1 ? std::floor(s + 0.5) : std::nearbyint(s)) / q[SCALE];
            if (fmt.wrap) {  // (v + bias) % period - bias, numpy's floored remainder
                const double a = v + q[BIAS];
                double m = a - std::trunc(a / q[PERIOD]) * q[PERIOD];
                if (m < 0) m += q[PERIOD];
                v = m - q[BIAS];
            }
            c = v * q[CODE_SCALE];
        }
    }
    if (!(std::fabs(c) < 0x1p53)) return false;
    code = static_cast<int64_t>(c);
    return static_cast<double>(code) == c && c >= q[CODE_LO] && c <= q[CODE_HI];
}

// One sample's bus word from its codes (int64) or raw inputs (float32, quantized here); false where refused.
static bool pack(const int64_t* codes, const float* raw, const Format* formats, uint32_t* w) {
    std::memset(w, 0, IWORDS * 4);
    for (long j = 0; j < N_IN; ++j) {
        int64_t code = codes ? codes[j] : 0;
        if (raw && !quantize(raw[j], formats[j], code)) return false;
        const int lsb = IN_EL[j][0], width = IN_EL[j][1];
        const unsigned __int128 t = static_cast<unsigned __int128>(static_cast<uint64_t>(code) & ((1ull << width) - 1)) << (lsb % 32);
        w[lsb / 32] |= static_cast<uint32_t>(t);
        w[lsb / 32 + 1] |= static_cast<uint32_t>(t >> 32);
        w[lsb / 32 + 2] |= static_cast<uint32_t>(t >> 64);
    }
    return true;
}

// One sample's outputs from its bus word: codes, or their values where values is given.
static void unpack(const uint32_t* w, int64_t* codes, double* values) {
    for (long j = 0; j < N_OUT; ++j) {
        const int lsb = OUT_EL[j][0], width = OUT_EL[j][1];
        const unsigned __int128 t = (w[lsb / 32] | static_cast<unsigned __int128>(w[lsb / 32 + 1]) << 32
                                     | static_cast<unsigned __int128>(w[lsb / 32 + 2]) << 64) >> (lsb % 32);
        int64_t code = static_cast<int64_t>(static_cast<uint64_t>(t) & ((1ull << width) - 1));
        if (OUT_EL[j][2] && width && (code >> (width - 1) & 1)) code -= static_cast<int64_t>(1ull << width);
        if (values) values[j] = static_cast<double>(code) * OUT_SCALE[j]; else codes[j] = code;
    }
}

// n samples back to back: inputs from codes (n, N_IN) or raw (n, N_IN) with quant (N_IN, QCOLS), outputs into
// values or codes_out (n, N_OUT). Returns the Verilator evals run, or -1 - the first refused sample.
extern "C" __attribute__((visibility("default")))
long adderflow_stream(long n, long latency, const int64_t* codes, const float* raw, const double* quant,
                      int64_t* codes_out, double* values) {
    VerilatedContext context;
    V@NAME@ top(&context);
@INIT@
    top.eval();
    uint32_t in[IWORDS], out[(OB + 3) / 4 + 3] = {0};
    std::vector<Format> formats;
    for (long j = 0; raw && j < N_IN; ++j) formats.emplace_back(quant + j * QCOLS);
    const auto take = [&](long k) {
        get(top.out, reinterpret_cast<uint8_t*>(out), OB);
        unpack(out, codes_out ? codes_out + k * N_OUT : nullptr, values ? values + k * N_OUT : nullptr);
    };
    const long cycles = latency ? n + latency - 1 : n;
    long evals = 0;
    for (long c = 0; c < cycles; ++c) {
        if (c < n) {
            if (!pack(codes ? codes + c * N_IN : nullptr, raw ? raw + c * N_IN : nullptr, formats.data(), in)) {
                top.final();
                return -1 - c;
            }
@PUT@
        }
        if (!latency) { top.eval(); ++evals; take(c); continue; }
#if @HAS_CLK@
        top.clk = 1;  // the rising edge's eval settles the logic on the new input first
        top.eval();
        ++evals;
        if (c >= latency - 1) take(c - (latency - 1));
        if (!rearm(top.rootp, 0)) { top.clk = 0; top.eval(); ++evals; }
#endif
    }
    top.final();
    return evals;
}
"""


class CompiledModel:
    """The design's RTL as a Python callable: ``model(codes) -> codes``, ``model.predict(x) -> values``.

    Builds on first use (seconds to minutes, growing with the design) and reuses the build
    while the Verilog is unchanged. ``last_samples_per_second`` holds the speed of the last call,
    ``last_harness_cpu_seconds`` the CPU time of its harness calls (quantizing, packing and unpacking
    in C++ included).
    """

    def __init__(self, design, build: bool = True):
        self.design = design
        self.meta = Metadata.load(design.metadata_path)
        if self.meta.hdl != "verilog":
            raise ValueError(f"design {self.meta.name} is {self.meta.hdl.upper()}, and CompiledModel is a Verilator "
                             f"harness, which reads Verilog only: simulate it with sim.run_rtl(design, codes) or "
                             f"sim.verify(design, x) (cocotb on GHDL), or write it with hdl='verilog'")
        self.build_dir = Path(design.out_dir) / self.meta.files.model_build
        self.binary = self._product(self._digest())
        self.last_samples_per_second = self.last_harness_cpu_seconds = None
        self.last_cycles = self.last_latency_cycles = None  # of a stream design's last call (first chunk)
        self.last_evals_per_cycle = None  # Verilator evals per clock in the last call's first chunk: 1 where rearmed
        self._library = None
        if build:
            self.build()

    def __repr__(self) -> str:
        return f"CompiledModel({self.meta.name!r}, latency {self.meta.latency_cycles} cycles, {self.binary})"

    def _flags(self) -> list[str]:
        """Verilator's options for this harness (no paths): part of the build's digest."""
        shared = [] if self.meta.io == "stream" else [
            # hidden symbols: the model's functions bind (and inline) within the library as in a program;
            # -ffp-contract=off: the harness's quantizer rounds after every float64 operation, as NumPy does
            "-CFLAGS", "-fPIC -fvisibility=hidden -fno-semantic-interposition -ffp-contract=off",
            "-LDFLAGS", "-shared -Wl,-Bsymbolic"]
        return ["--cc", "--exe", "--build", "-j", "2", "-O3",
                # small C++ functions at -O1: a large design compiles in seconds, not minutes
                "-CFLAGS", "-O1", *shared, "--output-split-cfuncs", "500",
                "--x-assign", "fast", "--x-initial", "fast", "--noassert", "-Wno-fatal", "-Wno-WIDTH"]

    def _digest(self) -> str:
        """SHA-256 of what the build is made of: the Verilog, the harness and the options."""
        made_of = [Path(self.design.verilog_path).read_bytes(), _harness_source(self.meta).encode(),
                   " ".join(self._flags()).encode()]
        return hashlib.sha256(b"\0".join(made_of)).hexdigest()

    def _product(self, digest: str) -> Path:
        """A stream design's program, or the library (named by its digest: a process loads a path once)."""
        name = self.meta.name
        return self.build_dir / (f"{name}_model" if self.meta.io == "stream" else f"lib{name}_model_{digest[:16]}.so")

    def build(self) -> Path:
        """Compile the harness unless an up-to-date build exists; returns the program or library."""
        digest = self._digest()
        self.binary = self._product(digest)
        if is_built(self.build_dir, digest, self.binary):
            return self.binary
        root = setup_verilator()
        self.build_dir.mkdir(parents=True, exist_ok=True)
        for old in self.build_dir.glob("*.so"):
            old.unlink()
        harness = self.build_dir / "harness.cpp"
        harness.write_text(_harness_source(self.meta))
        env = dict(os.environ, MAKEFLAGS=makeflags())
        log = self.build_dir / "build.log"
        with log.open("w") as out:
            # paths relative to the build folder: make takes a path with '=' in it for an assignment
            command = [str(root / "bin" / "verilator"), *self._flags(), "--top-module", self.meta.name, "--Mdir", "obj",
                       "-o", f"../{self.binary.name}",
                       os.path.relpath(Path(self.design.verilog_path).resolve(), self.build_dir.resolve()), harness.name]
            result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=self.build_dir)
        if result.returncode or not self.binary.is_file():
            raise RuntimeError(f"building the compiled model of {self.design.verilog_path} failed; log: {log}\n"
                               f"{tail(log, 30)}")
        mark_built(self.build_dir, digest)
        return self.binary

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        """Output codes (n_samples, n_outputs) int64 of the RTL on input codes (n_samples, n_inputs)."""
        return self.stream(self.design.program.check_codes(codes))

    def stream(self, codes: np.ndarray) -> np.ndarray:
        """``self(codes)`` on codes that ``Program.check_codes`` has already passed (int64)."""
        if self.meta.io == "stream":
            return self.stream_beats(codes)
        return self._run(len(codes), codes=np.ascontiguousarray(codes, np.int64))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Real output values (float64, exact) of the RTL on input values on the program's input grid,
        or on raw model inputs when the design carries its network (its input quantizers apply)."""
        quant = _raw_inputs.quantizer_table(self.design)
        raw = None if quant is None else _raw_inputs.raw_samples(self.design, x)
        exact = all(el.width <= FLOAT64_EXACT_BITS for el in self.meta.outputs)
        if raw is not None and exact:
            values = self._run(len(raw), raw=raw, quant=quant)
            if values is not None:
                return values
        # refused by the harness (or not its case): the Python path raises its own error or codes it
        return self.design.program.output_values(self.stream(self.design.input_codes(x)))

    def _run(self, n: int, codes: np.ndarray | None = None, raw: np.ndarray | None = None,
             quant: np.ndarray | None = None) -> np.ndarray | None:
        """Stream n samples (codes, or raw inputs with their quantizer table) back to back through the pipeline,
        split over the cores; output codes, or with raw inputs output values. None where the harness refused
        a raw input."""
        meta = self.meta
        out = np.zeros((n, len(meta.outputs)), np.int64 if raw is None else np.float64)
        if meta.out_width == 0 or n == 0:
            return out
        start = time.perf_counter()
        run = self._load().adderflow_stream
        workers = max(1, min(n_cores(), n // MIN_SPLIT_SAMPLES))
        size = min(CHUNK_SAMPLES, -(-n // workers))

        def chunk(i: int) -> tuple[int, int, float]:
            m, cpu = min(size, n - i), time.thread_time()
            evals = run(m, meta.latency_cycles, _at(codes, i), _at(raw, i), _at(quant, 0),
                        _at(out, i) if raw is None else None, None if raw is None else _at(out, i))
            return evals, m, time.thread_time() - cpu

        starts = range(0, n, size)
        with ThreadPoolExecutor(workers) as pool:
            chunks = list(tqdm(pool.map(chunk, starts), total=len(starts), desc="simulating", unit="chunk",
                               disable=True if len(starts) < 2 else None))
        if any(evals < 0 for evals, _, _ in chunks):
            return None
        evals, m, _ = chunks[0]
        self.last_evals_per_cycle = evals / (m + meta.latency_cycles - 1 if meta.latency_cycles else m)
        self.last_harness_cpu_seconds = sum(cpu for _, _, cpu in chunks)
        self.last_samples_per_second = n / (time.perf_counter() - start)
        return out

    def _load(self):
        """The built library, loaded once (ctypes: each call runs without the GIL, so chunks run in parallel)."""
        binary = self.build()
        if self._library is None or self._library[0] != binary:
            library = ctypes.CDLL(str(binary))
            library.adderflow_stream.restype = ctypes.c_long
            library.adderflow_stream.argtypes = [ctypes.c_long, ctypes.c_long] + [_POINTER] * 5
            self._library = (binary, library)
        return self._library[1]

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


def _at(array: np.ndarray | None, row: int) -> int | None:
    """The address of a row of a C-contiguous array (None: a null pointer)."""
    return None if array is None else array.ctypes.data + row * array.strides[0]


def n_cores() -> int:
    """Cores this process may run on (all of the machine's where the OS does not say)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _harness_source(meta: Metadata) -> str:
    if meta.io == "stream":
        return stream_harness.harness_source(meta)
    levels = {ports.CLOCK: 0, ports.RESET: 0, ports.ENABLE: 1, ports.INPUT_VALID: 1}  # the control ports held
    init = [f"    top.{port} = {level};" for port, level in levels.items() if port in meta.ports]
    inputs = [f"{{{el.lsb}, {el.width}}}" for el in meta.inputs] or ["{0, 0}"]
    outputs = [f"{{{el.lsb}, {el.width}, {int(el.signed)}}}" for el in meta.outputs] or ["{0, 0, 0}"]
    scales = [float(2.0**el.exp).hex() for el in meta.outputs] or ["0"]
    fields = {"PRELUDE": prelude(meta.name), "NAME": meta.name, "IN_BYTES": bus.n_bytes(meta.inp_width),
              "OUT_BYTES": bus.n_bytes(meta.out_width), "N_IN": len(meta.inputs),
              "N_OUT": len(meta.outputs), "IN_EL": ", ".join(inputs), "OUT_EL": ", ".join(outputs),
              "OUT_SCALE": ", ".join(scales), "COLUMNS": ", ".join(_raw_inputs.COLUMNS), "INIT": "\n".join(init),
              "HAS_CLK": int(ports.CLOCK in meta.ports),
              "PUT": "            put(top.inp, reinterpret_cast<const uint8_t*>(in), IB);" if meta.inp_width else ""}
    source = _HARNESS
    for key, value in fields.items():
        source = source.replace(f"@{key}@", str(value))
    return source
