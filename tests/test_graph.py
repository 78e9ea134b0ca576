"""The graph model: networkx edge semantics, constructors, exports and derived views."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from asapgraph import Graph

EDGES = [(10, 20), (10, 20), (20, 30), (30, 10), (30, 30), (40, 10), (2**62 + 1, 10)]


def _edge_set(graph: nx.Graph) -> set:
    return {tuple(e) if graph.is_directed() else frozenset(e) for e in graph.edges()}


@pytest.mark.parametrize("directed", [True, False])
def test_same_graph_as_networkx(directed: bool) -> None:
    src, dst = zip(*EDGES, strict=True)
    graph = Graph.from_edges(src, dst, directed=directed)
    reference = (nx.DiGraph if directed else nx.Graph)(EDGES)
    assert graph.n == reference.number_of_nodes()
    assert graph.m == reference.number_of_edges()
    assert graph.self_loops == nx.number_of_selfloops(reference)
    assert _edge_set(graph.to_networkx()) == _edge_set(reference)
    assert graph.indptr.dtype == np.int64
    assert graph.indices.dtype == np.int32


def test_last_weight_wins_like_networkx() -> None:
    graph = Graph.from_edges([1, 1, 2], [2, 2, 1], [5.0, 7.0, 1.5])
    reference = nx.DiGraph()
    for u, v, w in [(1, 2, 5.0), (1, 2, 7.0), (2, 1, 1.5)]:
        reference.add_edge(u, v, weight=w)
    exported = graph.to_networkx()
    assert exported[1][2]["weight"] == reference[1][2]["weight"] == 7.0
    assert graph.m == 2


def test_drop_self_loops() -> None:
    graph = Graph.from_edges([1, 2, 2], [1, 2, 3], drop_self_loops=True)
    assert graph.self_loops == 0
    assert graph.m == 1
    assert graph.n == 3  # vertices that only had self-loops stay


def test_networkx_round_trip_with_string_labels() -> None:
    original = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a")])
    original.add_node("lonely")
    graph = Graph.from_networkx(original)
    assert graph.ids.dtype == object
    assert set(graph.to_networkx().edges()) == set(original.edges())
    assert "lonely" in graph.to_networkx()
    assert graph.dense_ids(["c"]).tolist() == [2]


def test_scipy_round_trip_and_transpose() -> None:
    matrix = sp.random_array((50, 50), density=0.1, format="csr", random_state=3)
    graph = Graph.from_scipy(matrix)
    assert graph.weighted
    assert (graph.to_scipy() != sp.csr_array(matrix)).nnz == 0
    assert (graph.transpose.to_scipy() != sp.csr_array(matrix).T).nnz == 0


def test_symmetric_view_and_degrees() -> None:
    graph = Graph.from_edges([0, 1, 2], [1, 2, 2])
    sym = graph.symmetric
    assert not sym.directed
    assert sym.m == nx.Graph([(0, 1), (1, 2), (2, 2)]).number_of_edges()
    assert graph.out_degree.tolist() == [1, 1, 1]
    assert graph.in_degree.tolist() == [0, 1, 2]
    assert graph.symmetric is sym  # computed once


def test_immutable() -> None:
    graph = Graph.from_edges([0], [1])
    with pytest.raises(ValueError, match="read-only"):
        graph.indices[0] = 5


def test_unknown_vertex() -> None:
    graph = Graph.from_edges([5], [7])
    with pytest.raises(KeyError, match="vertex 6"):
        graph.dense_ids([6])


def test_mismatched_arrays() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        Graph.from_arrays(np.arange(3), np.arange(2))


def test_undirected_later_line_wins_both_ways() -> None:
    graph = Graph.from_edges([1, 2], [2, 1], [5.0, 7.0], directed=False)
    reference = nx.Graph()
    reference.add_edge(1, 2, weight=5.0)
    reference.add_edge(2, 1, weight=7.0)
    exported = graph.to_networkx()
    assert exported[1][2]["weight"] == exported[2][1]["weight"] == reference[1][2]["weight"]
    adjacency = graph.to_scipy()
    assert adjacency[0, 1] == adjacency[1, 0] == 7.0
