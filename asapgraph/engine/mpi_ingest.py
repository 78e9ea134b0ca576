"""Build every rank's partition straight from its share of the text; no rank holds the graph.

The steps, each a collective over all ranks with numpy buffers (``mpi_shuffle.py``):

1. parse (``mpi_read.py``): each rank has the edges of its byte range or part files;
2. dense ids: the distinct original ids are sample-sorted across the ranks, numbered in sorted
   order (the single-node reader's numbering, so results compare exactly), and each rank's edges
   get theirs back; each rank keeps its slice of the sorted ids: the id map, partitioned;
3. the program's pull matrix as entry keys ``row·n + col`` (the transpose for PageRank, the
   symmetrised pattern for CC and LPA), sample-sorted so duplicates meet and collapse (the last
   weight in input order wins, as in the single-node reader);
4. the row lengths, summed per vertex range, give the same balanced cut as ``partition.cut``
   (contiguous ranges by edges), and the sorted entries go to the ranks owning their rows;
5. each rank turns its rows into its :class:`~asapgraph.partition.Part` (ghosts, receive runs,
   send lists), and gets its vertices' original ids and, for PageRank, their out-weights.

Memory per rank: its share of the text buffer and edges, its rows, and O(n/P) vertex data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from mpi4py import MPI

from asapgraph.engine.mpi_read import read_local_edges
from asapgraph.engine.mpi_shuffle import (
    alltoallv,
    bucket_counts,
    exscan,
    range_counts,
    runs,
    sample_sort,
    splitters,
    unique_inverse,
)
from asapgraph.graph import index_dtype
from asapgraph.partition import VERTEX_COST, Part


@dataclass(frozen=True)
class PullView:
    """Which matrix a program pulls: the transpose (weighted or not), or the symmetric pattern."""

    name: str  # "transpose" or "symmetric"
    weighted: bool


@dataclass
class RowBlock:
    """Rows ``lo:hi`` of the pull matrix with global column ids, and their vertices' data."""

    n: int
    nnz: int  # entries of the whole matrix
    bounds: np.ndarray  # rank q owns rows bounds[q]:bounds[q+1]
    indptr: np.ndarray
    columns: np.ndarray  # global dense ids
    weights: np.ndarray | None
    ids: np.ndarray  # original id of each owned vertex
    out_weight: np.ndarray | None  # transpose: per owned vertex, its out-degree (weight sum)
    directed: bool
    self_loops: int  # diagonal entries of the whole matrix


def ingest(comm: MPI.Comm, source: Path, view: PullView, *, directed: bool | None,
           drop_self_loops: bool) -> tuple[RowBlock, int]:
    """This rank's rows of ``view`` of the graph in ``source``; and the text bytes it read."""
    edges = read_local_edges(comm, source, non_negative=view.weighted)
    if directed is None:
        directed = edges.directed is not False
    weighted = view.weighted and edges.weights is not None
    ends = [edges.src, edges.dst]
    edges.src = edges.dst = None  # dense_ids drops the original ids once it has them
    src, dst, ids, base, n = dense_ids(comm, ends)
    text_bytes = edges.text_bytes
    weights = edges.weights if weighted else None
    order = edges.order if weighted else None
    del edges
    if drop_self_loops:
        keep = src != dst
        src, dst = src[keep], dst[keep]
        weights = None if weights is None else weights[keep]
        order = None if order is None else order[keep]
    pair = [src, dst]
    del src, dst
    keys, weights = _entries(comm, pair, n, weights, order,
                             both=view.name == "symmetric" or not directed)
    del order
    bounds = balanced_cut(comm, keys // n if n else keys, n)
    counts = range_counts(keys, bounds * n)
    keys, _ = alltoallv(comm, keys, counts)
    if weights is not None:
        weights, _ = alltoallv(comm, weights, counts)
    rank = comm.Get_rank()
    lo, hi = int(bounds[rank]), int(bounds[rank + 1])
    rows = keys // n
    rows -= lo
    columns = np.remainder(keys, n, out=keys)  # in place: no int64 temporaries per entry
    del keys
    indptr = np.zeros(hi - lo + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=hi - lo), out=indptr[1:])
    self_loops = comm.allreduce(int(np.count_nonzero(rows + lo == columns)))
    del rows
    block = RowBlock(
        n=n, nnz=comm.allreduce(int(columns.size)), bounds=bounds, indptr=indptr,
        columns=columns.astype(index_dtype(n)), weights=weights,
        ids=_owned_ids(comm, ids, base, bounds),
        out_weight=(out_weights(comm, columns, weights, bounds) if view.name == "transpose"
                    else None),
        directed=directed,
        self_loops=self_loops,
    )
    return block, text_bytes


def dense_ids(comm: MPI.Comm,
              ends: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Dense ids of the edges' ends ``[src, dst]``, numbered in sorted order of original ids
    over all ranks. The list is emptied as soon as the ids are joined (less memory at the peak).

    Returns (dense src, dense dst, this rank's slice of the sorted ids, its first dense id, n).
    """
    edges = ends[0].size
    joined = np.concatenate(ends)
    ends.clear()
    distinct, inverse = unique_inverse(joined)
    del joined
    if comm.Get_size() == 1:
        mine, base = distinct, 0
        dense = np.arange(distinct.size, dtype=np.int64)
    else:
        counts = bucket_counts(distinct, splitters(comm, distinct))
        arrived, from_each = alltoallv(comm, distinct, counts)
        mine, position = unique_inverse(arrived)
        base = exscan(comm, mine.size)
        dense, _ = alltoallv(comm, position.astype(np.int64) + base, from_each)
    n = comm.allreduce(int(mine.size))
    dense = dense.astype(index_dtype(n))[inverse]
    return dense[:edges], dense[edges:], mine, base, n


def _entries(comm: MPI.Comm, pair: list[np.ndarray], n: int,
             weights: np.ndarray | None, order: np.ndarray | None,
             both: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The pull matrix's entry keys ``row·n + col``, sorted across ranks, duplicates collapsed.

    Row v lists the sources of edges into v (the transpose); with ``both`` each edge also gives
    the reverse entry (an undirected graph, or the symmetric view).
    """
    src, dst = pair
    pair.clear()  # the dense ends go once the keys are made
    count = src.size
    keys = np.empty(2 * count if both else count, dtype=np.int64)
    np.multiply(dst, n, out=keys[:count], dtype=np.int64)  # in place: no int64 row/col copies
    keys[:count] += src
    if both:
        np.multiply(src, n, out=keys[count:], dtype=np.int64)
        keys[count:] += dst
        if weights is not None:
            weights, order = np.concatenate([weights, weights]), np.concatenate([order, order])
    del src, dst
    if weights is None:
        keys, _ = sample_sort(comm, keys)
        return _last_of_each(keys), None
    keys, (order, weights) = sample_sort(comm, keys, (order, weights))
    sequence = np.lexsort((order, keys))
    keys, weights = keys[sequence], weights[sequence]
    last = _last_of_each_mask(keys)
    return keys[last], weights[last]


def _last_of_each_mask(keys: np.ndarray) -> np.ndarray:
    last = np.ones(keys.size, dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=last[:-1])
    return last


def _last_of_each(keys: np.ndarray) -> np.ndarray:
    return keys[_last_of_each_mask(keys)] if keys.size else keys


def vertex_ranges(n: int, size: int) -> np.ndarray:
    """Equal ranges of dense ids, one per rank: where per-vertex sums meet."""
    return (np.arange(size + 1, dtype=np.int64) * n) // size


def balanced_cut(comm: MPI.Comm, rows: np.ndarray, n: int) -> np.ndarray:
    """``partition.balanced_bounds`` of the whole matrix's row lengths, computed distributedly.

    ``rows`` are the (sorted) rows of this rank's entries; their lengths are summed per vertex
    range (:func:`vertex_ranges`) first.
    """
    size = comm.Get_size()
    ranges = vertex_ranges(n, size)
    distinct, lengths = runs(rows)
    counts = range_counts(distinct, ranges)
    got_rows, _ = alltoallv(comm, distinct, counts)
    got_lengths, _ = alltoallv(comm, lengths, counts)
    lo, hi = int(ranges[comm.Get_rank()]), int(ranges[comm.Get_rank() + 1])
    row_nnz = np.bincount(got_rows - lo, got_lengths, minlength=hi - lo).astype(np.int64)
    return cut_by_lengths(comm, row_nnz, n)


def cut_by_lengths(comm: MPI.Comm, row_nnz: np.ndarray, n: int) -> np.ndarray:
    """The balanced bounds from the lengths of the rows in this rank's :func:`vertex_ranges`.

    Each cut is found by the rank whose range holds its target, as ``balanced_bounds`` finds it
    in the whole cumulative sum.
    """
    size = comm.Get_size()
    lo = int(vertex_ranges(n, size)[comm.Get_rank()])
    cumulative = np.cumsum(row_nnz + VERTEX_COST, dtype=np.int64)
    before = exscan(comm, int(cumulative[-1]) if cumulative.size else 0)
    total = comm.allreduce(int(cumulative[-1]) if cumulative.size else 0)
    targets = total * np.arange(1, size, dtype=np.float64) / size
    cuts = np.zeros(size - 1, dtype=np.int64)
    if cumulative.size:
        mine = (targets > before) & (targets <= before + cumulative[-1])
        cuts[mine] = lo + 1 + np.searchsorted(before + cumulative, targets[mine], side="left")
    comm.Allreduce(MPI.IN_PLACE, cuts, op=MPI.MAX)
    bounds = np.concatenate([[0], np.clip(cuts, 0, n), [n]]).astype(np.int64)
    return np.maximum.accumulate(bounds)


def _owned_ids(comm: MPI.Comm, ids: np.ndarray, base: int, bounds: np.ndarray) -> np.ndarray:
    """The original ids of this rank's rows, from the ranks holding the sorted id slices."""
    counts = range_counts(np.arange(base, base + ids.size, dtype=np.int64), bounds)
    owned, _ = alltoallv(comm, ids, counts)
    return owned


def out_weights(comm: MPI.Comm, columns: np.ndarray, weights: np.ndarray | None,
                bounds: np.ndarray) -> np.ndarray:
    """Per owned vertex, the sum over its entries as a *column* (out-degree in the transpose)."""
    if weights is None:
        distinct, sums = runs(np.sort(columns))
        sums = sums.astype(np.float64)
    else:
        distinct, inverse = unique_inverse(columns)
        sums = np.bincount(inverse, weights, minlength=distinct.size)
    counts = range_counts(distinct, bounds)
    got, _ = alltoallv(comm, distinct.astype(np.int64), counts)
    got_sums, _ = alltoallv(comm, sums, counts)
    rank = comm.Get_rank()
    lo, hi = int(bounds[rank]), int(bounds[rank + 1])
    return np.bincount(got - lo, got_sums, minlength=hi - lo)


def build_own_part(comm: MPI.Comm, rows: RowBlock) -> tuple[Part, list[dict[int, int]]]:
    """This rank's :class:`Part` of ``rows`` (as ``partition.build_part`` would cut it), and
    every rank's mailbox sizes."""
    rank, size = comm.Get_rank(), comm.Get_size()
    bounds = rows.bounds
    lo, hi = int(bounds[rank]), int(bounds[rank + 1])
    columns = rows.columns
    outside = (columns < lo) | (columns >= hi)
    ghosts, slot = unique_inverse(columns[outside].astype(np.int64))
    n_local = hi - lo
    local = np.empty(columns.size, dtype=index_dtype(n_local + ghosts.size))
    local[~outside] = columns[~outside] - lo
    local[outside] = n_local + slot
    del outside, slot
    per_owner = range_counts(ghosts, bounds)
    starts = np.concatenate([[0], np.cumsum(per_owner)])
    recv = {q: np.arange(starts[q], starts[q + 1], dtype=np.int64)
            for q in range(size) if per_owner[q]}
    asked, from_each = alltoallv(comm, ghosts, per_owner)
    asked_starts = np.concatenate([[0], np.cumsum(from_each)])
    send = {p: asked[asked_starts[p]:asked_starts[p + 1]] - lo
            for p in range(size) if from_each[p]}
    part = Part(index=rank, n_total=rows.n, vertices=np.arange(lo, hi, dtype=np.int64),
                indptr=rows.indptr, indices=local, weights=rows.weights, ghosts=ghosts,
                recv=recv, send=send)
    incoming = comm.allgather({q: slots.size for q, slots in recv.items()})
    return part, incoming


def ghost_values(comm: MPI.Comm, part: Part, owned: np.ndarray) -> np.ndarray:
    """The owners' ``owned`` values of this part's ghosts, in slot order (one exchange)."""
    size = comm.Get_size()
    order = sorted(part.send)
    counts = np.array([part.send[p].size if p in part.send else 0 for p in range(size)],
                      dtype=np.int64)
    outgoing = (np.concatenate([owned[part.send[p]] for p in order]) if order
                else owned[:0])
    values, _ = alltoallv(comm, outgoing, counts)
    return values
