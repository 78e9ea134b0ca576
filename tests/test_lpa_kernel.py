"""The numba round of label propagation gives exactly the numpy round's states.

Whole runs are compared state by state (labels, previous labels, flags and clocks), on SNAP graphs
and on small graphs with ties, self-loops and isolated vertices; single rounds are compared on
random states whose neighbours are ahead, level or lagging, which reaches every branch of the
kernel. ``ASAPGRAPH_NUMBA`` chooses the round, so a test sets it and compares.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from conftest import load_snap, require_numba
from helpers_blocks import solve_blocks

from asapgraph import Graph
from asapgraph.algorithms import accelerate, lpa_kernel
from asapgraph.algorithms.label_propagation import LabelPropagation
from asapgraph.engine.blocks import block_from_part
from asapgraph.engine.local import solve_local
from asapgraph.partition import partition


@pytest.fixture(autouse=True)
def _numba() -> None:
    """Every test here compares the numba round with the numpy one."""
    require_numba()


def states(graph: Graph, seed: int, path: str, monkeypatch: pytest.MonkeyPatch,
           weighted: bool = False, **options):
    """Final states (and rounds) of a run with the numba (``"1"``) or numpy (``"0"``) round."""
    monkeypatch.setenv(accelerate.SWITCH, path)
    program = LabelPropagation(seed=seed, weighted=weighted)
    if "parts" in options:
        solution = solve_blocks(program, graph, **options)
    else:
        solution = solve_local(program, graph, **options)
    return solution.values, solution.rounds


@pytest.mark.parametrize(
    "name", ["email-Eu-core.txt.gz", "ca-GrQc.txt", "p2p-Gnutella08.txt.gz", "email-Enron.txt.gz"]
)
def test_numba_and_numpy_runs_agree_on_snap_graphs(name: str, monkeypatch) -> None:
    graph = load_snap(name)
    for seed in (0, 3):
        fast, rounds = states(graph, seed, "1", monkeypatch)
        slow, slow_rounds = states(graph, seed, "0", monkeypatch)
        assert rounds == slow_rounds > 3
        assert np.array_equal(fast, slow), (name, seed)


def test_numba_and_numpy_agree_on_stale_and_chunked_blocks(monkeypatch) -> None:
    graph = load_snap("ca-HepTh.txt")
    options = {"parts": 3, "chunks": 4, "drop": 0.5, "order": "gauss-seidel", "shuffle_seed": 2}
    fast, rounds = states(graph, 1, "1", monkeypatch, **options)
    slow, slow_rounds = states(graph, 1, "0", monkeypatch, **options)
    assert rounds == slow_rounds
    assert np.array_equal(fast, slow)


def small_graphs() -> list[Graph]:
    """Ties everywhere, self-loops, isolated vertices, a multigraph's repeated edges."""
    loops = nx.cycle_graph(7)
    loops.add_edges_from([(0, 0), (3, 3)])
    loops.add_nodes_from([10, 11])
    repeated = Graph.from_edges([0, 0, 1, 1, 2, 3], [1, 1, 2, 2, 3, 0], directed=False)
    return [
        Graph.from_networkx(nx.complete_bipartite_graph(3, 4)),
        Graph.from_networkx(nx.star_graph(6)),
        Graph.from_networkx(nx.path_graph(5)),
        Graph.from_networkx(loops),
        Graph.from_networkx(nx.karate_club_graph()),
        Graph.from_scipy(np.zeros((3, 3))),
        repeated,
    ]


@pytest.mark.parametrize("index", range(7), ids=["K3,4", "star", "path", "loops+isolated",
                                                 "karate", "edgeless", "repeated"])
def test_numba_and_numpy_runs_agree_on_small_graphs(index: int, monkeypatch) -> None:
    graph = small_graphs()[index]
    for seed in range(6):
        fast, rounds = states(graph, seed, "1", monkeypatch)
        slow, slow_rounds = states(graph, seed, "0", monkeypatch)
        assert rounds == slow_rounds
        assert np.array_equal(fast, slow), seed


def weighted(graph: Graph, seed: int) -> Graph:
    """The same edges with weights that add up exactly (halves), symmetric when undirected."""
    rng = np.random.default_rng(seed)
    adjacency = graph.adjacency
    adjacency.data = rng.integers(1, 7, adjacency.nnz) / 2
    if not graph.directed:
        adjacency = (adjacency + adjacency.T) / 2  # halves of halves: still exact
    return Graph.from_scipy(adjacency, directed=graph.directed, weighted=True, ids=graph.ids)


@pytest.mark.parametrize("index", range(7), ids=["K3,4", "star", "path", "loops+isolated",
                                                 "karate", "edgeless", "repeated"])
def test_weighted_runs_agree_on_small_graphs(index: int, monkeypatch) -> None:
    graph = weighted(small_graphs()[index], index)
    for seed in range(4):
        fast, rounds = states(graph, seed, "1", monkeypatch, weighted=True)
        slow, slow_rounds = states(graph, seed, "0", monkeypatch, weighted=True)
        assert rounds == slow_rounds
        assert np.array_equal(fast, slow), seed


def test_weighted_runs_agree_on_a_snap_graph(monkeypatch) -> None:
    graph = weighted(load_snap("ca-GrQc.txt"), 1)
    fast, rounds = states(graph, 2, "1", monkeypatch, weighted=True)
    slow, slow_rounds = states(graph, 2, "0", monkeypatch, weighted=True)
    assert rounds == slow_rounds > 3
    assert np.array_equal(fast, slow)
    unweighted, _ = states(graph, 2, "1", monkeypatch)
    assert not np.array_equal(fast, unweighted)  # the weights did change the run


def random_states(block, rng: np.random.Generator, clock: int) -> np.ndarray:
    """Labels from a few values (ties), any flags, and neighbours up to 2 rounds off ``clock``."""
    n = block.vertices.size
    labels, previous = rng.integers(0, 6, n), rng.integers(0, 6, n)
    flags = rng.integers(0, 4, n) * lpa_kernel.SETTLED
    clocks = (clock + rng.integers(-2, 3, n)) % (1 << lpa_kernel.CLOCK_BITS)
    return labels << lpa_kernel.LABEL_SHIFT | previous << lpa_kernel.PREV_SHIFT | flags | clocks


@pytest.mark.parametrize("clock", [0, 2, 7, (1 << lpa_kernel.CLOCK_BITS) - 1])
def test_one_round_agrees_on_random_states(clock: int, monkeypatch) -> None:
    rng = np.random.default_rng(clock)
    graph = Graph.from_edges(rng.integers(0, 300, 3000), rng.integers(0, 300, 3000))
    (part,) = partition(graph.symmetric, 1).parts
    block = block_from_part(part, {})
    (chunk,) = block.chunks(1)
    for trial in range(20):
        values = random_states(block, rng, clock)
        weights = None if trial % 2 else rng.integers(1, 5, chunk.indices.size) / 2
        results = []
        for path in ("1", "0"):
            monkeypatch.setenv(accelerate.SWITCH, path)
            moved = values.copy()
            counted = lpa_kernel.label_round(moved, block.vertices, chunk.indptr, chunk.indices,
                                             chunk.lo, trial, weights)
            results.append((counted, moved))
        assert results[0][0] == results[1][0] > 0
        assert np.array_equal(results[0][1], results[1][1])


def test_scratch_grows_for_labels_and_rows_it_has_not_seen(monkeypatch) -> None:
    monkeypatch.setattr(lpa_kernel, "_SCRATCH", [np.zeros(2)] + [np.zeros(2, dtype=np.int64)] * 3)
    graph = Graph.from_networkx(nx.barabasi_albert_graph(400, 3, seed=1))
    fast, _ = states(graph, 0, "1", monkeypatch)
    slow, _ = states(graph, 0, "0", monkeypatch)
    assert np.array_equal(fast, slow)
    counts, unsettled, row, _ = lpa_kernel._SCRATCH
    assert counts.size == unsettled.size >= 400
    assert row.size == max(graph.symmetric.out_degree)


def test_the_switch_picks_the_round(monkeypatch) -> None:
    calls = []
    numpy_round = lpa_kernel._numpy_round
    monkeypatch.setattr(lpa_kernel, "_numpy_round", lambda *a: calls.append(a) or numpy_round(*a))
    graph = load_snap("ca-GrQc.txt")
    states(graph, 0, "1", monkeypatch)
    assert not calls
    states(graph, 0, "0", monkeypatch)
    assert calls
    monkeypatch.setenv(accelerate.SWITCH, "yes")
    with pytest.raises(ValueError, match="ASAPGRAPH_NUMBA must be 0, 1 or unset, not 'yes'"):
        LabelPropagation()
