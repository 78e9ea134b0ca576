"""The networkx backend beyond networkx's tests: configuration, refusals, weights, SNAP graphs."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import networkx as nx
import pytest
from conftest import load_snap

from asapgraph.nx_backend import engines


@pytest.fixture(autouse=True, scope="module")
def two_workers():
    """Run this module's calls on two workers, and stop the shared engine afterwards.

    networkx warns when a call reuses a converted graph; these graphs are never mutated.
    """
    with nx.config(warnings_to_ignore={"cache"}), \
            nx.config.backends.asapgraph(workers=2, mode="bsp"):
        yield
    engines.close()


def test_configured_workers_run_the_call(caplog) -> None:
    graph = nx.path_graph(30)
    with caplog.at_level(logging.INFO, logger="asapgraph.engine"):
        assert nx.is_connected(graph, backend="asapgraph")
    assert "with 2 workers" in caplog.text
    with nx.config.backends.asapgraph(workers=3, mode="asap"):
        components = list(nx.connected_components(graph, backend="asapgraph"))
    assert components == [set(range(30))]
    assert engines.shared_engine(3).workers == 3


def test_bad_configuration_raises_at_the_call() -> None:
    with nx.config.backends.asapgraph(mode="fast"), pytest.raises(ValueError, match="mode"):
        nx.pagerank(nx.path_graph(3), backend="asapgraph")


def test_pagerank_reads_the_named_weight_and_none() -> None:
    graph = nx.gnp_random_graph(80, 0.06, seed=2, directed=True)
    for u, v in graph.edges():
        graph[u][v]["w"] = 1 + (u + 2 * v) % 4
    for weight in ("w", None):
        expected = nx.pagerank(graph, weight=weight, tol=1e-12)
        got = nx.pagerank(graph, weight=weight, tol=1e-12, backend="asapgraph")
        assert sum(abs(got[v] - expected[v]) for v in graph) < 1e-8
    assert sum(abs(nx.pagerank(graph, weight="w")[v] - expected[v]) for v in graph) > 1e-3


def test_pagerank_ignores_keys_that_are_not_nodes() -> None:
    graph = nx.cycle_graph(5, create_using=nx.DiGraph)
    personalization = {0: 1.0, 3: 2.0, "elsewhere": 5.0}
    expected = nx.pagerank(graph, personalization=personalization)
    got = nx.pagerank(graph, personalization=personalization, backend="asapgraph")
    assert got == pytest.approx(expected, abs=1e-6)


def test_pagerank_raises_networkx_convergence_error() -> None:
    graph = nx.gnp_random_graph(50, 0.1, seed=1, directed=True)
    with pytest.raises(nx.PowerIterationFailedConvergence, match="within 3 iterations"):
        nx.pagerank(graph, max_iter=3, backend="asapgraph")


def test_node_connected_component_of_a_missing_node() -> None:
    with pytest.raises(KeyError):
        nx.node_connected_component(nx.path_graph(3), 7, backend="asapgraph")


def test_refused_input_names_the_reason_or_falls_back() -> None:
    graph = nx.DiGraph([(0, 1), (1, 2), (2, 0), (3, 4)])
    with pytest.raises(NotImplementedError, match="asyn_lpa_communities"):
        list(nx.community.asyn_lpa_communities(graph, backend="asapgraph"))
    unweighted = nx.Graph(graph)
    nx.set_edge_attributes(unweighted, 0, "weight")
    with pytest.raises(NotImplementedError, match="fast_label_propagation_communities"):
        nx.community.fast_label_propagation_communities(unweighted, weight="weight",
                                                        backend="asapgraph")
    with nx.config(backend_priority=["asapgraph"], fallback_to_nx=True):
        communities = list(nx.community.asyn_lpa_communities(graph, seed=1))
    assert {frozenset(c) for c in communities} == {frozenset({0, 1, 2}), frozenset({3, 4})}


def test_weights_decide_label_propagation() -> None:
    """A path of four whose middle edge is light splits in two; weighted the other way, not."""
    graph = nx.path_graph(4)
    nx.set_edge_attributes(graph, {(0, 1): 3.0, (1, 2): 0.5, (2, 3): 3.0}, "weight")
    found = nx.community.asyn_lpa_communities(graph, weight="weight", seed=3,
                                              backend="asapgraph")
    assert {frozenset(c) for c in found} == {frozenset({0, 1}), frozenset({2, 3})}
    directed = nx.MultiDiGraph([(0, 1), (1, 0), (1, 2), (2, 3), (2, 3)])
    found = nx.community.fast_label_propagation_communities(directed, seed=1,
                                                            backend="asapgraph")
    assert {frozenset(c) for c in found} == {frozenset({0, 1}), frozenset({2, 3})}


def test_snap_graph_through_the_backend() -> None:
    """email-Eu-core (directed, dangling vertices): ranks and weak components as networkx's."""
    graph = load_snap("email-Eu-core.txt.gz").to_networkx()
    expected = nx.pagerank(graph, tol=1e-10)
    got = nx.pagerank(graph, tol=1e-10, backend="asapgraph")
    assert sum(abs(got[v] - expected[v]) for v in graph) < 1e-6
    components = list(nx.weakly_connected_components(graph, backend="asapgraph"))
    assert components == list(nx.weakly_connected_components(graph))  # same sets, same order


def test_importing_networkx_loads_only_the_backend_description() -> None:
    """networkx reads every backend's info at import: asapgraph's must not load the engine."""
    code = ("import json, sys, networkx\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('asapgraph', "
            "'numpy', 'scipy')))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert loaded == ["asapgraph", "asapgraph.nx_backend", "asapgraph.nx_backend.info"]
