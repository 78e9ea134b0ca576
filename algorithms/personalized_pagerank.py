"""Personalised PageRank for k teleport distributions at once, as one vector-state program.

Column j of the state runs :class:`~.pagerank.PageRank`'s power method with teleport p_j:
x_v = d·Σ_u w_uv·x_u/outweight_u + (d·D_j + (1 − d)·S_j)·p_j[v], D_j and S_j column j's dangling
mass and sum (the global scalars, a 2×k array summed in the engine's reduction), x_j / sum(x_j)
at the end: networkx's ``pagerank(personalization=p_j)`` (dangling vertices jump like the
personalization). The k columns share everything but the teleport: a round is one sparse matrix
times dense n×k product per chunk, so each pass over the edges serves every seed, and each
boundary vertex travels once per message with its k values. The run stops when every column has
passed the test one PageRank would apply to it alone (the reduction sums changes and norms column
by column).

With the ``fast`` extra a chunk's step is one compiled pass (product, teleport, scaling and change
per row, see ``accelerate.py``) instead of scipy's product and four numpy passes over rows×k;
both compute the same sums, the compiled pass row by row (equal to rounding).
"""

from __future__ import annotations

import copy
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from asapgraph import checks
from asapgraph.graph import Graph
from asapgraph.program import Block, RowChunk, VertexProgram

from . import accelerate
from .pagerank import DEFAULT_DAMPING, DEFAULT_TOL, PageRank


class PersonalizedPageRank(VertexProgram):
    """k personalised PageRanks in one run.

    Parameters
    ----------
    teleports : scipy.sparse array, shape (n, k)
        Column j is seed j's personalization by dense id (non-negative; normalised here).
    damping, tol, max_iter, weighted
        As :class:`~.pagerank.PageRank`; ``tol`` holds for every column.
    """

    name: ClassVar[str] = "personalized_pagerank"
    dtype: ClassVar[type] = np.float64
    combine: ClassVar[str] = "replace"
    scalars: ClassVar[tuple[str, ...]] = ("dangling mass", "sum")
    must_converge: ClassVar[bool] = True

    def __init__(self, teleports: sp.sparray, damping: float = DEFAULT_DAMPING,
                 tol: float = DEFAULT_TOL, max_iter: int = 1000, *, weighted: bool = True) -> None:
        self.single = PageRank(damping, tol, max_iter, weighted=weighted)  # shared parameters
        self.damping, self.tol, self.max_iter = damping, tol, self.single.max_iter
        teleports = sp.csc_array(teleports, dtype=np.float64)
        if teleports.ndim != 2 or teleports.shape[1] == 0:
            raise ValueError("teleports must be an n×k matrix with at least one column.")
        if teleports.data.size and (np.any(teleports.data < 0)
                                    or not np.all(np.isfinite(teleports.data))):
            raise ValueError("personalization values must be finite and non-negative.")
        sums = np.asarray(teleports.sum(axis=0)).ravel()
        if np.any(sums <= 0):
            raise ValueError(f"personalization {int(np.flatnonzero(sums <= 0)[0])} sums to zero.")
        self.teleports = sp.csr_array(teleports @ sp.diags_array(1.0 / sums))
        self.width = teleports.shape[1]
        checks.positive_int("seeds", self.width)
        _load_kernel()

    def shipped(self) -> PersonalizedPageRank:
        """The teleports are sparse (a few entries per seed): they travel with the program."""
        light = copy.copy(self)
        light.single = self.single.shipped()
        return light

    def matrix(self, graph: Graph) -> Graph:
        """Pull from in-neighbours, as PageRank."""
        return self.single.matrix(graph)

    def vertex_data(self, graph: Graph) -> dict[str, np.ndarray]:
        """PageRank's ``scale``, ``unscale`` and ``dangling`` (the teleports travel sparse)."""
        if self.teleports.shape[0] != graph.n:
            raise ValueError(f"teleports have {self.teleports.shape[0]} rows for {graph.n} "
                             "vertices.")
        data = self.single.vertex_data(graph)
        return {name: data[name] for name in ("scale", "unscale", "dangling")}

    def _local(self, block: Block) -> sp.csr_array:
        """The teleports of the block's owned rows, in local order (once per run)."""
        local = block.scratch.get(self.name)
        if local is None:
            local = block.scratch[self.name] = self.teleports[block.vertices[: block.n_local]]
        return local

    def init(self, block: Block) -> np.ndarray:
        """Start every column at its own teleport distribution, as states."""
        values = self.teleports[block.vertices].toarray() * block.data["scale"][:, None]
        return values.reshape(len(values), *self.value_shape)

    def partials(self, block: Block, values: np.ndarray) -> np.ndarray:
        """This block's dangling mass and sum of ranks, per column (2×k)."""
        n = block.n_local
        states = columns(values)[:n]
        shares = np.stack([block.data["dangling"][:n] @ states, block.data["unscale"][:n] @ states])
        return shares.reshape(self.scalars_shape)

    def step(self, block: Block, values: np.ndarray, chunk: RowChunk) -> np.ndarray | float:
        """One sweep of the chunk's rows for every column; returns each column's L1 change."""
        lo, hi = chunk.lo, chunk.hi
        d, data = self.damping, block.data
        states = columns(values)
        mass, total = block.totals.reshape(2, self.width)
        coefficient = d * mass + (1.0 - d) * total  # how much each column teleports this round
        local, matrix = self._local(block), chunk.matrix
        moved_totals = np.zeros((2, self.width))
        change = np.zeros(self.width)
        kernel = accelerate.compiled(_ppr_rows)
        if kernel is not None:
            kernel(matrix.indptr, matrix.indices, matrix.data, states, lo, hi, data["scale"],
                   data["unscale"], data["dangling"], local.indptr, local.indices, local.data,
                   d, coefficient, change, moved_totals)
        else:
            rank = d * (matrix @ states)
            teleport = local[lo:hi].tocoo()
            rank[teleport.row, teleport.col] += teleport.data * coefficient[teleport.col]
            moved = rank - states[lo:hi] * data["unscale"][lo:hi, None]
            states[lo:hi] = rank * data["scale"][lo:hi, None]
            moved_totals[:] = data["dangling"][lo:hi] @ moved, moved.sum(axis=0)
            change[:] = np.abs(moved).sum(axis=0)
        # Gauss–Seidel on the scalars too, as PageRank: the next chunk sees this one's share.
        block.totals += moved_totals.reshape(block.totals.shape)
        return change.reshape(self.value_shape)

    def norm(self, block: Block, values: np.ndarray) -> np.ndarray | float:
        """This block's share of each column's sum(x)."""
        n = block.n_local
        return (block.data["unscale"][:n] @ columns(values)[:n]).reshape(self.value_shape)

    def converged(self, total_change: np.ndarray, total_norm: np.ndarray, n_total: int) -> bool:
        """Every column passes PageRank's own test (see :meth:`PageRank.converged`)."""
        return all(self.single.converged(float(c), float(s), n_total)
                   for c, s in zip(np.atleast_1d(total_change), np.atleast_1d(total_norm),
                                   strict=True))

    def local_threshold(self, block: Block, values: np.ndarray) -> np.ndarray | float:
        """PageRank's share of the threshold, column by column."""
        return (block.n_total * self.tol * (1.0 - self.damping) / (2.0 * self.damping)
                * self.norm(block, values))

    def finish(self, values: np.ndarray, graph: Graph) -> np.ndarray:
        """Undo the scaling and normalise every column to sum 1: always n×k."""
        unscale = self.single.ranks(np.ones(graph.n), graph)  # outweight, cached per graph
        rank = columns(values) * unscale[:, None]
        totals = rank.sum(axis=0)
        return rank / np.where(totals > 0, totals, 1.0)


def columns(values: np.ndarray) -> np.ndarray:
    """The state as rows × k (a view): one seed keeps the engine's flat layout."""
    return values.reshape(len(values), -1)


def _ppr_rows(indptr, indices, data, states, lo, hi, scale, unscale, dangling, t_indptr,
              t_indices, t_data, damping, coefficient, change, moved_totals):
    """Rows lo:hi of one step, compiled: the numpy path's sums, row by row, in one pass."""
    k = states.shape[1]
    out = np.zeros((hi - lo, k))
    for r in range(hi - lo):
        for e in range(indptr[r], indptr[r + 1]):
            a, j = data[e], indices[e]
            for c in range(k):
                out[r, c] += a * states[j, c]
    for r in range(hi - lo):
        row = lo + r
        for c in range(k):
            out[r, c] *= damping
        for e in range(t_indptr[row], t_indptr[row + 1]):
            c = t_indices[e]
            out[r, c] += t_data[e] * coefficient[c]
        for c in range(k):
            moved = out[r, c] - states[row, c] * unscale[row]
            change[c] += abs(moved)
            moved_totals[0, c] += dangling[row] * moved
            moved_totals[1, c] += moved
            states[row, c] = out[r, c] * scale[row]


def _load_kernel() -> None:
    """Compile (or load from numba's cache) before an engine forks its workers."""
    kernel = accelerate.compiled(_ppr_rows)
    if kernel is None:
        return
    for index in (np.int32, np.int64):
        kernel(np.array([0, 1], dtype=index), np.array([0], dtype=index), np.ones(1),
               np.ones((1, 2)), 0, 1, np.ones(1), np.ones(1), np.zeros(1),
               np.array([0, 1], dtype=np.int32), np.array([0], dtype=np.int32), np.ones(1), 0.85,
               np.ones(2), np.zeros(2), np.zeros((2, 2)))
