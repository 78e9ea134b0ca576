"""Graph updates (edge batches) and warm starts against networkx and scipy from scratch."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from conftest import load_snap
from scipy.sparse.csgraph import connected_components

import asapgraph
from asapgraph import warm
from asapgraph.algorithms.quality import modularity
from asapgraph.updates import EdgeBatch, diff

KINDS = ("insert", "delete", "mixed", "new_vertices")
GRAPH = "ca-GrQc.txt"  # 355 components: deletions split some
DIRECTED = "wiki-Vote.txt"


def edges_of(graph: asapgraph.Graph) -> set:
    """The edge set by original ids (undirected: both directions, as the CSR stores them)."""
    rows = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    return set(zip(graph.ids[rows].tolist(), graph.ids[graph.indices].tolist(), strict=True))


def batch_of(graph: asapgraph.Graph, kind: str, size: int, seed: int = 1) -> tuple[list, list]:
    """(added, removed) edge lists by original id: existing edges go, random pairs come."""
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    keep = rows != graph.indices
    existing = np.stack([graph.ids[rows[keep]], graph.ids[graph.indices[keep]]], 1)
    removed = existing[rng.choice(len(existing), size, replace=False)].tolist()
    pairs = graph.ids[rng.integers(0, graph.n, (size, 2))].tolist()
    if kind == "new_vertices":
        fresh = int(graph.ids.max()) + 1
        pairs = [[fresh + k % 3, u] for k, (u, _) in enumerate(pairs)] + pairs
    removed = removed if kind in ("delete", "mixed") else []
    added = pairs if kind != "delete" else []
    return [tuple(p) for p in added], [tuple(p) for p in removed]


def same_partition(labels: np.ndarray, reference: np.ndarray) -> bool:
    """Whether two labellings group the vertices alike."""
    pairs = np.unique(np.stack([labels, reference], 1), axis=0)
    return len(pairs) == len(np.unique(labels)) == len(np.unique(reference))


def scipy_labels(graph: asapgraph.Graph) -> np.ndarray:
    return connected_components(graph.to_scipy(), directed=True, connection="weak")[1]


# ------------------------------------------------------------------------------ the new graph
def undirected(graph: asapgraph.Graph) -> asapgraph.Graph:
    """The same graph read as undirected (each pair stored both ways)."""
    rows = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    return asapgraph.Graph.from_edges(graph.ids[rows], graph.ids[graph.indices], directed=False)


@pytest.mark.parametrize("directed", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_with_edges_equals_networkx_editing(kind: str, directed: bool) -> None:
    graph = load_snap(DIRECTED) if directed else undirected(load_snap(GRAPH))
    graph.transpose, graph.symmetric  # noqa: B018 (built views are edited, not rebuilt)
    added, removed = batch_of(graph, kind, 300)
    updated = graph.with_edges(added=added, removed=removed)
    reference = graph.to_networkx()
    reference.remove_edges_from(removed)
    reference.add_edges_from(added)
    assert edges_of(updated) == edges_of(asapgraph.Graph.from_networkx(reference))
    assert updated.m == reference.number_of_edges()
    assert (updated.ids is graph.ids) == (kind != "new_vertices")
    assert np.array_equal(updated.ids[: graph.n], graph.ids)  # old dense ids are kept
    fresh = asapgraph.Graph(updated.indptr, updated.indices, None, updated.directed, updated.ids)
    for view in ("transpose", "symmetric"):
        assert edges_of(getattr(updated, view)) == edges_of(getattr(fresh, view))


def test_weighted_additions_set_weights_like_add_edge() -> None:
    graph = asapgraph.Graph.from_edges([1, 2, 3], [2, 3, 1], [1.0, 2.0, 3.0])
    updated = graph.with_edges(added=[(1, 2, 5.0), (3, 4, 0.5), (3, 4, 0.25)], removed=[(2, 3)])
    reference = {(u, v): w for u, v, w in updated.to_networkx().edges(data="weight")}
    assert reference == {(1, 2): 5.0, (3, 1): 3.0, (3, 4): 0.25}


def test_removing_a_missing_edge_names_it() -> None:
    graph = asapgraph.Graph.from_edges([1, 2], [2, 3])
    with pytest.raises(ValueError, match=r"cannot remove edge 3 -> 1: it is not in the graph"):
        graph.with_edges(removed=[(3, 1)])


def test_diff_turns_one_graph_into_the_other() -> None:
    graph = load_snap(DIRECTED)
    added, removed = batch_of(graph, "new_vertices", 200)
    other = graph.with_edges(added=added, removed=removed[:50])
    rebuilt = asapgraph.Graph.from_networkx(other.to_networkx())  # another dense numbering
    batch = diff(graph, rebuilt)
    assert len(batch.added_src) == len(edges_of(other) - edges_of(graph))
    assert edges_of(graph.apply(batch)) == edges_of(rebuilt)


# ------------------------------------------------------------------------------ warm starts
@pytest.mark.parametrize("kind", KINDS)
def test_components_after_a_batch_equal_scipy(kind: str) -> None:
    graph = load_snap(GRAPH)
    before = asapgraph.connected_components(graph, workers=1)
    added, removed = batch_of(graph, kind, 400)
    updated = graph.with_edges(added=added, removed=removed)
    after = asapgraph.connected_components(updated, previous=before)
    assert same_partition(after.values, scipy_labels(updated))
    if kind in ("insert", "new_vertices"):  # labels only merge: no engine run at all
        assert after.stats.mode == "incremental"
    else:  # random deletions reach the giant component (80% of the vertices): the engine
        assert any("recomputed on the engine" in note for note in after.stats.notes)


def test_deletions_in_small_components_are_recomputed_here() -> None:
    graph = load_snap(GRAPH)
    before = asapgraph.connected_components(graph)
    labels = scipy_labels(graph)
    sizes = np.bincount(labels)
    rows = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    small = (sizes[labels[rows]] <= 20) & (rows != graph.indices)
    pick = np.flatnonzero(small)[::7][:40]
    removed = list(zip(graph.ids[rows[pick]].tolist(), graph.ids[graph.indices[pick]].tolist(),
                       strict=True))
    updated = graph.with_edges(removed=removed, added=[(graph.ids[0], graph.ids[-1])])
    after = asapgraph.connected_components(updated, previous=before)
    assert same_partition(after.values, scipy_labels(updated))
    assert after.stats.mode == "incremental"
    assert any("in this process" in note for note in after.stats.notes)


@pytest.mark.parametrize("mode", ["bsp", "asap"])
@pytest.mark.parametrize("kind", ["delete", "mixed"])
def test_components_fall_back_to_the_engine_from_partial_labels(engines, monkeypatch,
                                                                 kind: str, mode: str) -> None:
    graph = load_snap(DIRECTED)
    before = asapgraph.connected_components(graph, engine=engines(2))
    added, removed = batch_of(graph, kind, 300)
    updated = graph.with_edges(added=added, removed=removed)
    monkeypatch.setattr(warm, "LOCAL_SHARE", 0.0)
    after = asapgraph.connected_components(updated, previous=before, engine=engines(2),
                                           mode=mode)
    assert same_partition(after.values, scipy_labels(updated))
    assert after.stats.mode == mode
    assert any("recomputed on the engine" in note for note in after.stats.notes)


def test_components_of_an_unrelated_later_graph_match_through_a_diff() -> None:
    graph = load_snap(GRAPH)
    before = asapgraph.connected_components(graph)
    added, removed = batch_of(graph, "mixed", 100)
    later = asapgraph.Graph.from_networkx(graph.with_edges(added=added,
                                                           removed=removed).to_networkx())
    after = asapgraph.connected_components(later, previous=before)
    assert same_partition(after.values, scipy_labels(later))


@pytest.mark.parametrize("mode", ["bsp", "asap"])
@pytest.mark.parametrize("kind", KINDS)
def test_pagerank_from_the_previous_ranks_equals_networkx(engines, kind: str, mode: str) -> None:
    graph = load_snap(DIRECTED)
    before = asapgraph.pagerank(graph, tol=1e-10, engine=engines(2))
    added, removed = batch_of(graph, kind, 100)
    updated = graph.with_edges(added=added, removed=removed)
    warm_run = asapgraph.pagerank(updated, tol=1e-10, previous=before, engine=engines(2),
                                  mode=mode)
    reference = nx.pagerank(updated.to_networkx(), tol=1e-13, max_iter=10_000)
    expected = np.array([reference[v] for v in updated.ids.tolist()])
    assert np.abs(warm_run.values - expected).sum() < 1e-6
    if mode == "bsp":  # lockstep: rounds do not depend on timing
        cold = asapgraph.pagerank(updated, tol=1e-10, engine=engines(2), mode=mode)
        assert warm_run.stats.rounds[2] < cold.stats.rounds[2]


@pytest.mark.parametrize("mode", ["bsp", "asap"])
def test_label_propagation_from_the_previous_communities(engines, mode: str) -> None:
    graph = load_snap("email-Enron.txt.gz")
    before = asapgraph.label_propagation(graph, engine=engines(2))
    added, removed = batch_of(graph, "mixed", 300)
    updated = graph.with_edges(added=added, removed=removed)
    after = asapgraph.label_propagation(updated, previous=before, engine=engines(2), mode=mode)
    undirected = updated.to_networkx().to_undirected()  # email-Enron lists both directions
    communities = nx.community.label_propagation_communities(undirected)
    reference = nx.community.modularity(undirected, communities)
    assert modularity(updated, after.values) > reference - 0.03
    assert after.converged


def test_a_batch_object_names_file_and_line_of_a_missing_edge(tmp_path) -> None:
    path = tmp_path / "batch.txt"
    path.write_text("+ 1 3\n# comment\n- 3 1\n")
    graph = asapgraph.Graph.from_edges([1, 2], [2, 3])
    from asapgraph.updates import read_update

    batch = read_update(path)
    assert isinstance(batch, EdgeBatch)
    with pytest.raises(ValueError, match=rf"{path}:3: cannot remove edge 3 -> 1"):
        graph.apply(batch)


def test_group_names_that_are_no_members_id_take_the_general_path() -> None:
    """The fast path reads a group's name as one member's id; other names are grouped by value."""
    graph = load_snap(DIRECTED)
    updated = graph.with_edges(added=[(graph.ids[0], graph.ids[1])])
    members = scipy_labels(graph)
    by_member = asapgraph.connected_components(graph).values
    assert warm.named_by_member(by_member, graph, updated) is not None
    foreign = members.astype(graph.ids.dtype) + int(graph.ids.max()) + 1  # nobody's id
    assert warm.named_by_member(foreign, graph, updated) is None
    for values in (by_member, foreign):
        labels = warm.group_labels(values, graph, updated)
        assert same_partition(labels[: graph.n], members)
