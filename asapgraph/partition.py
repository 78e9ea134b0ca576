"""Split a pull matrix into P row blocks with ghost vertices and the boundary pack lists.

A part owns a contiguous range of (optionally reordered) vertex positions. Its rows keep their
in-edges; a column is either an owned vertex (local index ``0..n_local-1``) or a *ghost* owned by
another part (local index ``n_local + slot``). For each ordered pair q → p of the partition
dependency graph, ``send[p]`` in part q lists q's local indices whose values p needs, and
``recv[q]`` in part p lists the ghost slots they land in, in the same order: packing q's values
with one and scattering them with the other is the whole exchange.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from asapgraph import checks
from asapgraph.graph import Graph, index_dtype

ORDERS = ("none", "degree", "random")
# A vertex costs about as much as this many in-edges in a local step (the per-row vector work of
# a sweep), measured on email-Enron: without it, the part with many low-degree rows was 1.8x
# slower than the one with few high-degree rows at equal nnz + rows.
VERTEX_COST = 8


@dataclass
class Part:
    """One worker's share: its rows in local column numbering, ghosts, and pack lists."""

    index: int
    n_total: int
    vertices: np.ndarray  # dense global ids owned, in local order
    indptr: np.ndarray  # int64, n_local + 1
    indices: np.ndarray  # local column ids: < n_local owned, else n_local + ghost slot
    weights: np.ndarray | None
    ghosts: np.ndarray  # dense global ids of ghost slots, grouped by owner
    recv: dict[int, np.ndarray] = field(default_factory=dict)  # q -> ghost slots q fills
    send: dict[int, np.ndarray] = field(default_factory=dict)  # p -> local ids packed for p

    @property
    def n_local(self) -> int:
        """Number of owned vertices."""
        return self.vertices.size

    @property
    def n_ghost(self) -> int:
        """Number of ghost slots."""
        return self.ghosts.size

    @property
    def nnz(self) -> int:
        """Number of stored entries (in-edges) in this part's rows."""
        return self.indices.size


@dataclass
class Partitioning:
    """The parts, the vertex order they were cut from, and the dependency graph q → p."""

    parts: list[Part]
    order: np.ndarray  # order[k] = dense vertex at position k
    bounds: np.ndarray  # part p owns positions bounds[p]:bounds[p+1]
    owner: np.ndarray  # owner[v] = part owning dense vertex v

    @property
    def dependencies(self) -> list[tuple[int, int]]:
        """Edges (q, p) of the partition dependency graph: q feeds p."""
        return [(q, part.index) for part in self.parts for q in sorted(part.recv)]

    def gather(self, local_values: list[np.ndarray], n: int) -> np.ndarray:
        """Assemble a global array from each part's owned values (dense vertex order)."""
        out = np.empty(n, dtype=local_values[0].dtype)
        for part, values in zip(self.parts, local_values, strict=True):
            out[part.vertices] = values[: part.n_local]
        return out


def vertex_order(matrix: Graph, order: str, seed: int) -> np.ndarray:
    """Positions → dense vertex ids: identity, by descending row cost, or a seeded shuffle."""
    checks.choice("order", order, ORDERS)
    n = matrix.n
    if order == "none":
        return np.arange(n, dtype=np.int64)
    if order == "degree":
        # Interleave heavy and light rows so contiguous cuts get similar mixes of both.
        by_cost = np.argsort(-np.diff(matrix.indptr), kind="stable")
        return np.concatenate([by_cost[0::2], by_cost[1::2][::-1]]).astype(np.int64)
    return np.random.default_rng(seed).permutation(n).astype(np.int64)


def balanced_bounds(row_nnz: np.ndarray, parts: int, vertex_cost: int = VERTEX_COST) -> np.ndarray:
    """Cut positions so each part gets about the same sum of (row nnz + ``vertex_cost``)."""
    n = row_nnz.size
    cumulative = np.concatenate([[0], np.cumsum(row_nnz + vertex_cost, dtype=np.int64)])
    targets = cumulative[-1] * np.arange(1, parts, dtype=np.float64) / parts
    cuts = np.searchsorted(cumulative, targets, side="left")
    bounds = np.concatenate([[0], np.clip(cuts, 0, n), [n]]).astype(np.int64)
    return np.maximum.accumulate(bounds)


def partition(matrix: Graph, parts: int, *, order: str = "none", seed: int = 0) -> Partitioning:
    """Cut ``matrix`` (rows pulled by the program) into ``parts`` balanced row blocks."""
    checks.positive_int("parts", parts, upper=checks.MAX_WORKERS)
    n = matrix.n
    positions = vertex_order(matrix, order, seed)
    rank = np.empty(n, dtype=np.int64)
    rank[positions] = np.arange(n, dtype=np.int64)
    bounds = balanced_bounds(np.diff(matrix.indptr)[positions], parts)
    owner = (np.searchsorted(bounds, rank, side="right") - 1).astype(np.int64)
    owner = np.minimum(owner, parts - 1)

    scratch = np.full(n, -1, dtype=np.int64)  # vertex -> ghost slot, reset after each part
    built = [
        _build_part(matrix, p, positions[bounds[p] : bounds[p + 1]], rank, bounds, owner, scratch)
        for p in range(parts)
    ]
    for part in built:
        for q, slots in part.recv.items():
            ghost_rank = rank[part.ghosts[slots]]
            built[q].send[part.index] = (ghost_rank - bounds[q]).astype(np.int64)
    return Partitioning(built, positions, bounds, owner)


def _build_part(
    matrix: Graph,
    p: int,
    vertices: np.ndarray,
    rank: np.ndarray,
    bounds: np.ndarray,
    owner: np.ndarray,
    scratch: np.ndarray,
) -> Part:
    starts, stops = matrix.indptr[vertices], matrix.indptr[vertices + 1]
    lengths = stops - starts
    indptr = np.zeros(vertices.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    gather = _ranges(starts, lengths)
    columns = matrix.indices[gather].astype(np.int64)
    weights = None if matrix.weights is None else matrix.weights[gather]

    col_owner = owner[columns]
    is_ghost = col_owner != p
    # Ghost slots sorted by (owner, position) so each owner's slots form one run. Marking in an
    # n-sized scratch array is O(n + nnz), where np.unique/searchsorted would sort.
    ghost_columns = columns[is_ghost]
    scratch[ghost_columns] = 0
    ghost_vertices = np.flatnonzero(scratch >= 0)
    ghost_key = owner[ghost_vertices] * (rank.size + 1) + rank[ghost_vertices]
    ghost_vertices = ghost_vertices[np.argsort(ghost_key, kind="stable")]
    ghost_owner = owner[ghost_vertices]
    scratch[ghost_vertices] = np.arange(ghost_vertices.size)

    n_local = vertices.size
    local = np.empty(columns.size, dtype=np.int64)
    local[~is_ghost] = rank[columns[~is_ghost]] - bounds[p]
    local[is_ghost] = n_local + scratch[ghost_columns]
    scratch[ghost_vertices] = -1

    recv: dict[int, np.ndarray] = {}
    if ghost_owner.size:
        cuts = np.flatnonzero(np.diff(ghost_owner)) + 1
        for run in np.split(np.arange(ghost_owner.size, dtype=np.int64), cuts):
            recv[int(ghost_owner[run[0]])] = run
    return Part(
        index=p,
        n_total=rank.size,
        vertices=vertices.astype(np.int64),
        indptr=indptr,
        indices=local.astype(index_dtype(n_local + ghost_vertices.size)),
        weights=weights,
        ghosts=ghost_vertices.astype(np.int64),
        recv=recv,
    )


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for each pair, vectorised."""
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.arange(total, dtype=np.int64) + offsets
