"""Warm starts: recompute after a batch of edge changes from the result before it.

- Connected components, exactly. Insertions only merge components: the old labels (each
  component's least dense id) are joined along the inserted edges on the small graph whose
  vertices are the labels they touch, and only the vertices of merged components are relabelled;
  no pass over the edges. Deletions may split a component: the components that lost an edge are
  recomputed and no others — in this process on their own rows when they are small, else on the
  engine from labels in which only those components start over (a note in the stats says which).
- Label propagation starts from the previous communities (new vertices alone).
- PageRank starts from the previous ranks (networkx's ``nstart``; new vertices at 1/n).

A previous result matches the new graph through the graph's record of the batch
(:meth:`Graph.with_edges`) or, for any two graphs, through their difference by original ids.
"""

from __future__ import annotations

import time

import numpy as np

from asapgraph.engine.stats import RunStats
from asapgraph.graph import Graph
from asapgraph.updates import diff

# Components holding at most this share of the vertices after deletions are recomputed in this
# process on their own rows (a scipy call on a small submatrix); more go to the engine.
LOCAL_SHARE = 0.05


def carried(previous: Graph, graph: Graph) -> np.ndarray:
    """For each vertex of ``previous``, its dense id in ``graph`` (-1 where it is gone)."""
    if graph.changes is not None and graph.changes.of(previous):
        return np.arange(previous.n, dtype=np.int64)  # old vertices keep their dense ids
    if graph.ids.dtype != object and previous.ids.dtype != object:
        order = np.argsort(graph.ids, kind="stable")
        pos = np.minimum(np.searchsorted(graph.ids[order], previous.ids), max(graph.n - 1, 0))
        found = graph.ids[order][pos] == previous.ids if graph.n else np.zeros(previous.n, bool)
        return np.where(found, order[pos], -1)
    index = {label: i for i, label in enumerate(graph.ids.tolist())}
    return np.asarray([index.get(x, -1) for x in previous.ids.tolist()], dtype=np.int64)


def edge_changes(previous: Graph, graph: Graph) -> tuple[tuple, tuple]:
    """(removed, added) edges in ``graph``'s dense ids, each a (src, dst) pair of arrays."""
    if graph.changes is not None and graph.changes.of(previous):
        return graph.changes.removed, graph.changes.added
    batch = diff(previous, graph)
    where = carried(previous, graph)
    removed_src = where[previous.dense_ids(batch.removed_src.tolist())]
    removed_dst = where[previous.dense_ids(batch.removed_dst.tolist())]
    added = graph.dense_ids(batch.added_src.tolist()), graph.dense_ids(batch.added_dst.tolist())
    return (removed_src, removed_dst), added


def group_labels(values: np.ndarray, previous: Graph, graph: Graph) -> np.ndarray:
    """Previous group names (any value per group) as least-dense-id labels in ``graph``.

    A vertex new to ``graph`` is alone under its own id. Groups are taken as they were; a vertex
    that left is dropped.
    """
    named = named_by_member(values, previous, graph)
    if named is not None:
        return named
    _, group = np.unique(values, return_inverse=True)
    where = carried(previous, graph)
    labels = np.arange(graph.n, dtype=np.int64)
    present = where >= 0
    least = np.full(group.max() + 1 if group.size else 0, graph.n, dtype=np.int64)
    np.minimum.at(least, group[present], where[present])
    labels[where[present]] = least[group[present]]
    return labels


def named_by_member(values: np.ndarray, previous: Graph, graph: Graph) -> np.ndarray | None:
    """The fast case of :func:`group_labels`, or None: ``graph`` made from ``previous`` by
    ``with_edges`` (old vertices keep their dense ids) and every group named by the original id
    of one of its members, as components and communities are (their least member's).

    Then the named member's dense id labels the group: one search in the sorted ids, no sort of
    the values; checked (each name is a vertex's id, and that vertex carries it) before use.
    """
    if not (graph.changes is not None and graph.changes.of(previous)
            and previous.ids.dtype != object and values.dtype == previous.ids.dtype
            and previous._ids_sorted and previous.n):
        return None
    member = dense_of(previous.ids, values)
    named = np.array_equal(previous.ids[member], values)
    if not (named and np.array_equal(member[member], member)):
        return None
    labels = np.arange(graph.n, dtype=np.int64)
    labels[: previous.n] = member
    return labels


def dense_of(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each value, the position of an equal id in the sorted integer ``ids`` (any position
    where none is equal: the caller checks). Ids spanning a range of at most a few times their
    count (files numbered 0..n-1 or nearly) go through a lookup table, else a binary search."""
    low, span = int(ids[0]), int(ids[-1]) - int(ids[0])
    if span > 4 * ids.size:
        return np.minimum(np.searchsorted(ids, values), ids.size - 1)
    table = np.zeros(span + 1, dtype=np.int64)
    table[ids - low] = np.arange(ids.size)
    return table[np.clip(values - low, 0, span)]


def merge_along(labels: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Join the groups that edges ``src–dst`` connect; each group keeps its least label.

    Only the labels the edges touch enter the small graph whose components are the merges, and
    only the vertices under those labels are relabelled.
    """
    if src.size == 0:
        return labels
    import scipy.sparse as sp  # imported where used: the CLI starts without scipy
    from scipy.sparse.csgraph import connected_components

    touched, ends = np.unique(np.concatenate([labels[src], labels[dst]]), return_inverse=True)
    k = touched.size
    pairs = sp.coo_array((np.ones(src.size), (ends[: src.size], ends[src.size :])), shape=(k, k))
    _, merged = connected_components(pairs, directed=False)
    least = np.full(merged.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(least, merged, touched)  # touched is sorted: the least label of each merge
    moved = least[merged] != touched
    if not moved.any():
        return labels
    relabel = np.arange(labels.size, dtype=labels.dtype)  # labels are dense ids: a lookup table
    relabel[touched[moved]] = least[merged][moved]
    return relabel[labels]


def split_where_removed(labels: np.ndarray, graph: Graph, src: np.ndarray,
                        dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start over the components that lost an edge: (labels, mask of their vertices).

    Their vertices get their own ids back; every other label is final already.
    """
    affected = np.unique(np.concatenate([labels[src], labels[dst]]))
    mask = np.isin(labels, affected)
    out = labels.copy()
    out[mask] = np.flatnonzero(mask)
    return out, mask


def local_components(graph: Graph, labels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Weak components of the rows under ``mask`` (a union of whole components), in place."""
    from scipy.sparse.csgraph import connected_components

    members = np.flatnonzero(mask)
    matrix = graph.symmetric.adjacency[members][:, members]
    _, piece = connected_components(matrix, directed=False)
    least = np.full(piece.max() + 1, graph.n, dtype=np.int64)
    np.minimum.at(least, piece, members)
    labels[members] = least[piece]
    return labels


def incremental_stats(seconds: float, notes: list[str]) -> RunStats:
    """Statistics of a recomputation done in this process (no engine rounds)."""
    stats = RunStats(algorithm="connected_components", mode="incremental", workers=1,
                     policy="-", fan_in="-", max_staleness=0, sweeps=0, straggler={},
                     converged=True, residual=0.0, compute_seconds=seconds)
    stats.notes.extend(notes)
    return stats


def components_after(previous_values: np.ndarray, previous: Graph, graph: Graph,
                     run_from) -> tuple[np.ndarray, RunStats]:
    """Components of ``graph`` from those of ``previous``: dense least-id labels and stats.

    ``run_from(start_labels)`` runs the engine from the given labels (used when deletions reach
    more than ``LOCAL_SHARE`` of the vertices) and returns (labels, stats).
    """
    began = time.perf_counter()
    labels = group_labels(previous_values, previous, graph)
    (removed_src, removed_dst), (added_src, added_dst) = edge_changes(previous, graph)
    notes = [f"warm start: {removed_src.size} edges removed, {added_src.size} added"]
    if removed_src.size:
        labels, mask = split_where_removed(labels, graph, removed_src, removed_dst)
        share = mask.mean() if mask.size else 0.0
        if share > LOCAL_SHARE:
            labels = merge_along(labels, added_src, added_dst)
            notes.append(f"deletions reached components holding {100 * share:.1f}% of the "
                         "vertices: those were recomputed on the engine")
            values, stats = run_from(labels)
            stats.notes.extend(notes)
            return values, stats
        labels = local_components(graph, labels, mask)
        notes.append(f"deletions: recomputed components holding {100 * share:.2f}% of the "
                     "vertices in this process")
    labels = merge_along(labels, added_src, added_dst)
    return labels, incremental_stats(time.perf_counter() - began, notes)


def ranks_after(previous_values: np.ndarray, previous: Graph, graph: Graph) -> np.ndarray:
    """Previous ranks as a start vector for ``graph`` (new vertices at 1/n, then normalised)."""
    start = np.full(graph.n, 1.0 / max(graph.n, 1))
    where = carried(previous, graph)
    start[where[where >= 0]] = previous_values[where >= 0]
    return start / start.sum()
