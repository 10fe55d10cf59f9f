"""Convert many trained candidates (and latency settings) in parallel, and pick the Pareto front.

Jobs go to any ``concurrent.futures.Executor``: local processes by default, or a
Dask cluster through ``client.get_executor()``. Models travel as ``.keras``
paths, so every worker loads its own copy.
"""

import hashlib
import json
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from sim.compiled import n_cores

POINT_FILE = "sweep.json"  # in each design directory: the point's labels and accuracy, for reports
POINT_FORMAT = "adderflow.sweep-point/1"


@dataclass(frozen=True)
class Candidate:
    """One converted design and what it costs."""

    model: str
    latency_cutoff: int | None
    out_dir: str
    accuracy: float | None
    adders: int
    lut_estimate: int
    ff_bits: int
    latency_cycles: int
    verilog_sha256: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Job:
    model: str
    latency_cutoff: int | None
    out_dir: str
    overwrite: bool
    x: np.ndarray | None
    y: np.ndarray | None


def sweep(models: Sequence[str | Path], out_dir: str | Path, x: np.ndarray | None = None,
          y: np.ndarray | None = None, latency_cutoffs: Sequence[int | None] = (None,),
          executor: Executor | None = None, overwrite: bool = False) -> list[Candidate]:
    """Convert every model at every latency cutoff into ``out_dir/<model>_lc<cutoff>/``.

    x, y: data to score each candidate's accuracy with its bit-exact reference
    (argmax of the outputs against integer labels y). executor: where the jobs
    run; None uses local processes, one per core. Each directory also gets ``sweep.json``
    (the model, the cutoff and the accuracy) for ``adderflow report``.
    """
    names = [Path(m).stem for m in models]
    if len(set(names)) != len(names):
        raise ValueError("model files must have distinct names: each gets its own output directory")
    jobs = [_Job(str(m), lc, str(Path(out_dir) / f"{Path(m).stem}_lc{lc if lc is not None else 'default'}"),
                 overwrite, x, y) for m in models for lc in latency_cutoffs]
    from da_core.parallel import map_jobs

    if executor is not None:
        return map_jobs(_convert, jobs, executor, desc="converting")
    workers = max(1, min(len(jobs), n_cores()))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return map_jobs(_convert, jobs, pool, desc="converting")


def _convert(job: _Job) -> Candidate:
    import hgq  # noqa: F401  (registers HGQ2's layers for loading)
    import keras

    import quant
    import rtl_emit

    model = keras.models.load_model(job.model, compile=False)
    network = quant.from_keras(model)
    design = rtl_emit.compile_model(network, job.out_dir, latency_cutoff=job.latency_cutoff, overwrite=job.overwrite)
    accuracy = None
    if job.x is not None and job.y is not None:
        accuracy = float(np.mean(np.argmax(network.predict(job.x), axis=-1) == job.y))
    labels = dict(model=Path(job.model).stem, latency_cutoff=job.latency_cutoff)
    point = dict(format=POINT_FORMAT, labels=labels, accuracy=accuracy)
    (Path(job.out_dir) / POINT_FILE).write_text(json.dumps(point, indent=1))
    return Candidate(job.model, job.latency_cutoff, job.out_dir, accuracy, design.report["adders"],
                     design.report["lut_estimate"], design.report["ff_bits"], design.latency_cycles,
                     hashlib.sha256(design.verilog_path.read_bytes()).hexdigest())


def read_point(out_dir: str | Path) -> dict | None:
    """The labels and accuracy a sweep stored with the design in ``out_dir``; None if no sweep made it."""
    path = Path(out_dir) / POINT_FILE
    if not path.is_file():
        return None
    point = json.loads(path.read_text())
    return point if point.get("format") == POINT_FORMAT else None


def pareto_front(candidates: Sequence[Candidate], cost: str = "lut_estimate") -> list[int]:
    """Indices of the candidates no other beats on both accuracy (higher) and ``cost`` (lower), by cost."""
    points = [(getattr(c, cost), -(c.accuracy if c.accuracy is not None else -np.inf)) for c in candidates]
    front = [i for i, p in enumerate(points)
             if not any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in points)]
    return sorted(front, key=lambda i: points[i])
