"""Run independent jobs on any ``concurrent.futures.Executor`` (processes, Dask, Ray), with a progress bar.

No scheduler of our own: the executor decides where jobs run; results come back in job order.
"""

from collections.abc import Callable, Iterable
from concurrent.futures import Executor, as_completed
from typing import Any

from tqdm.auto import tqdm


def map_jobs(fn: Callable, jobs: Iterable, executor: Executor | None = None, desc: str | None = None) -> list[Any]:
    """``[fn(job) for job in jobs]``, in parallel when an executor is given."""
    jobs = list(jobs)
    if executor is None:
        return [fn(job) for job in tqdm(jobs, desc=desc, disable=None)]  # None: a bar only on a terminal
    futures = [executor.submit(fn, job) for job in jobs]
    for _ in tqdm(as_completed(futures), total=len(futures), desc=desc, disable=None):
        pass
    return [future.result() for future in futures]
