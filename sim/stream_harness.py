"""The Verilator C++ harness of a stream design (``io="stream"``), used by ``sim.CompiledModel``.

It resets the design for one edge, then offers the input beats of all samples in order (a beat moves
when ``inp_valid && inp_ready``) and takes output beats whenever ``out_valid && out_ready``, until every
expected output beat has moved. Optional random gaps in ``inp_valid`` and random cycles with
``out_ready`` low (per mille, seeded) exercise the handshake on bulk data. It prints the cycles run and
the latency it saw for the first sample (its last output beat's cycle less its last input beat's).
"""

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from rtl_emit import Metadata, bus

from ._harness_io import prelude

_HARNESS = r"""// Streams beats through V@NAME@ with the valid/ready handshake (written by adderflow).
// usage: model IN_FILE OUT_FILE N_SAMPLES BEATS OUT_BEATS GAP_PERMILLE STALL_PERMILLE SEED
@PRELUDE@

static uint64_t state = 88172645463325252ull;
static unsigned permille() { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state % 1000; }

int main(int argc, char** argv) {
    if (argc != 9) { std::fprintf(stderr, "usage: %s IN OUT N BEATS OUT_BEATS GAP STALL SEED\n", argv[0]); return 2; }
    const long n = std::atol(argv[3]), beats = std::atol(argv[4]), out_beats = std::atol(argv[5]);
    const unsigned gap = std::atoi(argv[6]), stall = std::atoi(argv[7]);
    state += std::strtoull(argv[8], nullptr, 10) * 2654435761ull;
    const size_t ib = @IN_BYTES@, ob = @OUT_BYTES@;
    const long n_in = n * beats, n_out = n * out_beats;
    std::vector<uint8_t> in(n_in * ib + 8, 0), out(n_out * ob + 8, 0);
    FILE* f = std::fopen(argv[1], "rb");
    if (!f || std::fread(in.data(), 1, n_in * ib, f) != static_cast<size_t>(n_in * ib)) { std::fprintf(stderr, "cannot read %s\n", argv[1]); return 1; }
    std::fclose(f);
    VerilatedContext context;
    V@NAME@ top(&context);
    top.clk = 0; top.rst = 1; top.inp_valid = 0; top.out_ready = 1;
    top.eval(); top.clk = 1; top.eval(); top.clk = 0; top.rst = 0;
    const long limit = (n_in + n_out + 1000) * ((gap || stall) ? 50 : 2);
    long k_in = 0, k_out = 0, cycle = 0, last_in = -1, last_out = -1;
    while (k_out < n_out) {
        if (++cycle > limit) { std::fprintf(stderr, "stuck: %ld of %ld output beats after %ld cycles (%ld input beats taken)\n", k_out, n_out, cycle, k_in); return 3; }
        const bool offer = k_in < n_in && !(gap && permille() < gap);
        top.inp_valid = offer;
        if (offer) put(top.inp, &in[k_in * ib], ib);
        top.out_ready = !(stall && permille() < stall);
        top.eval();
        if (top.out_valid && top.out_ready) { get(top.out, &out[k_out * ob], ob); if (k_out == out_beats - 1) last_out = cycle; ++k_out; }
        if (offer && top.inp_ready) { if (k_in == beats - 1) last_in = cycle; ++k_in; }
        top.clk = 1; top.eval(); top.clk = 0;
    }
    top.final();
    f = std::fopen(argv[2], "wb");
    if (!f || std::fwrite(out.data(), 1, n_out * ob, f) != static_cast<size_t>(n_out * ob)) { std::fprintf(stderr, "cannot write %s\n", argv[2]); return 1; }
    std::fclose(f);
    std::printf("cycles %ld latency %ld\n", cycle, last_out - last_in);
    return 0;
}
"""


def harness_source(meta: Metadata) -> str:
    return (_HARNESS.replace("@PRELUDE@", prelude(meta.name)).replace("@NAME@", meta.name)
            .replace("@IN_BYTES@", str(bus.n_bytes(meta.inp_width)))
            .replace("@OUT_BYTES@", str(bus.n_bytes(meta.out_width))))


def run_chunk(binary: Path, meta: Metadata, codes: np.ndarray, gap: float = 0.0, stall: float = 0.0,
              seed: int = 0) -> tuple[np.ndarray, int, int]:
    """Output codes of whole samples (n, out beats * out features) for input codes (n, beats * features),
    the cycles run and the first sample's latency."""
    s, n = meta.stream, len(codes)
    words = bus.pack(codes.reshape(-1, len(meta.inputs)), meta.inputs, meta.inp_width)
    with tempfile.TemporaryDirectory(prefix="adderflow_stream_") as tmp:
        inp, out = Path(tmp) / "inp.bin", Path(tmp) / "out.bin"
        inp.write_bytes(np.ascontiguousarray(words).tobytes())
        result = subprocess.run([str(binary), str(inp), str(out), str(n), str(s["beats_per_sample"]),
                                 str(s["out_beats_per_sample"]), str(round(gap * 1000)), str(round(stall * 1000)),
                                 str(seed)], capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"the compiled model of {meta.name} failed: {result.stderr[-2000:]}")
        beats = np.fromfile(out, np.uint8).reshape(n * s["out_beats_per_sample"], bus.n_bytes(meta.out_width))
    _, cycles, _, latency = result.stdout.split()
    return bus.unpack(beats, meta.outputs).reshape(n, -1), int(cycles), int(latency)
