"""Personalised PageRank for k teleport distributions at once, as one vector-state program.

Column j of the state solves the same linear system as :class:`~.pagerank.PageRank`,
(I − d·Pᵀ) y_j = (1 − d)·p_j with dangling rows empty, x_j = y_j / sum(y_j): networkx's
``pagerank(personalization=p_j)`` (dangling vertices jump like the personalization). The k columns
share everything but the teleport: a round is one sparse matrix times dense n×k product per chunk,
so each pass over the edges serves every seed, and each boundary vertex travels once per message
with its k values. The run stops when every column has passed the test one PageRank would apply to
it alone (the reduction sums changes and norms column by column).
"""

from __future__ import annotations

import copy
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from asapgraph import checks
from asapgraph.graph import Graph
from asapgraph.program import Block, RowChunk, VertexProgram

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

    def shipped(self) -> PersonalizedPageRank:
        """The teleports are sparse (a few entries per seed): they travel with the program."""
        light = copy.copy(self)
        light.single = self.single.shipped()
        return light

    def matrix(self, graph: Graph) -> Graph:
        """Pull from in-neighbours, as PageRank."""
        return self.single.matrix(graph)

    def vertex_data(self, graph: Graph) -> dict[str, np.ndarray]:
        """``scale`` = 1/outweight (1 if dangling), as PageRank's."""
        if self.teleports.shape[0] != graph.n:
            raise ValueError(f"teleports have {self.teleports.shape[0]} rows for {graph.n} "
                             "vertices.")
        return {"scale": self.single.vertex_data(graph)["scale"]}

    def _local(self, block: Block) -> sp.csr_array:
        """(1 − d)·teleports for the block's owned rows, in local order (once per run)."""
        local = block.scratch.get(self.name)
        if local is None:
            owned = block.vertices[: block.n_local]
            local = block.scratch[self.name] = (1.0 - self.damping) * self.teleports[owned]
        return local

    def init(self, block: Block) -> np.ndarray:
        """Start every column at its teleport term (the first Neumann iterate), as states."""
        values = (1.0 - self.damping) * self.teleports[block.vertices].toarray()
        values *= block.data["scale"][:, None]
        return values.reshape(len(values), *self.value_shape)

    def step(self, block: Block, values: np.ndarray, chunk: RowChunk) -> np.ndarray | float:
        """One sweep of the chunk's rows for every column; returns each column's L1 change."""
        lo, hi = chunk.lo, chunk.hi
        states = columns(values)
        scale = block.data["scale"][lo:hi, None]
        rank = self.damping * (chunk.matrix @ states)
        teleport = self._local(block)[lo:hi].tocoo()
        rank[teleport.row, teleport.col] += teleport.data
        change = np.abs(rank - states[lo:hi] / scale).sum(axis=0)
        states[lo:hi] = rank * scale
        return change.reshape(self.value_shape)

    def norm(self, block: Block, values: np.ndarray) -> np.ndarray | float:
        """This block's share of each column's sum(y)."""
        n = block.n_local
        totals = (columns(values)[:n] / block.data["scale"][:n, None]).sum(axis=0)
        return totals.reshape(self.value_shape)

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
        outweight = self.single.ranks(np.ones(graph.n), graph)  # 1/scale, cached per graph
        rank = columns(values) * outweight[:, None]
        totals = rank.sum(axis=0)
        return rank / np.where(totals > 0, totals, 1.0)


def columns(values: np.ndarray) -> np.ndarray:
    """The state as rows × k (a view): one seed keeps the engine's flat layout."""
    return values.reshape(len(values), -1)
