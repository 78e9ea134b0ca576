"""Weakly connected components as a vertex program: each vertex ends with the least id it reaches.

Labels only ever decrease (combine ``min``), so stale, reordered or repeated boundary values are
harmless: asynchronous rounds converge to the same labels as synchronous ones (a monotone operator,
DESIGN §4). A step solves its block to the local fixed point rather than moving labels one hop.
The block's rows with their ghost columns fall into *pieces* — sets connected without leaving the
block, found once per run — and every member of a piece ends with the least label any member
holds. The pieces never change, so a later round only folds in the ghost labels that dropped
since the last one: O(vertices) instead of O(edges), and a path inside a block costs one round,
not one round per hop.

The pieces come from a union-find pass compiled by numba when it is installed (see
``accelerate.py``), else from scipy's weak components; both give the same pieces. On R-MAT 20
split in two (15.7M entries a block) union-find takes 0.08 s against scipy's 0.42 s, whose weak
components first build the transpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from asapgraph import checks
from asapgraph.graph import Graph, index_dtype
from asapgraph.program import Block, RowChunk, VertexProgram

from . import accelerate

# A cap that never binds: each synchronous round carries every component's least label at least
# one hop further, so a run ends within n + 1 rounds, far below this for any graph that fits.
DEFAULT_MAX_ITER = 2**31 - 1
_NO_LABEL = np.iinfo(np.int64).max


class ConnectedComponents(VertexProgram):
    """Weakly connected components by least-label propagation on the symmetrised graph.

    The state of a vertex is the least dense id known in its component; the result labels each
    vertex with the smallest original id in its component (see :func:`smallest_member_ids`).

    Parameters
    ----------
    max_iter : int
        Rounds before :class:`~asapgraph.ConvergenceError` is raised. The run always converges
        (within n + 1 synchronous rounds), so the default never binds; a smaller cap is a budget.
    start : numpy.ndarray, optional
        Starting label of each vertex by dense id (default: its own id). Any labels that are
        dense ids of members of the vertex's component give the same result: a warm start after
        edge changes (``asapgraph/warm.py``) passes the old labels where they still hold.
    """

    name: ClassVar[str] = "connected_components"
    dtype: ClassVar[type] = np.int64
    combine: ClassVar[str] = "min"
    must_converge: ClassVar[bool] = True
    chunks: ClassVar[int | None] = 1  # a step settles the whole block: merge points buy nothing
    synchronous_by_design: ClassVar[str | None] = (
        "the first round (each block's pieces) is most of the work and a run needs only a few "
        "rounds after it, so no schedule ends before the slowest worker has done its first round"
    )

    def __init__(self, max_iter: int = DEFAULT_MAX_ITER, *,
                 start: np.ndarray | None = None) -> None:
        self.max_iter = checks.non_negative_int("max_iter", max_iter)
        self.start = start
        _load_union_find()

    def shipped(self) -> ConnectedComponents:
        """Workers get no start labels: they travel in ``vertex_data``."""
        return ConnectedComponents(self.max_iter)

    def vertex_data(self, graph: Graph) -> dict[str, np.ndarray]:
        """The start labels, when given."""
        return {} if self.start is None else {"start": np.asarray(self.start, dtype=np.int64)}

    def matrix(self, graph: Graph) -> Graph:
        """Weak connectivity ignores direction: pull from the symmetrised adjacency."""
        return graph.symmetric

    def init(self, block: Block) -> np.ndarray:
        """Every vertex, owned or ghost, starts with its own dense id (or its start label)."""
        return block.data.get("start", block.vertices).astype(np.int64)

    def step(self, block: Block, values: np.ndarray, chunk: RowChunk) -> float:
        """Fold the ghost labels that dropped into their pieces, relabel the owned rows, count."""
        pieces = block.scratch.get(self.name)
        if not isinstance(pieces, _Pieces):
            pieces = block.scratch[self.name] = _Pieces.of(block, values)
        owned = block.n_local
        ghosts = values[owned:]
        dropped = np.flatnonzero(ghosts < pieces.seen)
        if dropped.size:
            np.minimum.at(pieces.least, pieces.piece[owned + dropped], ghosts[dropped])
            pieces.seen[dropped] = ghosts[dropped]
        labels = pieces.least[pieces.piece[:owned]]
        changed = np.count_nonzero(labels != values[:owned])
        values[:owned] = labels
        return float(changed)

    def converged(self, total_change: float, total_norm: float, n_total: int) -> bool:
        """Done when a round changed no label (the engine asks only with nothing in flight)."""
        return total_change == 0

    def finish(self, values: np.ndarray, graph: Graph) -> np.ndarray:
        """Label each vertex with the smallest original id in its component."""
        return smallest_member_ids(values, graph)


@dataclass
class _Pieces:
    """A block cut into pieces connected inside it, with each piece's least label so far."""

    piece: np.ndarray  # piece of every local vertex: owned rows, then ghost slots
    least: np.ndarray  # least label seen in each piece
    seen: np.ndarray  # each ghost's label as already folded into ``least``

    @classmethod
    def of(cls, block: Block, values: np.ndarray) -> _Pieces:
        """Pieces of the block's rows and ghosts (O(n + m)), labelled from ``values``."""
        piece = block_pieces(block)
        least = np.full(block.n_local + block.n_ghost, _NO_LABEL)
        np.minimum.at(least, piece, values)
        return cls(piece=piece, least=least, seen=values[block.n_local :].copy())


def block_pieces(block: Block) -> np.ndarray:
    """For each owned vertex and ghost, a piece number below ``n_local + n_ghost``.

    Two vertices share a piece when the block's rows connect them (ghost rows are empty: a
    ghost joins the pieces of the rows that list it).
    """
    size = block.n_local + block.n_ghost
    union_find = accelerate.compiled(_union_find)
    if union_find is not None:
        return union_find(block.indptr, block.indices, block.n_local, size)
    nnz = block.indices.size
    dtype = index_dtype(max(size, nnz + 1))
    # Same dtype for offsets and columns, or scipy upcasts both to int64 copies.
    indptr = np.empty(size + 1, dtype=dtype)
    indptr[: block.n_local + 1] = block.indptr
    indptr[block.n_local + 1 :] = nnz
    import scipy.sparse as sp  # with csgraph, 0.17 s of imports: only where numba is absent
    from scipy.sparse.csgraph import connected_components

    matrix = sp.csr_array((size, size), dtype=np.float64)
    matrix.indptr, matrix.indices = indptr, block.indices.astype(dtype, copy=False)
    matrix.data = np.ones(nnz)
    return connected_components(matrix, directed=True, connection="weak")[1]


def _union_find(indptr, indices, n_local, size):
    """Pieces as root ids: union by smaller root, path halving (compiled by numba)."""
    parent = np.arange(size)
    for row in range(n_local):
        for k in range(indptr[row], indptr[row + 1]):
            column = indices[k]
            if column <= row:
                continue  # the block's own rows are symmetric: each pair is seen twice
            a, b = row, column
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            while parent[b] != b:
                parent[b] = parent[parent[b]]
                b = parent[b]
            if a < b:
                parent[b] = a
            elif b < a:
                parent[a] = b
    # A parent is never above its child, so one ascending pass leaves every vertex on its root.
    for v in range(size):
        parent[v] = parent[parent[v]]
    return parent


def _load_union_find() -> None:
    """Compile (or load from numba's cache) the kernel for both index widths, if numba is on."""
    union_find = accelerate.compiled(_union_find)
    if union_find is not None:
        for dtype in (np.int32, np.int64):
            union_find(np.array([0, 1, 1]), np.array([1], dtype=dtype), 2, 2)


def smallest_member_ids(groups: np.ndarray, graph: Graph) -> np.ndarray:
    """Name each group of vertices by the smallest original id among its members.

    ``groups`` holds one group number per vertex, in ``0..n-1`` (a member's dense id, as the
    programs' states are, or any numbering). Integer ids give each group its least id even where
    ``graph.ids`` is not sorted (graphs built from networkx keep node order); other ids give the
    id of the group's least dense member.
    """
    ids = graph.ids
    n = groups.size
    if np.issubdtype(ids.dtype, np.integer):
        least = np.full(n, np.iinfo(ids.dtype).max, dtype=ids.dtype)
        np.minimum.at(least, groups, ids)
        return least[groups]
    first = np.full(n, n, dtype=np.int64)
    np.minimum.at(first, groups, np.arange(n))
    return ids[first[groups]]
