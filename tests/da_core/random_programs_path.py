"""The random programs of tests/sim, importable from tests/da_core."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("_random_programs",
                                               Path(__file__).parents[1] / "sim" / "random_programs.py")
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
random_program, random_codes, MODES = _module.random_program, _module.random_codes, _module.MODES
