import numpy as np

from da_core.adder_graph import AdderGraph
from da_core.graph_stats import adder_costs, graph_cost, output_depths, signal_intervals


def test_intervals_costs_and_depths_of_a_small_graph():
    # s2 = x0 + (x1 << 2) in [0, 15 + 60]; s3 = s2 - x0 in [-15, 75]
    graph = AdderGraph(2, np.array([[0, 1, 2, 1], [2, 0, 0, -1]]), np.array([3, -1, 1]), np.array([1, 0, 0]),
                       np.array([-1, 1, 1]))
    lo, hi = np.array([0, 0]), np.array([15, 15])
    assert signal_intervals(graph, lo, hi)[2:] == [(0, 75), (-15, 75)]
    assert adder_costs(graph, lo, hi).tolist() == [7 - 2, 8]
    assert graph_cost(graph, lo, hi) == 13
    assert output_depths(graph, np.array([1, 0])).tolist() == [3, 0, 0]
