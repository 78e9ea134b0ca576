"""Weakly connected components as a vertex program: each vertex ends with the least id it reaches.

Labels only ever decrease (combine ``min``), so stale, reordered or repeated boundary values are
harmless: asynchronous rounds converge to the same labels as synchronous ones (a monotone operator,
DESIGN §4). A step solves its chunk to the local fixed point rather than moving labels one hop: the
chunk's own components (found by scipy) each take the least label that any member or neighbour
holds. A long path inside a chunk then costs one round instead of one round per hop.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from asapgraph import checks
from asapgraph.graph import Graph
from asapgraph.program import Block, RowChunk, VertexProgram

# A cap that never binds: each synchronous round carries every component's least label at least
# one hop further, so a run ends within n + 1 rounds, far below this for any graph that fits.
DEFAULT_MAX_ITER = 2**31 - 1


class ConnectedComponents(VertexProgram):
    """Weakly connected components by least-label propagation on the symmetrised graph.

    The state of a vertex is the least dense id known in its component; the result labels each
    vertex with the smallest original id in its component (see :func:`smallest_member_ids`).

    Parameters
    ----------
    max_iter : int
        Rounds before :class:`~asapgraph.ConvergenceError` is raised. The run always converges
        (within n + 1 synchronous rounds), so the default never binds; a smaller cap is a budget.
    """

    name: ClassVar[str] = "connected_components"
    dtype: ClassVar[type] = np.int64
    combine: ClassVar[str] = "min"
    must_converge: ClassVar[bool] = True

    def __init__(self, max_iter: int = DEFAULT_MAX_ITER) -> None:
        self.max_iter = checks.non_negative_int("max_iter", max_iter)

    def matrix(self, graph: Graph) -> Graph:
        """Weak connectivity ignores direction: pull from the symmetrised adjacency."""
        return graph.symmetric

    def init(self, block: Block) -> np.ndarray:
        """Every vertex, owned or ghost, starts with its own dense id."""
        return block.vertices.astype(np.int64)

    def step(self, block: Block, values: np.ndarray, chunk: RowChunk) -> float:
        """Give each of the chunk's own components the least label it touches; count changes."""
        lo, hi = chunk.lo, chunk.hi
        if hi == lo:
            return 0.0
        reach = values[lo:hi].copy()
        nonempty = np.flatnonzero(np.diff(chunk.indptr))
        if nonempty.size:
            # reduceat over the non-empty rows only: an empty row would read its neighbour's entry.
            nearest = np.minimum.reduceat(values[chunk.indices], chunk.indptr[nonempty])
            reach[nonempty] = np.minimum(reach[nonempty], nearest)
        if np.array_equal(reach, values[lo:hi]):
            return 0.0  # no row sees a smaller label: the chunk already is at its fixed point
        count, piece = _chunk_components(chunk)
        least = np.full(count, np.iinfo(np.int64).max)
        np.minimum.at(least, piece, reach)
        labels = least[piece]
        changed = np.count_nonzero(labels != values[lo:hi])
        values[lo:hi] = labels
        return float(changed)

    def converged(self, total_change: float, total_norm: float, n_total: int) -> bool:
        """Done when a round changed no label (the engine asks only with nothing in flight)."""
        return total_change == 0

    def finish(self, values: np.ndarray, graph: Graph) -> np.ndarray:
        """Label each vertex with the smallest original id in its component."""
        return smallest_member_ids(values, graph)


def _chunk_components(chunk: RowChunk) -> tuple[int, np.ndarray]:
    """Components of the subgraph the chunk's rows induce among themselves (scipy, O(n + m))."""
    size = chunk.hi - chunk.lo
    inside = (chunk.indices >= chunk.lo) & (chunk.indices < chunk.hi)
    indptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(chunk.row_of_entry[inside], minlength=size), out=indptr[1:])
    columns = chunk.indices[inside] - chunk.lo
    induced = sp.csr_array((np.ones(columns.size), columns, indptr), (size, size))
    # The induced graph is symmetric, so its strong components are its weak ones, and scipy finds
    # strong ones without building the transpose. float64 data spares scipy a converted copy.
    count, piece = connected_components(induced, directed=True, connection="strong")
    return int(count), piece


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
