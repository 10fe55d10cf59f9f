"""cocotb tests of an adderflow design against stored vectors; run them with ``python run.py``.

Written by adderflow next to the Verilog or VHDL; needs only cocotb, NumPy and Verilator or GHDL.
Every cycle, the testbench keeps a model of the pipeline (a sample enters on a
rising edge where ``ce`` is high, leaves ``latency`` such edges later; ``rst``
clears the valid bits) and checks ``out_valid`` and every output element of ``out``
against it:

- ``back_to_back``: a new sample on every clock;
- ``stall_and_resume``: random gaps in ``inp_valid``, random cycles with ``ce`` low
  (the pipeline stalls and resumes) and, with a reset port, random resets.
"""

import os
import random
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer

_V = np.load(os.environ.get("ADDERFLOW_TB_VECTORS", Path(__file__).resolve().parent / "vectors.npz"))
INPUTS = [int.from_bytes(bytes(row), "little") for row in _V["inp"]]
EXPECTED = [int.from_bytes(bytes(row), "little") for row in _V["out"]]
LATENCY = int(_V["latency"])
HAS = {port: bool(_V[port]) for port in ("clk", "rst", "ce", "valid")}
INP_WIDTH = int(_V["inp_width"])
OUT_FIELDS = list(zip(_V["out_lsb"].tolist(), _V["out_width"].tolist()))


def _out(dut):
    """The output bus ``out``: in VHDL, where out is a reserved word, the extended identifier ``\\out\\``."""
    return dut.out if hasattr(dut, "out") else dut["\\out\\"]


def _check(sample: int, got: int, cycle: int) -> None:
    want = EXPECTED[sample]
    if got != want:
        for j, (lsb, width) in enumerate(OUT_FIELDS):
            mask = (1 << width) - 1
            if (got >> lsb) & mask != (want >> lsb) & mask:
                raise AssertionError(f"cycle {cycle}, sample {sample}, output element {j}: expected code bits "
                                     f"{(want >> lsb) & mask:#x}, got {(got >> lsb) & mask:#x}")


async def _stream(dut, policy) -> tuple[list[int], list[int]]:
    """Feed every stored sample, choosing (ce, inp_valid, rst) per cycle with ``policy``; returns delivered, dropped."""
    n = len(INPUTS)
    if not HAS["clk"]:  # combinational: out follows inp
        for k, word in enumerate(INPUTS):
            dut.inp.value = word
            if HAS["valid"]:
                dut.inp_valid.value = k % 3 != 1
            await Timer(1, unit="ns")
            if HAS["valid"]:
                assert int(dut.out_valid.value) == (k % 3 != 1), f"sample {k}: out_valid does not follow inp_valid"
            _check(k, _out(dut).value.to_unsigned(), k)
        return list(range(n)), []
    Clock(dut.clk, 10, unit="ns").start()
    shadow: list[int | None] = [None] * LATENCY  # sample in each pipeline stage, None: a bubble
    delivered, dropped = [], []
    next_sample, cycle, rng = 0, 0, random.Random(1)
    if HAS["rst"]:  # a clean start
        dut.rst.value = 1
        for _ in range(2):
            await FallingEdge(dut.clk)
        dut.rst.value = 0
    while next_sample < n or any(s is not None for s in shadow):
        await FallingEdge(dut.clk)  # outputs now show the state after the last rising edge
        cycle += 1
        assert cycle < 20 * (n + LATENCY) + 100, "the pipeline does not drain"
        head = shadow[-1] if shadow else None
        if HAS["valid"]:
            assert int(dut.out_valid.value) == (head is not None), \
                f"cycle {cycle}: out_valid is {dut.out_valid.value}, expected {int(head is not None)}"
        if head is not None:
            _check(head, _out(dut).value.to_unsigned(), cycle)
        ce, valid, rst = policy(cycle)
        ce = ce or not HAS["ce"]
        valid = (valid or not HAS["valid"]) and next_sample < n
        rst = rst and HAS["rst"]
        if head is not None and ce and not rst:
            delivered.append(head)  # captured downstream at the coming edge
        dut.inp.value = INPUTS[next_sample] if valid else rng.getrandbits(max(INP_WIDTH, 1)) & ((1 << INP_WIDTH) - 1)
        if HAS["valid"]:
            dut.inp_valid.value = int(valid)
        if HAS["ce"]:
            dut.ce.value = int(ce)
        if HAS["rst"]:
            dut.rst.value = int(rst)
        entering = next_sample if valid and ce else None
        if valid and ce:
            next_sample += 1
        if rst:
            dropped += [s for s in shadow if s is not None] + ([entering] if entering is not None else [])
            shadow = [None] * LATENCY
        elif ce and LATENCY:
            shadow = [entering] + shadow[:-1]
        elif ce and entering is not None:
            raise AssertionError("a clocked design with latency 0")
    return delivered, dropped


@cocotb.test()
async def back_to_back(dut):
    delivered, dropped = await _stream(dut, lambda cycle: (True, True, False))
    assert delivered == list(range(len(INPUTS))) and not dropped


@cocotb.test()
async def stall_and_resume(dut):
    rng = random.Random(2)

    def policy(cycle):
        return rng.random() < 0.7, rng.random() < 0.7, rng.random() < 0.02

    delivered, dropped = await _stream(dut, policy)
    assert delivered == sorted(delivered) and sorted(delivered + dropped) == list(range(len(INPUTS)))
