"""Columns of a matrix that nothing reads (a later quantizer gives those features no bits) are solved away:
they would shape the shared adders of the columns that are read (da_core.lower)."""

import itertools
import importlib

import numpy as np

from da_core import lower
from quant.network import Dense, Input, Network, Node, Quantize, Quantizer

lowering = importlib.import_module("da_core.lower")


def _network(keep=(0, 1, 1, 1, 0, 0)) -> tuple[Network, np.ndarray]:
    """Dense 3 -> 6 on 4-bit inputs, then a quantizer that keeps features 1, 2, 3 only (as HGQ2 prunes)."""
    rng = np.random.default_rng(4)
    kernel = rng.integers(-128, 128, (3, len(keep))) / 64
    keep = np.array(keep)
    q_in = Quantizer(np.array(1), np.array(3), np.array(0), "TRN", "WRAP")
    q_out = Quantizer(np.array(1), 3 * keep - 1, keep, "RND", "WRAP")
    net = Network((Input("x", (3,), q_in),),
                  (Node("dense", Dense(kernel, None), ("x",)), Node("out", Quantize(q_out), ("dense",))), ("out",))
    x = np.array(list(itertools.product(range(-8, 8), repeat=3)), dtype=np.float64)
    return net, x


def test_unread_columns_do_not_cost_adders(monkeypatch):
    net, x = _network()
    program = lower(net)
    assert np.array_equal(program(x), net.predict(x))
    monkeypatch.setattr(lowering, "UNREAD_SHARE", 2.0)  # no matrix has that share unread: solved whole
    assert program.cost < lower(net).cost  # the whole matrix's sharing, then the unread columns dropped


def test_a_few_unread_columns_keep_the_whole_matrix(monkeypatch):
    """One unread column of eight (under UNREAD_SHARE): the matrix is solved once, as a whole."""
    net, x = _network(keep=(1, 1, 1, 0, 1, 1, 1, 1))
    program = lower(net)
    assert np.array_equal(program(x), net.predict(x))
    monkeypatch.setattr(lowering, "UNREAD_SHARE", 0.0)
    assert lower(net) != program  # re-solved, it would differ


def test_liveness_follows_the_wiring():
    """Dense -> Reshape -> Concatenate (beside the input) -> Gather -> a quantizer that prunes: the Dense
    outputs that only pruned features read are found, and no other."""
    from da_core.liveness import unread_columns
    from quant.network import Concatenate, Gather, Reshape

    q_in = Quantizer(np.array(1), np.array(3), np.array(0), "TRN", "WRAP")
    keep = np.array([1, 0, 0, 1, 1])  # of: dense 0..3 (reversed by the gather), then input 0
    q_out = Quantizer(np.array(1), 3 * keep - 1, np.ones(5, dtype=np.int64) * keep, "RND", "WRAP")
    nodes = (Node("dense", Dense(np.ones((3, 4)), None), ("x",)), Node("grid", Reshape((2, 2)), ("dense",)),
             Node("flat", Reshape((4,)), ("grid",)), Node("both", Concatenate(0), ("flat", "x")),
             Node("pick", Gather(np.array([3, 2, 1, 0, 4]), (5,)), ("both",)), Node("out", Quantize(q_out), ("pick",)))
    net = Network((Input("x", (3,), q_in),), nodes, ("out",))
    shapes = {"x": (3,), "dense": (4,), "grid": (2, 2), "flat": (4,), "both": (7,), "pick": (5,), "out": (5,)}
    assert unread_columns(net, shapes)["dense"].tolist() == [False, True, True, False]
