"""PageRank as a vertex program: the power method, with Gauss–Seidel inside a block (DESIGN §5).

Each round updates x_v = d·Σ_u w_uv·x_u/outweight_u + c_p·p_v + c_g·g_v, where p is the teleport
distribution (personalization, uniform by default), g the distribution dangling vertices jump by
(p unless ``dangling`` says otherwise), and the two coefficients come from two global scalars,
the dangling mass D = Σ_{dangling v} x_v and the sum S = Σ_v x_v: c_p = (1 − d)·S, c_g = d·D.
This is networkx's iteration (its Google matrix applied to x) without assuming sum(x) = 1, so the
scale is free and the result is x / sum(x) at the end: a stale D and S then disturb only the
direction of x a little, not its scale (DESIGN §5). Each block contributes its shares of D and
S (``partials``); BSP sums them in the reduction its stopping test already does (no barrier is
added: a per-round global scalar is *not* a barrier in disguise in BSP), ASAP reads the sum of
each worker's latest published shares.

Why not the linear system (I − d·Pᵀ)y = (1 − d)·p with dangling rows left empty, which needs no
global scalar: its error shrinks by d per round (the mass leaking through dangling vertices is
re-created by teleport only), 3–6× the power method's rounds on graphs with many dangling
vertices, and a start vector unlike p decays just as slowly.

The state a vertex publishes is ``s_v = x_v / outweight_v`` (``x_v`` when dangling), so a row
update is one sparse dot product.
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
MESSAGES = ("values", "deltas")


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
        Teleport distribution by dense id (normalised here); uniform when omitted.
    nstart : numpy.ndarray, optional
        Starting ranks by dense id (normalised here); uniform when omitted. Any start converges
        at the rate of the uniform one (the power method's error decays alike from any start).
    dangling : numpy.ndarray, optional
        Where dangling vertices (no out-links) send their rank, by dense id (normalised here);
        like the personalization when omitted (networkx's ``dangling``).
    weighted : bool
        Follow links in proportion to edge weights when the graph has them (networkx's
        ``weight="weight"``); otherwise every link counts once.
    messages : {"values", "deltas"}
        What boundary messages carry. ``values``: a vertex's newest published value, replacing
        the ghost copy. ``deltas`` (accumulative, as in Maiter): the increment of rank/out-weight
        since the last message, added to the ghost copy (combine ``sum``). Increments are sent
        largest first, as 16-bit multiples of the largest one; the smallest round to nothing and
        are held back, and every remainder stays owed for a later message, so a message costs a
        quarter of a values message and nothing is lost. Both give the same answer (a round may
        end the run only once nothing is held back: ``asapgraph/engine/rounds.py``).
    """

    name: ClassVar[str] = "pagerank"
    dtype: ClassVar[type] = np.float64
    scalars: ClassVar[tuple[str, ...]] = ("dangling mass", "sum")
    must_converge: ClassVar[bool] = True

    def __init__(
        self,
        damping: float = DEFAULT_DAMPING,
        tol: float = DEFAULT_TOL,
        max_iter: int = 1000,
        *,
        personalization: np.ndarray | None = None,
        nstart: np.ndarray | None = None,
        dangling: np.ndarray | None = None,
        weighted: bool = True,
        messages: str = "values",
    ) -> None:
        self.messages = checks.choice("messages", messages, MESSAGES)
        self.combine = "sum" if messages == "deltas" else "replace"
        self.damping = checks.probability("damping", damping, upper_open=True)
        self.tol = checks.positive("tol", tol)
        self.max_iter = checks.non_negative_int("max_iter", max_iter)
        self.personalization = checks.distribution("personalization", personalization)
        self.nstart = checks.distribution("nstart", nstart)
        self.dangling = checks.distribution("dangling", dangling)
        self.jumps = self.dangling is not None  # dangling rank goes elsewhere than teleport
        self.weighted = bool(weighted)

    def with_messages(self, messages: str) -> PageRank:
        """The same PageRank with ``messages`` (``values`` or accumulative ``deltas``)."""
        other = copy.copy(self)
        other.messages = checks.choice("messages", messages, MESSAGES)
        other.combine = "sum" if messages == "deltas" else "replace"
        return other

    def shipped(self) -> PageRank:
        """Workers get the parameters only: per-vertex inputs travel in ``vertex_data``."""
        light = copy.copy(self)
        light.personalization = light.nstart = light.dangling = None
        light._unscale_of = None
        return light

    def matrix(self, graph: Graph) -> Graph:
        """Pull from in-neighbours: the transpose (an undirected graph is its own)."""
        return graph.transpose if self.weights_used(graph) else graph.unweighted.transpose

    def vertex_data(self, graph: Graph) -> dict[str, np.ndarray]:
        """Per vertex: see :meth:`data_of`; with personalization, nstart and dangling applied."""
        n = graph.n
        if graph.weighted and self.weighted:
            checks.transition_weights(graph.weights)
            rows = np.repeat(np.arange(n), graph.out_degree)
            outweight = np.bincount(rows, graph.weights, minlength=n)
        else:
            outweight = graph.out_degree.astype(np.float64)
        data = self.data_of(outweight, n)
        uniform = data["teleport"]
        data["teleport"] = self._dense("personalization", self.personalization, n, uniform)
        data["start"] = self._dense("nstart", self.nstart, n, uniform)
        if self.jumps:
            data["jump"] = self._dense("dangling", self.dangling, n, uniform)
        return data

    @staticmethod
    def data_of(outweight: np.ndarray, n: int) -> dict[str, np.ndarray]:
        """Per-vertex arrays for the vertices whose out-weights are given, in a graph of ``n``
        (uniform teleport and start): the state scale (1/outweight, 1 if dangling) and its
        inverse, whether the vertex is dangling, the teleport distribution and the start ranks.
        """
        dangling = outweight == 0
        unscale = np.where(dangling, 1.0, outweight)
        uniform = np.full(outweight.size, 1.0 / max(n, 1))
        return {"scale": 1.0 / unscale, "unscale": unscale,
                "dangling": dangling.astype(np.float64), "teleport": uniform, "start": uniform}

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

    def partials(self, block: Block, values: np.ndarray) -> np.ndarray:
        """This block's dangling mass and sum of ranks."""
        n = block.n_local
        # Products then numpy's own sum, not a BLAS dot, whose rounding can depend on the
        # arrays' alignment: BSP must give the same bits on shared memory and over MPI.
        return np.array([(values[:n] * block.data["dangling"][:n]).sum(),
                         (values[:n] * block.data["unscale"][:n]).sum()])

    def step(self, block: Block, values: np.ndarray, chunk: RowChunk) -> float:
        """One sweep over the chunk's rows; returns the L1 change of their ranks."""
        lo, hi = chunk.lo, chunk.hi
        data = block.data
        mass, total = block.totals
        d = self.damping
        rank = chunk.matrix @ values
        rank *= d
        if self.jumps:
            rank += (1.0 - d) * total * data["teleport"][lo:hi]
            rank += d * mass * data["jump"][lo:hi]
        else:
            rank += (d * mass + (1.0 - d) * total) * data["teleport"][lo:hi]
        moved = rank - values[lo:hi] * data["unscale"][lo:hi]
        values[lo:hi] = rank * data["scale"][lo:hi]
        # Gauss–Seidel on the scalars too: the next chunk sees this chunk's share already moved.
        block.totals += ((moved * data["dangling"][lo:hi]).sum(), moved.sum())
        return float(np.abs(moved).sum())

    def increment_weights(self, block: Block) -> np.ndarray:
        """Out-weight: an increment of rank/out-weight moves the receivers' ranks by that rank."""
        return block.data["unscale"]

    def norm(self, block: Block, values: np.ndarray) -> float:
        """This block's share of sum(x), the normaliser of the final vector."""
        n = block.n_local
        return float((values[:n] * block.data["unscale"][:n]).sum())

    def converged(self, total_change: float, total_norm: float, n_total: int) -> bool:
        """Stop when the L1 error bound of the normalised vector is below n·tol.

        For a contraction with factor d, the error left after a round that changed the normalised
        vector by c is at most c·d/(1 − d); normalising x by its own (inexact) sum can double it,
        hence 2·c·d/(1 − d). networkx stops on c < n·tol alone, which leaves an error several
        times n·tol (DESIGN §8); bounding the error makes ``tol`` mean what users compare on:
        accuracy.
        """
        if total_norm <= 0:
            return total_change == 0
        error_bound = 2.0 * total_change / total_norm * self.damping / (1.0 - self.damping)
        return error_bound < n_total * self.tol

    def local_threshold(self, block: Block, values: np.ndarray) -> float:
        """This block's share of :meth:`change_target`: the shares add up to the global test."""
        return self.change_target(self.norm(block, values), block.n_total)

    def change_target(self, total_norm: float, n_total: int) -> float:
        """n·tol·(1 − d)/(2d)·norm: the change under which the error bound meets ``tol``."""
        return n_total * self.tol * (1.0 - self.damping) / (2.0 * self.damping) * total_norm

    def ranks(self, values: np.ndarray, graph: Graph) -> np.ndarray:
        """The unnormalised ranks x (published states with the scaling undone)."""
        return values * self._unscale(graph)

    def _unscale(self, graph: Graph) -> np.ndarray:
        # The engine's trace calls finish every few milliseconds: compute the scale once.
        cached = getattr(self, "_unscale_of", None)
        if cached is None or cached[0] is not graph:
            self._unscale_of = (graph, self.vertex_data(graph)["unscale"])
        return self._unscale_of[1]

    def finish(self, values: np.ndarray, graph: Graph) -> np.ndarray:
        """Undo the scaling and normalise to sum 1."""
        rank = self.ranks(values, graph)
        total = rank.sum()
        return rank / total if total > 0 else rank
