"""The test session's JAX settings, put in the environment before JAX starts so that every process the tests
start (notebook kernels, Dask workers, command-line runs) inherits them.

Most of the suite's Keras time is XLA compiling: every eagerly run op (``trace_minmax``, building layers) and
every training and predict step. A compilation cache shared by the session's processes lets a process reuse what
another (or an earlier model of the same shapes) compiled; it is the session's own, so a run never reads
another run's cache. XLA's optimisation level stays the default: HGQ2's forward pass is checked as users run it.
"""

import atexit
import os
import shutil
import tempfile


def set_up() -> None:
    """Set the environment for this process and its children, once (a child that imports this keeps its
    parent's cache)."""
    if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
        folder, owner = tempfile.mkdtemp(prefix="adderflow_jax_cache_"), os.getpid()
        atexit.register(lambda: os.getpid() == owner and shutil.rmtree(folder, ignore_errors=True))  # not a fork's
        os.environ["JAX_COMPILATION_CACHE_DIR"] = folder
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")  # the many small op compiles too
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")
