"""PageRank as a vertex program, in the linear-system form of DESIGN §5.

Solves (I − d·Pᵀ) y = (1 − d)·p with dangling rows of P left empty, then returns x = y / sum(y):
exactly networkx's PageRank with dangling mass redistributed like the personalization (uniform by
default), and without a global scalar per round — a per-round dangling sum would be a barrier in
disguise. The state a vertex publishes is ``s_v = y_v / outweight_v`` (``y_v`` when dangling), so a
row update is one sparse dot product: ``y_v = (1 − d)·p_v + d·Σ_u w_uv·s_u``.
"""

from __future__ import annotations

import copy
from typing import ClassVar

import numpy as np

from asapgraph import checks
from asapgraph.graph import Graph
from asapgraph.program import Block, RowChunk, VertexProgram

DEFAULT_DAMPING = 0.85
DEFAULT_TOL = 1e-6  # networkx's default: stop when one round's L1 change < n·tol


class PageRank(VertexProgram):
    """PageRank with damping ``damping``; ``tol`` bounds the L1 error per vertex.

    Parameters
    ----------
    damping : float
        Probability of following a link, in [0, 1).
    tol : float
        Per-vertex tolerance: the run stops once the L1 error bound is below n·tol.
    max_iter : int
        Rounds before :class:`~asapgraph.ConvergenceError` is raised.
    personalization : numpy.ndarray, optional
        Teleport distribution by dense id (normalised here); uniform when omitted. Dangling
        vertices redistribute their rank the same way (see :func:`asapgraph.pagerank` for a
        different ``dangling`` distribution).
    nstart : numpy.ndarray, optional
        Starting ranks by dense id (normalised here); uniform when omitted.
    weighted : bool
        Follow links in proportion to edge weights when the graph has them (networkx's
        ``weight="weight"``); otherwise every link counts once.
    """

    name: ClassVar[str] = "pagerank"
    dtype: ClassVar[type] = np.float64
    combine: ClassVar[str] = "replace"
    must_converge: ClassVar[bool] = True

    def __init__(
        self,
        damping: float = DEFAULT_DAMPING,
        tol: float = DEFAULT_TOL,
        max_iter: int = 1000,
        *,
        personalization: np.ndarray | None = None,
        nstart: np.ndarray | None = None,
        weighted: bool = True,
    ) -> None:
        self.damping = checks.probability("damping", damping, upper_open=True)
        self.tol = checks.positive("tol", tol)
        self.max_iter = checks.non_negative_int("max_iter", max_iter)
        self.personalization = checks.distribution("personalization", personalization)
        self.nstart = checks.distribution("nstart", nstart)
        self.weighted = bool(weighted)

    def shipped(self) -> PageRank:
        """Workers get the parameters only: per-vertex inputs travel in ``vertex_data``."""
        light = copy.copy(self)
        light.personalization = light.nstart = None
        light._scale_of = None
        return light

    def matrix(self, graph: Graph) -> Graph:
        """Pull from in-neighbours: the transpose (an undirected graph is its own)."""
        return graph.transpose if self.weights_used(graph) else graph.unweighted.transpose

    def vertex_data(self, graph: Graph) -> dict[str, np.ndarray]:
        """``scale`` (1/outweight, 1 if dangling), the teleport term, and the start ranks."""
        n = graph.n
        if graph.weighted and self.weighted:
            rows = np.repeat(np.arange(n), graph.out_degree)
            outweight = np.bincount(rows, graph.weights, minlength=n)
        else:
            outweight = graph.out_degree.astype(np.float64)
        scale = np.ones(n)
        np.divide(1.0, outweight, out=scale, where=outweight != 0)
        uniform = np.full(n, 1.0 / max(n, 1))
        teleport = self._dense("personalization", self.personalization, n, uniform)
        start = self._dense("nstart", self.nstart, n, uniform)
        return {"scale": scale, "teleport": (1.0 - self.damping) * teleport, "start": start}

    def weights_used(self, graph: Graph) -> bool:
        """Whether the run follows edge weights."""
        return graph.weighted and self.weighted

    @staticmethod
    def _dense(name: str, values: np.ndarray | None, n: int, default: np.ndarray) -> np.ndarray:
        if values is None:
            return default
        if values.shape != (n,):
            raise ValueError(f"{name} must have one entry per vertex ({n}), got {values.shape}.")
        return values

    def init(self, block: Block) -> np.ndarray:
        """Start from ``nstart`` (networkx's default: uniform), in published-state form."""
        return block.data["start"] * block.data["scale"]

    def step(self, block: Block, values: np.ndarray, chunk: RowChunk) -> float:
        """One sweep over the chunk's rows; returns the L1 change of their ranks."""
        lo, hi = chunk.lo, chunk.hi
        scale = block.data["scale"][lo:hi]
        rank = block.data["teleport"][lo:hi] + self.damping * (chunk.matrix @ values)
        change = float(np.abs(rank - values[lo:hi] / scale).sum())
        values[lo:hi] = rank * scale
        return change

    def norm(self, block: Block, values: np.ndarray) -> float:
        """This block's share of sum(y), the normaliser of the final vector."""
        n = block.n_local
        return float((values[:n] / block.data["scale"][:n]).sum())

    def converged(self, total_change: float, total_norm: float, n_total: int) -> bool:
        """Stop when the L1 error bound of the normalised vector is below n·tol.

        For a contraction with factor d, the error left after a round that changed the normalised
        vector by c is at most c·d/(1 − d); normalising y by its own (inexact) sum can double it,
        hence 2·c·d/(1 − d). networkx stops on c < n·tol alone, which leaves an error several
        times n·tol (DESIGN §8); bounding the error makes ``tol`` mean what users compare on:
        accuracy.
        """
        if total_norm <= 0:
            return total_change == 0
        error_bound = 2.0 * total_change / total_norm * self.damping / (1.0 - self.damping)
        return error_bound < n_total * self.tol

    def local_threshold(self, block: Block, values: np.ndarray) -> float:
        """n·tol·(1 − d)/(2d) times this block's norm: the shares add up to the global test."""
        return block.n_total * self.tol * (1.0 - self.damping) / (2.0 * self.damping) * self.norm(
            block, values
        )

    def ranks(self, values: np.ndarray, graph: Graph) -> np.ndarray:
        """The solution y of the linear system (published states with the scaling undone)."""
        return values / self._scale(graph)

    def _scale(self, graph: Graph) -> np.ndarray:
        # The engine's trace calls finish every few milliseconds: compute the scale once.
        cached = getattr(self, "_scale_of", None)
        if cached is None or cached[0] is not graph:
            self._scale_of = (graph, self.vertex_data(graph)["scale"])
        return self._scale_of[1]

    def finish(self, values: np.ndarray, graph: Graph) -> np.ndarray:
        """Undo the scaling and normalise to sum 1."""
        rank = self.ranks(values, graph)
        total = rank.sum()
        return rank / total if total > 0 else rank

    def with_dangling(
        self, teleported: np.ndarray, dangled: np.ndarray, graph: Graph
    ) -> np.ndarray:
        """Combine solutions for teleport p and for dangling distribution g (same system).

        With y_p, y_g solving (I − d·Pᵀ) y = (1 − d)·b for b = p and b = g, the PageRank whose
        dangling vertices jump by g is x ∝ y_p + c·y_g, where c·(1 − d)/d is the dangling mass
        s = δᵀy_p / (1 − d/(1 − d)·δᵀy_g) of the unnormalised solution (δ: dangling vertices).
        """
        dangling = graph.out_degree == 0
        d = self.damping
        mass = teleported[dangling].sum() / (1.0 - d / (1.0 - d) * dangled[dangling].sum())
        return teleported + d / (1.0 - d) * mass * dangled
