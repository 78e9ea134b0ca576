"""PageRank options as networkx has them, with equal results, in every mode."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from conftest import load_snap

import asapgraph
from asapgraph.algorithms.pagerank import PageRank


@pytest.fixture(scope="module")
def weighted_graph() -> nx.DiGraph:
    graph = nx.gnp_random_graph(300, 0.01, seed=3, directed=True)
    for u, v in graph.edges():
        graph[u][v]["weight"] = 1 + (u * 7 + v) % 5
    assert any(graph.out_degree(v) == 0 for v in graph)  # dangling vertices present
    return graph


OPTIONS = {
    "plain": {},
    "personalization": {"personalization": {i: i % 7 + 1 for i in range(0, 300, 3)}},
    "dangling": {"dangling": {i: i % 5 + 1 for i in range(1, 300, 2)}},
    "both": {
        "personalization": {i: i % 7 + 1 for i in range(0, 300, 3)},
        "dangling": {i: i % 5 + 1 for i in range(1, 300, 2)},
    },
    "nstart": {"nstart": dict.fromkeys(range(100), 1.0)},
    "random nstart": {"nstart": dict(enumerate(np.random.default_rng(5).random(300)))},
    "unweighted": {"weight": None},
}
# (workers, engine options): one worker, BSP and ASAP on 2, and on 4 with a 3x straggler.
RUNS = {
    "P1": (1, {}),
    "P2-bsp": (2, {"mode": "bsp"}),
    "P2-asap": (2, {"mode": "asap"}),
    "P4-bsp-straggler": (4, {"mode": "bsp", "straggler": {1: 3.0}}),
    "P4-asap-straggler": (4, {"mode": "asap", "straggler": {1: 3.0}}),
    "P4-asap-fan1-straggler": (4, {"mode": "asap", "fan_in": 1, "straggler": {1: 3.0}}),
}


@pytest.mark.parametrize("name", OPTIONS)
@pytest.mark.parametrize("run", RUNS)
def test_equals_networkx(weighted_graph, engines, name: str, run: str) -> None:
    options = OPTIONS[name]
    workers, settings = RUNS[run]
    expected = nx.pagerank(weighted_graph, tol=1e-13, max_iter=10_000, **options)
    result = asapgraph.pagerank(weighted_graph, tol=1e-11, engine=engines(workers), **settings,
                                **options)
    got = result.to_dict()
    assert sum(abs(got[v] - expected[v]) for v in expected) <= 1e-9


@pytest.mark.parametrize(("workers", "mode"), [(1, "bsp"), (2, "bsp"), (3, "asap")])
def test_any_start_converges_as_fast_as_the_uniform_one(engines, workers: int, mode: str) -> None:
    """The power form shrinks a start vector's error like any other (the linear-system form
    needed 3–5x the rounds from a random start: its error decayed only by d per round)."""
    graph = load_snap("p2p-Gnutella08.txt.gz")  # 61% of its vertices are dangling
    start = dict(zip(graph.ids.tolist(), np.random.default_rng(1).random(graph.n), strict=True))
    options = {"tol": 1e-10, "engine": engines(workers), "mode": mode}
    uniform = asapgraph.pagerank(graph, **options)
    random = asapgraph.pagerank(graph, nstart=start, **options)
    assert np.abs(random.values - uniform.values).sum() < 1e-8
    assert random.stats.rounds[2] <= uniform.stats.rounds[2] + 3, (random.stats.rounds,
                                                                  uniform.stats.rounds)


def test_weights_change_the_answer(weighted_graph) -> None:
    weighted = asapgraph.pagerank(weighted_graph, tol=1e-10).values
    unweighted = asapgraph.pagerank(weighted_graph, tol=1e-10, weight=None).values
    assert np.abs(weighted - unweighted).sum() > 1e-3


def test_weights_from_an_edge_list_file(tmp_path) -> None:
    path = tmp_path / "weighted.txt"
    path.write_text("# weighted\n1 2 0.5\n2 3 2.0\n3 1 1.0\n1 3 4.0\n")
    graph = asapgraph.read_edgelist(path, cache=False)
    expected = nx.pagerank(graph.to_networkx(), tol=1e-13)
    got = asapgraph.pagerank(graph, tol=1e-12).to_dict()
    assert sum(abs(got[v] - expected[v]) for v in expected) <= 1e-9


def test_bad_distributions() -> None:
    with pytest.raises(ValueError, match="personalization must not sum to zero"):
        PageRank(personalization=np.zeros(3))
    with pytest.raises(ValueError, match="nstart must hold finite, non-negative"):
        PageRank(nstart=np.array([1.0, -1.0]))
    with pytest.raises(KeyError, match="vertex 999"):
        asapgraph.pagerank(nx.path_graph(3), personalization={999: 1.0})


def test_workers_receive_no_per_vertex_arrays() -> None:
    program = PageRank(personalization=np.ones(10), nstart=np.ones(10))
    shipped = program.shipped()
    assert shipped.personalization is None
    assert shipped.nstart is None
    assert program.personalization is not None
