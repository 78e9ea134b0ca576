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
# Entries per step of the column gathers and scatters in ``build_part`` (see ``_spans``).
CHUNK = 1 << 18


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
        out = np.empty((n, *local_values[0].shape[1:]), dtype=local_values[0].dtype)
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


@dataclass(frozen=True)
class Cut:
    """Which positions each part owns: the vertex order, its inverse, the bounds, the owners."""

    positions: np.ndarray  # positions[k] = dense vertex at position k
    rank: np.ndarray  # rank[v] = position of dense vertex v
    bounds: np.ndarray  # part p owns positions bounds[p]:bounds[p+1]
    owner: np.ndarray  # owner[v] = part owning dense vertex v
    contiguous: bool  # identity order: each part's rows are one slice of the matrix


def cut(matrix: Graph, parts: int, *, order: str = "none", seed: int = 0) -> Cut:
    """Balanced contiguous position ranges of ``matrix``'s rows in the chosen vertex order."""
    checks.positive_int("parts", parts, upper=checks.MAX_WORKERS)
    n = matrix.n
    positions = vertex_order(matrix, order, seed)
    rank = np.empty(n, dtype=np.int64)
    rank[positions] = np.arange(n, dtype=np.int64)
    bounds = balanced_bounds(np.diff(matrix.indptr)[positions], parts)
    owner = np.minimum(np.searchsorted(bounds, rank, side="right") - 1, parts - 1)
    return Cut(positions, rank, bounds, owner.astype(np.int64), order == "none")


def partition(matrix: Graph, parts: int, *, order: str = "none", seed: int = 0) -> Partitioning:
    """Cut ``matrix`` (rows pulled by the program) into ``parts`` balanced row blocks."""
    where = cut(matrix, parts, order=order, seed=seed)
    # Shared scratch, O(n) once instead of per part: ``mark`` is all False between parts, and
    # ``local_of`` needs no reset because a part reads only the entries it has just written.
    mark = np.zeros(matrix.n, dtype=bool)
    local_of = np.empty(matrix.n, dtype=index_dtype(matrix.n))
    built = [build_part(matrix, p, where, mark, local_of) for p in range(parts)]
    for part in built:
        for q, slots in part.recv.items():
            ghost_rank = where.rank[part.ghosts[slots]]
            built[q].send[part.index] = (ghost_rank - where.bounds[q]).astype(np.int64)
    return Partitioning(built, where.positions, where.bounds, where.owner)


def build_part(
    matrix: Graph,
    p: int,
    where: Cut,
    mark: np.ndarray | None = None,
    local_of: np.ndarray | None = None,
) -> Part:
    """Part ``p``: its rows renumbered to local columns, its ghosts and where they come from.

    ``mark`` (n bools, all False) and ``local_of`` (n ints) are scratch that callers building
    several parts share; ``send`` is left empty (it needs every part's ghosts).
    """
    positions, bounds, owner = where.positions, where.bounds, where.owner
    if mark is None:
        mark = np.zeros(matrix.n, dtype=bool)
    if local_of is None:
        local_of = np.empty(matrix.n, dtype=index_dtype(matrix.n))
    vertices = positions[bounds[p] : bounds[p + 1]]
    starts = matrix.indptr[vertices]
    lengths = matrix.indptr[vertices + 1] - starts
    indptr = np.zeros(vertices.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    # With the identity order a part's rows are one slice of the matrix: views, no gather.
    if where.contiguous:
        first = int(starts[0]) if vertices.size else 0
        entries: slice | np.ndarray = slice(first, first + int(indptr[-1]))
    else:
        entries = _ranges(starts, lengths)
    columns = matrix.indices[entries]
    weights = None if matrix.weights is None else matrix.weights[entries]

    # Ghosts: the referenced vertices not owned here, marked in O(n + nnz) without a sort. Read
    # back in position order they come sorted by owner (each owns a position range), which makes
    # each owner's slots one run.
    for span in _spans(columns.size):
        mark.put(columns[span], True)
    mark[vertices] = False
    ghosts = positions[np.flatnonzero(mark[positions])]
    mark[ghosts] = False

    n_local = vertices.size
    local_of[vertices] = np.arange(n_local)
    local_of[ghosts] = np.arange(n_local, n_local + ghosts.size)
    local = np.empty(columns.size, dtype=index_dtype(n_local + ghosts.size))
    for span in _spans(columns.size):
        # Every column is < n, so "clip" never clips: it only skips the bounds check (2x faster).
        local[span] = local_of.take(columns[span], mode="clip")

    recv: dict[int, np.ndarray] = {}
    if ghosts.size:
        ghost_owner = owner[ghosts]
        cuts = np.flatnonzero(np.diff(ghost_owner)) + 1
        for run in np.split(np.arange(ghosts.size, dtype=np.int64), cuts):
            recv[int(ghost_owner[run[0]])] = run
    return Part(
        index=p,
        n_total=positions.size,
        vertices=vertices.copy(),
        indptr=indptr,
        indices=local,
        weights=weights,
        ghosts=ghosts,
        recv=recv,
    )


def _spans(size: int) -> list[slice]:
    """Consecutive slices of ``CHUNK`` entries. numpy copies int32 indices to intp before a
    gather or scatter: per slice that copy stays cache-sized instead of 8 bytes per entry."""
    return [slice(start, start + CHUNK) for start in range(0, size, CHUNK)]


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for each pair, vectorised.

    A running sum of unit steps that jumps to the next start at each range's first entry: one
    int64 array of the total length (``repeat`` of offsets plus ``arange`` took three).
    """
    nonempty = lengths > 0
    starts, lengths = starts[nonempty], lengths[nonempty]
    steps = np.ones(int(lengths.sum()), dtype=np.int64)
    if steps.size:
        steps[0] = starts[0]
        steps[np.cumsum(lengths[:-1])] = starts[1:] - (starts[:-1] + lengths[:-1]) + 1
    return np.cumsum(steps, out=steps)
