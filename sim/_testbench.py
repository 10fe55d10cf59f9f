"""cocotb test run inside the simulator by ``sim.rtl.run_rtl``: streams samples, one per clock.

Reads bus words from the .npz named by ADDERFLOW_SIM_INPUT, drives one on each
falling clock edge (so it is stable at the next rising edge), and from the
``latency``-th falling edge on reads the output bus, which by the latency
convention then holds the result of the sample driven ``latency`` edges earlier.
Writes the output words to ADDERFLOW_SIM_OUTPUT.
"""

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer


@cocotb.test()
async def stream(dut):
    data = np.load(os.environ["ADDERFLOW_SIM_INPUT"])
    words, latency, out_bytes = data["inp"], int(data["latency"]), int(data["out_bytes"])
    n = len(words)
    inputs = [int.from_bytes(row, "little") for row in map(bytes, words)]
    drive_inputs = int(data["inp_width"]) > 0
    inp = dut.inp if drive_inputs else None
    out = dut.out if hasattr(dut, "out") else dut["\\out\\"]  # VHDL: out is reserved, an extended identifier
    for port, level in (("rst", 0), ("ce", 1), ("inp_valid", 1)):  # optional control ports
        if hasattr(dut, port):
            getattr(dut, port).value = level
    results = []
    if latency == 0:  # combinational: no clock, the output follows the input
        for word in inputs:
            if drive_inputs:
                inp.value = word
            await Timer(1, unit="ns")
            results.append(out.value.to_unsigned())
        _save(results, out_bytes, n)
        return
    Clock(dut.clk, 10, unit="ns").start()
    falling = FallingEdge(dut.clk)
    for k in range(n + latency):
        await falling
        if k >= latency:
            results.append(out.value.to_unsigned())
        if drive_inputs and k < n:
            inp.value = inputs[k]
    _save(results, out_bytes, n)


def _save(results: list[int], out_bytes: int, n: int) -> None:
    packed = b"".join(r.to_bytes(out_bytes, "little") for r in results)
    np.save(os.environ["ADDERFLOW_SIM_OUTPUT"], np.frombuffer(packed, np.uint8).reshape(n, out_bytes))
