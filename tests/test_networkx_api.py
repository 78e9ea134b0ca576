"""The library speaks networkx where they overlap: names, refusals, multigraphs, results."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest
from conftest import load_snap

import asapgraph
from asapgraph.algorithms.components import ConnectedComponents
from asapgraph.graph import Graph


@pytest.fixture(scope="module")
def engine():
    with asapgraph.Engine(2) as running:
        yield running


def snap_networkx(filename: str) -> nx.Graph:
    """A SNAP graph's undirected view as a networkx graph (the reference's own input)."""
    return load_snap(filename).symmetric.to_networkx()


@pytest.fixture(scope="module")
def eu_core() -> nx.Graph:
    return snap_networkx("email-Eu-core.txt.gz")


def weighted_multigraph(directed: bool) -> nx.MultiGraph:
    """A random multigraph with repeated pairs, self-loops and float weights."""
    rng = random.Random(5)
    graph = nx.MultiDiGraph() if directed else nx.MultiGraph()
    graph.add_nodes_from(range(30))
    for _ in range(120):
        graph.add_edge(rng.randrange(30), rng.randrange(30), weight=rng.uniform(0.5, 3))
    return graph


def test_alpha_is_networkx_name_for_damping(engine) -> None:
    graph = nx.gnp_random_graph(60, 0.08, seed=1, directed=True)
    expected = nx.pagerank(graph, alpha=0.7, tol=1e-12)
    for result in (asapgraph.pagerank(graph, alpha=0.7, tol=1e-10, engine=engine),
                   asapgraph.pagerank(graph, damping=0.7, tol=1e-10, engine=engine)):
        got = result.to_dict()
        assert max(abs(got[v] - expected[v]) for v in graph) < 1e-8
    with pytest.raises(TypeError, match="alpha and damping"):
        asapgraph.pagerank(graph, alpha=0.7, damping=0.8)


@pytest.mark.parametrize("function", ["pagerank", "connected_components", "label_propagation"])
def test_unknown_keyword_names_the_public_function(function: str) -> None:
    with pytest.raises(TypeError, match=rf"^{function}\(\) got an unexpected keyword argument "
                                        r"'dampng'$"):
        getattr(asapgraph, function)(nx.path_graph(3), dampng=0.9)


def test_unknown_keyword_of_run() -> None:
    program = ConnectedComponents()
    with pytest.raises(TypeError, match=r"^run\(\) got an unexpected keyword argument 'mod'$"):
        asapgraph.run(program, nx.path_graph(3), mod="bsp")


def test_engine_and_workers_must_agree(engine) -> None:
    with pytest.raises(ValueError, match="workers=4 conflicts with the open Engine's 2 workers"):
        asapgraph.connected_components(nx.path_graph(5), engine=engine, workers=4)
    result = asapgraph.connected_components(nx.path_graph(5), engine=engine, workers=2)
    assert result.stats.workers == 2


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("weight", ["weight", None])
def test_multigraph_pagerank_adds_parallel_edges(engine, directed: bool, weight) -> None:
    graph = weighted_multigraph(directed)
    expected = nx.pagerank(graph, weight=weight, tol=1e-13, max_iter=1000)
    got = asapgraph.pagerank(graph, weight=weight, tol=1e-11, engine=engine).to_dict()
    assert sum(abs(got[v] - expected[v]) for v in graph) < 1e-9
    simple = nx.DiGraph(graph) if directed else nx.Graph(graph)  # parallel edges merged
    merged = nx.pagerank(simple, weight=weight, tol=1e-13, max_iter=1000)
    assert sum(abs(got[v] - merged[v]) for v in graph) > 1e-3  # so the test can tell


def test_networkx_multigraph_example() -> None:
    """networkx's own multigraph test graph, mixed node labels included."""
    graph = nx.MultiGraph([(1, 2), (1, 2), (1, 2), (2, 3), (2, 3), ("3", 3), ("3", 3)])
    expected = nx.pagerank(graph, tol=1e-12)
    got = asapgraph.pagerank(graph, tol=1e-10).to_dict()
    assert got.keys() == expected.keys()
    assert max(abs(got[v] - expected[v]) for v in graph) < 1e-8


def test_from_networkx_sums_parallel_weights() -> None:
    graph = nx.MultiGraph()
    graph.add_edge("a", "b", weight=2.0)
    graph.add_edge("b", "a", weight=0.5)
    graph.add_edge("b", "c")
    weighted = Graph.from_networkx(graph, weight="weight")
    assert set(weighted.to_networkx().edges(data="weight")) == {("a", "b", 2.5), ("b", "c", 1.0)}
    counted = Graph.from_networkx(graph)
    assert set(counted.to_networkx().edges(data="weight")) == {("a", "b", 2), ("b", "c", 1)}
    assert Graph.from_networkx(nx.MultiGraph([(1, 2), (2, 3)])).weights is None


def test_top_k_is_the_largest_ranks(eu_core, engine) -> None:
    expected = nx.pagerank(eu_core, tol=1e-12)
    top = asapgraph.pagerank(eu_core, tol=1e-10, engine=engine).top(10)
    assert [v for v, _ in top] == sorted(expected, key=expected.get, reverse=True)[:10]
    assert all(value == pytest.approx(expected[v], abs=1e-9) for v, value in top)
    assert asapgraph.pagerank(eu_core, engine=engine).top(0) == []


def test_components_as_sets_and_sizes(engine) -> None:
    graph = nx.disjoint_union_all([nx.path_graph(4), nx.cycle_graph(3), nx.empty_graph(2)])
    graph = nx.relabel_nodes(graph, {v: f"v{v}" for v in graph})
    result = asapgraph.connected_components(graph, engine=engine)
    expected = sorted(nx.connected_components(graph), key=len, reverse=True)
    assert result.sets() == expected
    assert list(result.sizes().values()) == [4, 3, 1, 1]
    assert list(result.sizes()) == ["v0", "v4", "v7", "v8"]  # labels: smallest member ids
    assert len(result) == nx.number_connected_components(graph)


def test_communities_and_modularity_match_networkx(engine) -> None:
    graph = snap_networkx("ca-GrQc.txt")
    result = asapgraph.label_propagation(graph, engine=engine)
    communities = result.sets()
    assert set().union(*communities) == set(graph)
    assert sum(map(len, communities)) == graph.number_of_nodes()
    expected = nx.community.modularity(graph, communities)
    assert asapgraph.modularity(graph, communities) == pytest.approx(expected, abs=1e-12)
    assert asapgraph.modularity(graph, result) == pytest.approx(expected, abs=1e-12)
    assert expected > 0.5  # a real community structure, not one blob


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("weight", ["weight", None])
def test_modularity_equals_networkx(directed: bool, weight) -> None:
    graph = weighted_multigraph(directed)
    communities = [set(range(start, 30, 4)) for start in range(4)]
    expected = nx.community.modularity(graph, communities, weight=weight, resolution=0.8)
    got = asapgraph.modularity(graph, communities, weight=weight, resolution=0.8)
    assert got == pytest.approx(expected, abs=1e-12)


def test_modularity_refuses_what_is_not_a_partition() -> None:
    graph = nx.path_graph(4)
    with pytest.raises(ValueError, match="cover every vertex"):
        asapgraph.modularity(graph, [{0, 1}, {2}])
    with pytest.raises(ValueError, match="overlap"):
        asapgraph.modularity(graph, [{0, 1}, {1, 2, 3}])


def test_grouping_of_an_empty_graph() -> None:
    result = asapgraph.connected_components(Graph.from_edges([], []))
    assert (result.sets(), result.sizes(), len(result)) == ([], {}, 0)
    assert np.asarray(result.values).size == 0


def weighted_grqc() -> nx.Graph:
    """ca-GrQc with weights 1..4 that favour some ties over others (a fixed draw)."""
    graph = snap_networkx("ca-GrQc.txt")
    rng = random.Random(7)
    for u, v in graph.edges():
        graph[u][v]["weight"] = rng.choice((1.0, 2.0, 3.0, 4.0))
    return graph


def test_weighted_label_propagation_follows_networkx_rule(engine) -> None:
    """Every vertex ends holding a label of greatest weight around it, as in networkx."""
    graph = weighted_grqc()
    result = asapgraph.label_propagation(graph, weight="weight", engine=engine)
    assert result.converged
    label = result.to_dict()
    for v in graph:
        if graph[v]:
            by_label: dict = {}
            for u, data in graph[v].items():
                by_label[label[u]] = by_label.get(label[u], 0.0) + data["weight"]
            assert by_label.get(label[v], 0.0) == max(by_label.values()), v
    unweighted = asapgraph.label_propagation(graph, engine=engine)
    assert unweighted.sets() != result.sets()  # the weights did count
    expected = nx.community.modularity(
        graph, nx.community.asyn_lpa_communities(graph, weight="weight", seed=1))
    assert asapgraph.modularity(graph, result) > expected - 0.03


def test_weighted_label_propagation_is_the_same_on_three_workers(engine) -> None:
    graph = weighted_grqc()
    one = asapgraph.label_propagation(graph, weight="weight", seed=4)
    three = asapgraph.label_propagation(graph, weight="weight", seed=4, workers=3)
    assert one.sets() == three.sets()
