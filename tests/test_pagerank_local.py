"""The PageRank kernel in one process equals networkx on every shared SNAP graph."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from asapgraph import ConvergenceError, pagerank
from asapgraph.algorithms.pagerank import PageRank
from asapgraph.engine.local import solve_local


def networkx_reference(graph) -> np.ndarray:
    ranks = nx.pagerank(graph.to_networkx(), tol=1e-12, max_iter=10_000)
    return np.array([ranks[v] for v in graph.ids.tolist()])


def test_equals_networkx(snap_graph) -> None:
    program = PageRank(tol=1e-10)
    solution = solve_local(program, snap_graph)
    ranks = program.finish(solution.values, snap_graph)
    assert solution.converged
    assert np.abs(ranks - networkx_reference(snap_graph)).sum() <= 1e-6


def test_undirected_input_like_networkx() -> None:
    graph = nx.karate_club_graph()  # undirected, with "weight" edge attributes
    for weight in ("weight", None):
        result = pagerank(graph, tol=1e-12, weight=weight)
        expected = nx.pagerank(graph, tol=1e-12, weight=weight)
        assert sum(abs(result.to_dict()[v] - expected[v]) for v in graph) <= 1e-9


def test_non_convergence_is_an_error() -> None:
    graph = nx.gnp_random_graph(50, 0.1, seed=1, directed=True)
    with pytest.raises(ConvergenceError, match="did not converge in 2 rounds"):
        pagerank(graph, tol=1e-12, max_iter=2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"damping": 1.0}, "damping"), ({"tol": 0}, "tol"), ({"max_iter": -1}, "max_iter")],
)
def test_bad_parameters(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PageRank(**kwargs)
