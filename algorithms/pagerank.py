"""PageRank as a vertex program, in the linear-system form of DESIGN §5.

Solves (I − d·Pᵀ) y = (1 − d)·p with dangling rows of P left empty, then returns x = y / sum(y):
exactly networkx's PageRank with dangling mass redistributed like the personalization (uniform by
default), and without a global scalar per round — a per-round dangling sum would be a barrier in
disguise. The state a vertex publishes is ``s_v = y_v / outweight_v`` (``y_v`` when dangling), so a
row update is one sparse dot product: ``y_v = (1 − d)·p_v + d·Σ_u w_uv·s_u``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from asapgraph import checks
from asapgraph.graph import Graph
from asapgraph.program import Block, RowChunk, VertexProgram

DEFAULT_DAMPING = 0.85
DEFAULT_TOL = 1e-6  # networkx's default: stop when one round's L1 change < n·tol


class PageRank(VertexProgram):
    """PageRank with damping ``damping``; converged when one round's L1 change < n·``tol``.

    Parameters
    ----------
    damping : float
        Probability of following a link, in [0, 1).
    tol : float
        Per-vertex tolerance, as networkx's ``tol``.
    max_iter : int
        Rounds before :class:`~asapgraph.ConvergenceError` is raised.
    """

    name: ClassVar[str] = "pagerank"
    dtype: ClassVar[type] = np.float64
    combine: ClassVar[str] = "replace"
    must_converge: ClassVar[bool] = True

    def __init__(
        self, damping: float = DEFAULT_DAMPING, tol: float = DEFAULT_TOL, max_iter: int = 1000
    ) -> None:
        self.damping = checks.probability("damping", damping, upper_open=True)
        self.tol = checks.positive("tol", tol)
        self.max_iter = checks.non_negative_int("max_iter", max_iter)

    def matrix(self, graph: Graph) -> Graph:
        """Pull from in-neighbours: the transpose (an undirected graph is its own)."""
        return graph.transpose

    def vertex_data(self, graph: Graph) -> dict[str, np.ndarray]:
        """``scale`` turns a rank into the published state: 1/outweight, or 1 when dangling."""
        if graph.weighted:
            outweight = np.bincount(
                np.repeat(np.arange(graph.n), graph.out_degree), graph.weights, minlength=graph.n
            )
        else:
            outweight = graph.out_degree.astype(np.float64)
        scale = np.ones(graph.n)
        np.divide(1.0, outweight, out=scale, where=outweight != 0)
        teleport = np.full(graph.n, (1.0 - self.damping) / max(graph.n, 1))
        return {"scale": scale, "teleport": teleport}

    def init(self, block: Block) -> np.ndarray:
        """Start from the uniform vector 1/n (networkx's default ``nstart``)."""
        return block.data["scale"] / max(block.n_total, 1)

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
        vector by c is at most c·d/(1 − d). networkx stops on c < n·tol alone, which leaves an
        error several times n·tol (DESIGN §8); bounding the error makes ``tol`` mean what users
        compare on: accuracy.
        """
        if total_norm <= 0:
            return total_change == 0
        error_bound = total_change / total_norm * self.damping / (1.0 - self.damping)
        return error_bound < n_total * self.tol

    def local_threshold(self, n_local: int, n_total: int) -> float:
        """A block's share of the stopping threshold on the unnormalised change (sum y ≥ 1 − d)."""
        return n_local * self.tol * (1.0 - self.damping) ** 2 / self.damping

    def finish(self, values: np.ndarray, graph: Graph) -> np.ndarray:
        """Undo the scaling and normalise to sum 1."""
        scale = self.vertex_data(graph)["scale"]
        rank = values / scale
        total = rank.sum()
        return rank / total if total > 0 else rank
