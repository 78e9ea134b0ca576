"""Label propagation communities (Raghavan et al.) as a vertex program that settles in any order.

Each vertex takes the label most frequent among its neighbours. Updated all at once, neighbours
can swap labels forever (a bipartite graph flips every round). networkx avoids that by updating
one colour class at a time (semi-synchronous), but that order does not survive a partition: rows
are cut into chunks and blocks that are updated one after the other, or at the same time on stale
ghosts, and a sequential order along row ids (SNAP numbers hubs first) lets the first chunk's
labels flood the rest (measured: modularity 0.16 instead of 0.36 on email-Enron). So every round
here reads the labels of the round before, and a vertex that can improve moves on a seeded coin
unless the label it would join is not moving (see :func:`lpa_kernel.label_round`).

"The round before" holds across chunks, blocks and workers too: each state carries the vertex's
previous label and a round clock, and a row reads a neighbour that is already one round ahead
through its previous label. So the labels do not depend on chunks or partition (BSP on any
partition gives the single-process labels), and under ASAP an earlier chunk or a faster worker
cannot carry a label several hops in one round. That is what collapsed ASAP runs into one
community on dense graphs: a worker read the other's labels of the same round as often as those
of the round before, Prec-Max lets the largest label win the ties, and a label that may travel
two hops in a round sweeps a dense core before the groups in it form (measured before this
state: email-Eu-core 0.004 on 5 seeds of 5 with 2 workers, against 0.073 in BSP; wiki-Vote 0.001
with 4 workers, against 0.254; ca-HepPh hit the 100-round cap in some runs). With the clock, an
ASAP run that waits for every in-neighbour (the default ``fan_in``) reads what BSP reads, except
from a worker that went quiet while a neighbour still moves; every such run we tried on the SNAP
graphs gave exactly the BSP labels. A smaller ``fan_in`` lets ghosts lag, which is read as is.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from asapgraph import checks
from asapgraph.graph import Graph
from asapgraph.program import Block, RowChunk, VertexProgram

from . import lpa_kernel
from .components import smallest_member_ids
from .lpa_kernel import LABEL_SHIFT, MAX_VERTICES, initial_state, label_round

DEFAULT_MAX_ITER = 100


class LabelPropagation(VertexProgram):
    """Label propagation with seeded coin flips; communities are groups sharing a label.

    A vertex keeps its label while that label is among the most frequent around it (a self-loop
    counts its own label once, as in networkx). Otherwise it takes the most frequent label, ties
    going to the largest one (networkx's Prec-Max rule; labels are dense ids): at once when every
    neighbour holding that label was settled in the round before (the label is not about to move
    away), or when the vertex itself was settled for two rounds (something new reached it); else
    on a coin. Only vertices that were moving can then swap, and the coin lets one of them move
    alone. Those two rules halve the rounds of a fair coin alone on the SNAP graphs (email-Enron
    about 35 instead of 55) at the same modularity; trying "settled for one round" instead kept
    complete bipartite graphs flipping for hundreds of rounds. Isolated vertices keep their label.

    The coin moves a vertex with probability 3/4 in the first round, 1/4 in the next three, then
    1/2. Measured over 20 seeds against 1/2 throughout: the near-synchronous first round, where
    every vertex picks its largest neighbour label, lets dense groups take a label of their own
    before one label sweeps them (email-Eu-core keeps the 78-member community networkx finds in
    15 runs instead of 11, modularity 0.069 instead of 0.051; wiki-Vote 0.31 instead of 0.24), and
    the slow rounds after it keep the sparse collaboration graphs' modularity (ca-CondMat 0.587;
    3/4 then 1/2 gives 0.585).

    Parameters
    ----------
    seed : int
        Seeds the coin flips: equal seeds give equal labels on one process, in BSP on any
        partition and chunks, and in ASAP while no ghost lags behind its owner.
    max_iter : int
        Rounds after which the run stops even if some vertex could still improve. Label
        propagation is a heuristic (networkx has no cap), so stopping there is not an error.
    weighted : bool
        Count each neighbour by its edge weight (1 on an unweighted graph) instead of once, and
        on a directed graph add up both directions (u → v and v → u count w_uv + w_vu, a
        self-loop twice), as networkx's weighted and fast label propagation do. Weights should
        be positive.
    start : numpy.ndarray, optional
        Starting community label (a dense id) of each vertex by dense id; default: its own id.
        A warm start after edge changes passes the previous communities.

    Notes
    -----
    The run stops when every vertex holds one of its most frequent neighbour labels, which
    happens with probability one. The result labels each vertex with the smallest original id in
    its community; :func:`asapgraph.algorithms.quality.modularity` scores it. Labels share a
    64-bit state with the previous label and a clock, so graphs have at most 2**26 vertices.
    """

    name: ClassVar[str] = "label_propagation"
    dtype: ClassVar[type] = np.int64
    combine: ClassVar[str] = "replace"
    synchronous_by_design: ClassVar[str | None] = (
        "every round reads the labels of the round before (what keeps its quality), so fresher "
        "inputs buy nothing, and ghosts that lag cost rounds"
    )
    must_converge: ClassVar[bool] = False

    def __init__(
        self, seed: int = 0, max_iter: int = DEFAULT_MAX_ITER, *, weighted: bool = False,
        start: np.ndarray | None = None,
    ) -> None:
        self.seed = checks.non_negative_int("seed", seed)
        self.max_iter = checks.non_negative_int("max_iter", max_iter)
        self.weighted = bool(weighted)
        self.start = start
        lpa_kernel.load()  # before an engine forks its workers: they inherit the compiled round

    def shipped(self) -> LabelPropagation:
        """Workers get no start labels: they travel in ``vertex_data``."""
        return LabelPropagation(self.seed, self.max_iter, weighted=self.weighted)

    def vertex_data(self, graph: Graph) -> dict[str, np.ndarray]:
        """The start labels, when given."""
        return {} if self.start is None else {"start": np.asarray(self.start, dtype=np.int64)}

    def matrix(self, graph: Graph) -> Graph:
        """Communities ignore direction: pull from the symmetrised adjacency (weights summed)."""
        if not self.weighted:
            return graph.symmetric
        if not graph.directed:
            return graph
        adjacency = graph.adjacency
        return Graph.from_scipy(adjacency + adjacency.T, directed=False, weighted=True,
                                ids=graph.ids)

    def init(self, block: Block) -> np.ndarray:
        """Every vertex, owned or ghost, starts under its start label (own id), at round 0."""
        if block.vertices.size and block.vertices.max() >= MAX_VERTICES:
            raise ValueError(f"Label propagation takes graphs of at most {MAX_VERTICES} vertices.")
        return initial_state(block.data.get("start", block.vertices))

    def step(self, block: Block, values: np.ndarray, chunk: RowChunk) -> float:
        """One round over the chunk's rows; returns how many vertices could still improve.

        That count includes the vertices whose coin held them back, and those that read a
        changed label as it was a round before, so a round that returns 0 has checked the labels
        it leaves behind.
        """
        if chunk.indices.size == 0:
            return 0.0
        return float(label_round(values, block.vertices, chunk.indptr, chunk.indices, chunk.lo,
                                 self.seed, chunk.weights if self.weighted else None))

    def converged(self, total_change: float, total_norm: float, n_total: int) -> bool:
        """Done when every vertex holds one of its most frequent neighbour labels."""
        return total_change == 0

    def finish(self, values: np.ndarray, graph: Graph) -> np.ndarray:
        """Label each vertex with the smallest original id in its community."""
        return smallest_member_ids(values >> LABEL_SHIFT, graph)
