"""The port behaviour of stream designs in cocotb, through the testbench every design carries (``tb/``):
back-to-back samples (with the latency and II checked), random gaps in ``inp_valid`` with random
``out_ready`` backpressure, and ``rst`` in the middle of a sample (the partial sample is dropped, the
samples around it are exact)."""

import os
import subprocess
import sys

import numpy as np
import pytest

from rtl_emit.stream_design import emit_stream
from tests.rtl_emit import stream_programs as sp

TESTS = ("back_to_back", "gaps_and_backpressure", "reset_mid_sample")


@pytest.fixture(scope="module")
def designs(tmp_path_factory):
    root = tmp_path_factory.mktemp("ports")
    rng = np.random.default_rng(4)
    return {name: emit_stream(stream, root / name, name=name, testbench_samples=12)
            for name, stream in (("conv", sp.conv_net(rng)), ("particles", sp.particles(rng, "max")),
                                 ("padded", sp.padded_conv_net(rng)))}


def _run_testbench(design, env=None) -> subprocess.CompletedProcess:
    tb = design.path("testbench")
    return subprocess.run([sys.executable, str(tb / "run.py")], cwd=tb, capture_output=True, text=True, env=env,
                          timeout=600)


@pytest.mark.parametrize("name", ["conv", "particles", "padded"])
def test_the_testbench_passes_gaps_backpressure_and_reset(designs, name):
    result = _run_testbench(designs[name])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"{name}: {len(TESTS)} of {len(TESTS)} tests passed" in result.stdout
    results = (designs[name].path("testbench") / "sim_build" / "results.xml").read_text()
    assert all(f'name="{t}"' in results for t in TESTS)


def test_the_testbench_catches_a_wrong_output_bit(designs, tmp_path):
    design = designs["particles"]
    vectors = dict(np.load(design.path("testbench") / "vectors.npz"))
    vectors["out"] = vectors["out"].copy()
    vectors["out"][5, 0] ^= 1  # sample 5's output beat, lowest bit
    np.savez(tmp_path / "wrong.npz", **vectors)
    result = _run_testbench(design, dict(os.environ, ADDERFLOW_TB_VECTORS=str(tmp_path / "wrong.npz")))
    assert result.returncode != 0
    assert "sample 5, output beat 0, element 0" in result.stdout + result.stderr
