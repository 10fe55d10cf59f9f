"""cocotb tests of an adderflow stream design against stored samples; run them with ``python run.py``.

Written by adderflow next to the Verilog; needs only cocotb, NumPy and Verilator. Beats go in on
``inp`` and come out on ``out``; a beat moves at a rising edge where its valid and ready are both
high. Every output beat is compared, every element, with the stored expectation:

- ``back_to_back``: a beat on every clock, ``out_ready`` always high; also checks the latency and that
  the input waits no longer than the initiation interval (never, without zero padding);
- ``gaps_and_backpressure``: random gaps in ``inp_valid`` and random cycles with ``out_ready`` low;
- ``reset_mid_sample``: ``rst`` in the middle of a sample drops it; the samples before and after are exact.
"""

import os
import random
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer
import numpy as np

_V = np.load(os.environ.get("ADDERFLOW_TB_VECTORS", Path(__file__).resolve().parent / "vectors.npz"))
INPUTS = [int.from_bytes(bytes(row), "little") for row in _V["inp"]]
EXPECTED = [int.from_bytes(bytes(row), "little") for row in _V["out"]]
N, BEATS, OUT_BEATS = int(_V["n_samples"]), int(_V["beats"]), int(_V["out_beats"])
LATENCY, LATENCY_EXACT = int(_V["latency"]), bool(_V["latency_exact"])
II = int(_V["ii"])  # cycles per sample: the beats, plus the cycles zero-padded window stages insert
OUT_FIELDS = list(zip(_V["out_lsb"].tolist(), _V["out_width"].tolist()))


def _check(got: list[int], samples: list[int]) -> None:
    """The output beats ``got`` are exactly those of ``samples``, in order."""
    want = [EXPECTED[s * OUT_BEATS + b] for s in samples for b in range(OUT_BEATS)]
    for k, (g, w) in enumerate(zip(got, want)):
        for j, (lsb, width) in enumerate(OUT_FIELDS):
            mask = (1 << width) - 1
            if (g >> lsb) & mask != (w >> lsb) & mask:
                raise AssertionError(f"sample {samples[k // OUT_BEATS]}, output beat {k % OUT_BEATS}, element {j}: "
                                     f"expected code bits {(w >> lsb) & mask:#x}, got {(g >> lsb) & mask:#x}")
    assert len(got) == len(want), f"{len(got)} output beats, expected {len(want)}"


class Driver:
    """Drives beats and out_ready each cycle (set at the falling edge, so stable at the rising one) and records
    which beats move at each rising edge."""

    def __init__(self, dut, gap: float = 0.0, stall: float = 0.0, seed: int = 1):
        self.dut, self.gap, self.stall, self.rng = dut, gap, stall, random.Random(seed)
        self.cycle, self.got, self.in_moves, self.out_moves = 0, [], [], []
        dut.rst.value, dut.inp_valid.value, dut.out_ready.value = 0, 0, 1

    async def start(self):
        Clock(self.dut.clk, 10, unit="ns").start()
        await self.reset()

    async def reset(self):
        await FallingEdge(self.dut.clk)
        self.dut.rst.value, self.dut.inp_valid.value = 1, 0
        await FallingEdge(self.dut.clk)
        self.dut.rst.value = 0

    async def step(self, word: int | None) -> bool:
        """One clock: offer ``word`` (None: no beat); returns whether it moved."""
        dut = self.dut
        await FallingEdge(dut.clk)
        self.cycle += 1
        offer = word is not None and self.rng.random() >= self.gap
        dut.inp_valid.value = int(offer)
        dut.inp.value = word if offer else self.rng.getrandbits(len(dut.inp))
        dut.out_ready.value = int(self.rng.random() >= self.stall)
        await Timer(1, unit="ns")
        if int(dut.out_valid.value) and int(dut.out_ready.value):
            self.got.append(dut.out.value.to_unsigned())
            self.out_moves.append(self.cycle)
        moved = offer and bool(int(dut.inp_ready.value))
        if moved:
            self.in_moves.append(self.cycle)
        return moved

    async def send(self, samples, beats: int = BEATS):
        for s in samples:
            for b in range(beats):
                while not await self.step(INPUTS[s * BEATS + b]):
                    pass

    async def drain(self, n_beats: int):
        """Idle until ``n_beats`` output beats in all have moved, then a while longer (nothing more may come)."""
        limit = self.cycle + 50 * (LATENCY + OUT_BEATS + 10)
        while len(self.got) < n_beats and self.cycle < limit:
            await self.step(None)
        for _ in range(LATENCY + 5):
            await self.step(None)


@cocotb.test()
async def back_to_back(dut):
    d = Driver(dut)
    await d.start()
    await d.send(range(N))
    await d.drain(N * OUT_BEATS)
    _check(d.got, list(range(N)))
    assert d.in_moves[-1] - d.in_moves[0] < N * II, "the input waited longer than the initiation interval"
    latency = d.out_moves[OUT_BEATS - 1] - d.in_moves[BEATS - 1]
    assert latency == LATENCY or not LATENCY_EXACT and latency < LATENCY, \
        f"latency {latency} cycles, the metadata says {LATENCY}"


@cocotb.test()
async def gaps_and_backpressure(dut):
    d = Driver(dut, gap=0.3, stall=0.4, seed=2)
    await d.start()
    await d.send(range(N))
    await d.drain(N * OUT_BEATS)
    _check(d.got, list(range(N)))


@cocotb.test()
async def reset_mid_sample(dut):
    d = Driver(dut, gap=0.2, stall=0.3, seed=3)
    await d.start()
    await d.send([0])
    await d.drain(OUT_BEATS)
    await d.send([1], beats=BEATS // 2)
    await d.reset()
    await d.send(range(2, N))
    await d.drain((N - 1) * OUT_BEATS)
    _check(d.got, [0] + list(range(2, N)))
