"""Sweeps give the same designs on local processes and on a Dask cluster; the front is non-dominated."""

import numpy as np

from adderflow.sweep import Candidate, pareto_front, sweep


def test_dask_and_local_processes_give_identical_designs(two_models, digits, tmp_path):
    from distributed import Client, LocalCluster

    x_test, y_test = digits[2], digits[3]
    local = sweep(two_models, tmp_path / "local", x_test, y_test, latency_cutoffs=(2, 6))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        on_dask = sweep(two_models, tmp_path / "dask", x_test, y_test, latency_cutoffs=(2, 6),
                        executor=client.get_executor())
    assert len(local) == len(on_dask) == 4
    for a, b in zip(local, on_dask):
        assert a.verilog_sha256 == b.verilog_sha256
        assert (a.model, a.latency_cutoff, a.accuracy, a.lut_estimate) == (b.model, b.latency_cutoff, b.accuracy,
                                                                           b.lut_estimate)
    by_cutoff = {c.latency_cutoff: c for c in local if c.model.endswith("wide.keras")}
    assert by_cutoff[2].latency_cycles > by_cutoff[6].latency_cycles
    assert 0.5 < by_cutoff[2].accuracy <= 1.0


def test_pareto_front_keeps_only_non_dominated_points():
    def cand(acc, luts):
        return Candidate("m", None, "d", acc, 0, luts, 0, 1, "")

    points = [cand(0.90, 100), cand(0.95, 300), cand(0.85, 150), cand(0.97, 900), cand(0.95, 400)]
    assert pareto_front(points) == [0, 1, 3]
    assert np.all(np.diff([points[i].lut_estimate for i in pareto_front(points)]) > 0)
