"""Partitioning properties on random graphs: edges, ghosts, pack lists, balance, dependencies."""

from __future__ import annotations

from collections import Counter
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asapgraph.partition as partition_module
from asapgraph import Graph
from asapgraph.graph import index_dtype
from asapgraph.partition import (
    VERTEX_COST,
    balanced_bounds,
    partition,
    vertex_order,
)


@st.composite
def graphs(draw, max_n: int = 40) -> Graph:
    """A random graph with sparse original ids, directed or not, weighted or not."""
    n = draw(st.integers(1, max_n))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          min_size=1, max_size=4 * n))
    src, dst = (np.array(side, dtype=np.int64) for side in zip(*pairs, strict=True))
    weights = None
    if draw(st.booleans()):
        weights = np.array(draw(st.lists(st.floats(0.5, 4.0), min_size=len(pairs),
                                         max_size=len(pairs))))
    return Graph.from_edges(3 * src + 1, 3 * dst + 1, weights, directed=draw(st.booleans()))


def global_columns(part) -> np.ndarray:
    """A part's local column ids as dense global vertex ids."""
    local = np.concatenate([part.vertices, part.ghosts])
    return local[part.indices.astype(np.int64)]


def edge_list(rows: np.ndarray, columns: np.ndarray, weights) -> list[tuple]:
    weights = [None] * rows.size if weights is None else weights.tolist()
    return sorted(zip(rows.tolist(), columns.tolist(), weights, strict=True))


def check_partitioning(matrix: Graph, P: int, order: str, seed: int) -> None:
    result = partition(matrix, P, order=order, seed=seed)
    parts, n = result.parts, matrix.n
    assert len(parts) == P
    assert [part.index for part in parts] == list(range(P))

    # Vertices: a permutation cut into contiguous ranges, one per part.
    assert sorted(result.order.tolist()) == list(range(n))
    assert result.bounds[0] == 0
    assert result.bounds[-1] == n
    assert np.all(np.diff(result.bounds) >= 0)
    for part in parts:
        lo, hi = result.bounds[part.index], result.bounds[part.index + 1]
        np.testing.assert_array_equal(part.vertices, result.order[lo:hi])
        assert np.all(result.owner[part.vertices] == part.index)
        assert part.n_total == n
        assert part.indptr.size == part.n_local + 1
        assert part.indptr[-1] == part.nnz

    # Every edge (row of the matrix) belongs to exactly one part, with its weight.
    found = []
    for part in parts:
        rows = np.repeat(part.vertices, np.diff(part.indptr))
        found += edge_list(rows, global_columns(part), part.weights)
    all_rows = np.repeat(np.arange(n), np.diff(matrix.indptr))
    assert sorted(found) == edge_list(all_rows, matrix.indices, matrix.weights)

    # Ghosts: exactly the referenced vertices owned elsewhere, once each, grouped by owner.
    for part in parts:
        columns = global_columns(part)
        referenced = set(columns[result.owner[columns] != part.index].tolist())
        assert set(part.ghosts.tolist()) == referenced
        assert len(set(part.ghosts.tolist())) == part.n_ghost
        local = part.indices.astype(np.int64)
        owned_column = result.owner[columns] == part.index
        assert np.all(local[owned_column] < part.n_local)
        assert np.all(local[~owned_column] >= part.n_local)
        assert np.all(local < part.n_local + part.n_ghost)
        slots = np.concatenate([part.recv[q] for q in sorted(part.recv)] or [np.empty(0, int)])
        assert sorted(slots.tolist()) == list(range(part.n_ghost))
        for q, slot in part.recv.items():
            assert q != part.index
            assert slot.size > 0
            assert np.all(result.owner[part.ghosts[slot]] == q)

    # Pack q's values with send[p], scatter them into p's ghost slots: p sees the owners' values.
    values = np.random.default_rng(seed).random(n)
    for p in parts:
        local = np.full(p.n_local + p.n_ghost, np.nan)
        local[: p.n_local] = values[p.vertices]
        for q, slots in p.recv.items():
            sender = parts[q]
            packed = values[sender.vertices][sender.send[p.index]]
            assert np.all(sender.send[p.index] < sender.n_local)
            local[p.n_local + slots] = packed
        np.testing.assert_array_equal(local[p.n_local :], values[p.ghosts])
        # Every entry of p's rows now reads its column's value, owned or ghost.
        np.testing.assert_array_equal(local[p.indices.astype(np.int64)], values[global_columns(p)])
    sends = {(q.index, p) for q in parts for p in q.send}
    recvs = {(q, p.index) for p in parts for q in p.recv}
    assert sends == recvs

    # Dependencies: q feeds p exactly when a row of p reads a vertex q owns.
    expected = set()
    for row in range(n):
        for column in matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]].tolist():
            if result.owner[column] != result.owner[row]:
                expected.add((int(result.owner[column]), int(result.owner[row])))
    assert set(result.dependencies) == expected == recvs
    assert result.dependencies == [(q, p.index) for p in parts for q in sorted(p.recv)]

    # Balance: no part's cost exceeds the ideal by more than one row's cost.
    row_cost = np.diff(matrix.indptr) + VERTEX_COST
    ideal = row_cost.sum() / P
    for part in parts:
        assert part.nnz + VERTEX_COST * part.n_local <= ideal + row_cost.max()

    # Gather puts every part's owned values back in dense order.
    np.testing.assert_array_equal(
        result.gather([values[part.vertices] for part in parts], n), values)


@settings(max_examples=150, deadline=None)
@given(graph=graphs(), P=st.integers(1, 8), order=st.sampled_from(["none", "degree", "random"]),
       seed=st.integers(0, 1000))
def test_partition_properties(graph: Graph, P: int, order: str, seed: int) -> None:
    check_partitioning(graph.transpose, P, order, seed)


@settings(max_examples=20, deadline=None)
@given(graph=graphs(max_n=120), order=st.sampled_from(["none", "degree", "random"]))
def test_partition_into_64_parts(graph: Graph, order: str) -> None:
    """More parts than vertices leaves some parts empty; everything else still holds."""
    check_partitioning(graph.transpose, 64, order, 0)


@settings(max_examples=200, deadline=None)
@given(row_nnz=st.lists(st.integers(0, 50), min_size=1, max_size=200),
       P=st.integers(1, 64))
def test_balanced_bounds_rows_plus_nnz(row_nnz: list[int], P: int) -> None:
    """With a vertex counting 1: each part's nnz + rows is within one row's cost of the ideal."""
    nnz = np.array(row_nnz, dtype=np.int64)
    bounds = balanced_bounds(nnz, P, vertex_cost=1)
    assert bounds.size == P + 1
    assert bounds[0] == 0
    assert bounds[-1] == nnz.size
    assert np.all(np.diff(bounds) >= 0)
    cost = nnz + 1
    ideal = cost.sum() / P
    for p in range(P):
        assert cost[bounds[p] : bounds[p + 1]].sum() <= ideal + cost.max()


def reference_partition(matrix: Graph, P: int, order: str, seed: int) -> dict:
    """The plain algorithm, kept apart from the fast one: gather each part's rows entry by
    entry, look every column's owner up, and number ghosts by (owner, position)."""
    positions = vertex_order(matrix, order, seed)
    n = matrix.n
    rank = np.empty(n, dtype=np.int64)
    rank[positions] = np.arange(n)
    bounds = balanced_bounds(np.diff(matrix.indptr)[positions], P)
    owner = np.minimum(np.searchsorted(bounds, rank, side="right") - 1, P - 1)
    parts = []
    for p in range(P):
        vertices = positions[bounds[p] : bounds[p + 1]]
        entries = np.array([e for v in vertices.tolist()
                            for e in range(matrix.indptr[v], matrix.indptr[v + 1])], dtype=np.int64)
        columns = matrix.indices[entries].astype(np.int64)
        ghosts = np.unique(columns[owner[columns] != p])
        ghosts = ghosts[np.lexsort((rank[ghosts], owner[ghosts]))]
        slot = {v: vertices.size + i for i, v in enumerate(ghosts.tolist())}
        local = [rank[c] - bounds[p] if owner[c] == p else slot[c] for c in columns.tolist()]
        parts.append({
            "vertices": vertices,
            "indptr": np.concatenate([[0], np.cumsum(np.diff(matrix.indptr)[vertices])]),
            "indices": np.array(local, dtype=index_dtype(vertices.size + ghosts.size)),
            "weights": None if matrix.weights is None else matrix.weights[entries],
            "ghosts": ghosts,
            "recv": {q: np.flatnonzero(owner[ghosts] == q) for q in np.unique(owner[ghosts])},
            "send": {},
        })
    for p, part in enumerate(parts):
        for q, slots in part["recv"].items():
            parts[q]["send"][p] = rank[part["ghosts"][slots]] - bounds[q]
    return {"order": positions, "bounds": bounds, "owner": owner, "parts": parts}


@settings(max_examples=150, deadline=None)
@given(graph=graphs(), P=st.integers(1, 12), order=st.sampled_from(["none", "degree", "random"]),
       seed=st.integers(0, 1000), chunk=st.sampled_from([3, partition_module.CHUNK]))
def test_partition_matches_reference(graph: Graph, P: int, order: str, seed: int,
                                     chunk: int) -> None:
    """Slices of rows ("none") or gathered rows, in chunks of any size: the plain algorithm's
    parts, ghost order and pack lists exactly, with the same dtypes."""
    matrix = graph.transpose
    with mock.patch.object(partition_module, "CHUNK", chunk):
        result = partition(matrix, P, order=order, seed=seed)
    expected = reference_partition(matrix, P, order, seed)
    for name in ("order", "bounds", "owner"):
        np.testing.assert_array_equal(getattr(result, name), expected[name])
    for part, reference in zip(result.parts, expected["parts"], strict=True):
        for name in ("vertices", "indptr", "indices", "ghosts"):
            np.testing.assert_array_equal(getattr(part, name), reference[name])
            assert getattr(part, name).dtype == reference[name].dtype, name
        assert (part.weights is None) == (reference["weights"] is None)
        if part.weights is not None:
            np.testing.assert_array_equal(part.weights, reference["weights"])
        for name in ("recv", "send"):
            lists, reference_lists = getattr(part, name), reference[name]
            assert list(lists) == list(reference_lists)
            for key, array in lists.items():
                np.testing.assert_array_equal(array, reference_lists[key])
                assert array.dtype == np.int64


def test_orders() -> None:
    graph = Graph.from_edges([0, 0, 0, 1, 2, 3, 3], [1, 2, 3, 2, 3, 0, 1])
    matrix = graph.transpose
    np.testing.assert_array_equal(partition(matrix, 2, order="none").order, np.arange(4))
    first = partition(matrix, 2, order="random", seed=3).order
    np.testing.assert_array_equal(first, partition(matrix, 2, order="random", seed=3).order)
    assert sorted(first.tolist()) == [0, 1, 2, 3]
    degree = partition(matrix, 2, order="degree").order
    in_degree = np.diff(matrix.indptr)
    assert in_degree[degree[0]] == in_degree.max()  # the heaviest row first
    with pytest.raises(ValueError, match="order"):
        partition(matrix, 2, order="sideways")
    with pytest.raises(ValueError, match="parts"):
        partition(matrix, 65)


def test_more_parts_than_vertices_counts_every_edge_once() -> None:
    graph = Graph.from_edges([0, 1, 2], [1, 2, 0])
    result = partition(graph.transpose, 64)
    assert sum(part.n_local for part in result.parts) == 3
    assert sum(part.nnz for part in result.parts) == 3
    assert Counter(len(part.recv) for part in result.parts)[0] >= 61
