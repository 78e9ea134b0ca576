"""Connected components: exactly scipy's weak components, on one block and across many."""

from __future__ import annotations

import importlib.util

import networkx as nx
import numpy as np
import pytest
from conftest import load_snap, require_numba
from helpers_blocks import solve_blocks
from scipy.sparse.csgraph import connected_components

import asapgraph
from asapgraph import ConvergenceError, Graph
from asapgraph.algorithms import accelerate
from asapgraph.algorithms.components import ConnectedComponents, block_pieces
from asapgraph.engine.blocks import block_from_part
from asapgraph.engine.local import solve_local
from asapgraph.partition import partition


def reference(graph: Graph) -> np.ndarray:
    """Smallest original id of each vertex's weak component, from scipy's labelling."""
    _, component = connected_components(graph.adjacency, connection="weak")
    least = np.full(component.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(least, component, graph.ids)
    return least[component]


def solve(graph: Graph, **options: object) -> np.ndarray:
    program = ConnectedComponents()
    solution = solve_blocks(program, graph, **options) if options else solve_local(program, graph)
    assert solution.converged
    return program.finish(solution.values, graph)


def labels_by_id(graph: Graph) -> dict:
    return dict(zip(graph.ids.tolist(), solve(graph).tolist(), strict=True))


def scattered(seed: int = 7) -> Graph:
    """Worst cases together: a long path in random order, pairs, triangles, isolated vertices.

    Ids are shuffled so that neither a component nor the path is a contiguous range of rows.
    """
    rng = np.random.default_rng(seed)
    path = rng.permutation(800)  # across blocks in random order: one round per block crossing
    src, dst = [path[:-1]], [path[1:]]
    pairs = 800 + np.arange(0, 2000, 2)
    src.append(pairs)
    dst.append(pairs + 1)
    triangles = 2800 + np.arange(0, 1500, 3)
    for a, b in ((0, 1), (1, 2), (2, 0)):
        src.append(triangles + a)
        dst.append(triangles + b)
    isolated = np.arange(4300, 4800)  # self-loops: present as vertices, alone in a component
    src.append(isolated)
    dst.append(isolated)
    relabel = rng.permutation(4800) * 3 + 11
    return Graph.from_edges(relabel[np.concatenate(src)], relabel[np.concatenate(dst)])


def test_equals_scipy_on_snap(snap_graph: Graph) -> None:
    assert np.array_equal(solve(snap_graph), reference(snap_graph))


@pytest.mark.parametrize("order", ["jacobi", "gauss-seidel"])
def test_blocks_equal_scipy_on_snap(order: str) -> None:
    for name in ("ca-GrQc.txt", "email-Enron.txt.gz", "p2p-Gnutella31.txt"):
        graph = load_snap(name)
        assert np.array_equal(solve(graph, parts=5, order=order), reference(graph)), name


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"parts": 4, "order": "jacobi", "vertex_order": "random"},
        {"parts": 7, "order": "gauss-seidel", "chunks": 3},
        {"parts": 6, "order": "jacobi", "drop": 0.6, "vertex_order": "degree"},
    ],
    ids=["one-block", "jacobi", "gauss-seidel", "stale-ghosts"],
)
def test_long_path_and_small_components(options: dict) -> None:
    graph = scattered()
    labels = solve(graph, **options)
    assert np.array_equal(labels, reference(graph))
    assert np.unique(labels).size == 1 + 1000 + 500 + 500


def test_one_round_per_chunk_crossing_not_per_hop() -> None:
    path = Graph.from_edges(np.arange(99_999), np.arange(1, 100_000), directed=False)
    solution = solve_local(ConnectedComponents(), path, chunks=1)
    assert solution.converged
    assert solution.rounds == 2  # the chunk's fixed point, then a round that confirms it
    assert np.all(solution.values == 0)


def test_direction_is_ignored() -> None:
    graph = Graph.from_edges([5, 7, 9], [3, 5, 8])  # 5 → 3, 7 → 5: one weak component
    assert solve(graph).tolist() == [3, 3, 3, 8, 8]


def test_unsorted_networkx_ids_report_the_smallest() -> None:
    graph = nx.Graph([(40, 10), (10, 30), (5, 2)])
    graph.add_node(99)
    result = labels_by_id(Graph.from_networkx(graph))
    expected = {v: min(c) for c in nx.connected_components(graph) for v in c}
    assert result == expected


def test_object_ids_name_the_least_dense_member() -> None:
    graph = nx.Graph([("b", "a"), ("c", "d")])
    result = labels_by_id(Graph.from_networkx(graph))
    assert result == {"b": "b", "a": "b", "c": "c", "d": "c"}


def test_empty_and_edgeless_graphs() -> None:
    empty = Graph.from_edges([], [])
    assert solve(empty).size == 0
    edgeless = Graph.from_scipy(np.zeros((4, 4)), ids=np.array([8, 6, 4, 2]))
    assert solve(edgeless).tolist() == [8, 6, 4, 2]


def test_max_iter_is_a_budget_that_raises_when_hit() -> None:
    graph = scattered()
    assert not solve_local(ConnectedComponents(max_iter=1), graph).converged
    with pytest.raises(ConvergenceError, match="connected_components did not converge in 1"):
        asapgraph.run(ConnectedComponents(max_iter=1), graph)
    with pytest.raises(ValueError, match="max_iter must be a non-negative integer"):
        ConnectedComponents(max_iter=-1)


@pytest.mark.parametrize("mode", ["bsp", "asap"])
def test_engine_equals_scipy(mode: str) -> None:
    graph = load_snap("ca-HepTh.txt")
    result = asapgraph.run(ConnectedComponents(), graph, workers=3, mode=mode, fan_in=1)
    assert result.converged
    assert np.array_equal(result.values, reference(graph))


def same_grouping(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two labellings group the vertices alike (whatever the label values)."""
    pairs = np.unique(np.stack([a, b]), axis=1)
    return pairs.shape[1] == np.unique(a).size == np.unique(b).size


@pytest.mark.parametrize("name", ["email-Enron.txt.gz", "p2p-Gnutella31.txt", "ca-HepPh.txt.gz"])
def test_numba_and_scipy_pieces_agree(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    require_numba()
    matrix = load_snap(name).symmetric
    for part in partition(matrix, 3, order="random").parts:
        block = block_from_part(part, {})
        monkeypatch.setenv(accelerate.SWITCH, "1")
        compiled = block_pieces(block)
        monkeypatch.setenv(accelerate.SWITCH, "0")
        assert same_grouping(compiled, block_pieces(block)), name


def test_labels_do_not_depend_on_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = scattered()
    monkeypatch.setenv(accelerate.SWITCH, "0")
    without = asapgraph.connected_components(graph, workers=3).values
    assert np.array_equal(without, reference(graph))
    if importlib.util.find_spec("numba") is not None:
        monkeypatch.setenv(accelerate.SWITCH, "1")
        assert np.array_equal(asapgraph.connected_components(graph, workers=3).values, without)


def test_switch_refuses_other_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(accelerate.SWITCH, "yes")
    with pytest.raises(ValueError, match="ASAPGRAPH_NUMBA must be 0, 1 or unset"):
        ConnectedComponents()
