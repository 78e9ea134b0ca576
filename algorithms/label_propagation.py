"""Label propagation communities (Raghavan et al.) as a vertex program that settles in any order.

Each vertex takes the label most frequent among its neighbours. Updated all at once, neighbours
can swap labels forever (a bipartite graph flips every round). networkx avoids that by updating
one colour class at a time (semi-synchronous), but that order does not survive a partition: rows
are cut into chunks and blocks that are updated one after the other, or at the same time on stale
ghosts, and a sequential order along row ids (SNAP numbers hubs first) lets the first chunk's
labels flood the rest (measured: modularity 0.16 instead of 0.36 on email-Enron). So every round
here reads the labels of the round before (Jacobi inside a chunk), and each vertex that can improve
moves only on a seeded coin flip: a pair that would swap forever moves one at a time within a few
rounds. Labels then travel one hop per round wherever the rows are cut, and with one chunk per
block a BSP run on any partition gives exactly the single-process labels.

The state of a vertex is ``label << TRIES_BITS | tries``: ``tries`` counts the rounds in which it
could improve, so its coin changes from one try to the next without a global round counter.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from asapgraph import checks
from asapgraph.graph import Graph, index_dtype
from asapgraph.program import Block, RowChunk, VertexProgram

from .components import smallest_member_ids

DEFAULT_MAX_ITER = 100
TRIES_BITS = 8  # the coin's clock wraps after 256 tries: labels keep 55 bits
TRIES_MASK = (1 << TRIES_BITS) - 1
_GOLDEN = 0x9E3779B97F4A7C15


class LabelPropagation(VertexProgram):
    """Label propagation with seeded coin flips; communities are groups sharing a label.

    A vertex keeps its label while that label is among the most frequent around it (a self-loop
    counts its own label once, as in networkx). Otherwise, with probability one half, it takes the
    most frequent label, ties going to the largest one (networkx's Prec-Max rule; labels are dense
    ids). Isolated vertices keep their own label. Half is the probability at which two neighbours
    that would swap most often move alone.

    Parameters
    ----------
    seed : int
        Seeds the coin flips: equal seeds give equal labels on one process, and in BSP for the
        same partition and chunks.
    max_iter : int
        Rounds after which the run stops even if some vertex could still improve. Label
        propagation is a heuristic (networkx has no cap), so stopping there is not an error.

    Notes
    -----
    The run stops when every vertex holds one of its most frequent neighbour labels, which
    happens with probability one. The result labels each vertex with the smallest original id in
    its community; :func:`asapgraph.algorithms.quality.modularity` scores it.
    """

    name: ClassVar[str] = "label_propagation"
    dtype: ClassVar[type] = np.int64
    combine: ClassVar[str] = "replace"
    must_converge: ClassVar[bool] = False

    def __init__(self, seed: int = 0, max_iter: int = DEFAULT_MAX_ITER) -> None:
        self.seed = checks.non_negative_int("seed", seed)
        self.max_iter = checks.non_negative_int("max_iter", max_iter)

    def matrix(self, graph: Graph) -> Graph:
        """Communities ignore direction: pull from the symmetrised adjacency."""
        return graph.symmetric

    def init(self, block: Block) -> np.ndarray:
        """Every vertex, owned or ghost, starts alone under its own dense id, with no tries."""
        return block.vertices.astype(np.int64) << TRIES_BITS

    def step(self, block: Block, values: np.ndarray, chunk: RowChunk) -> float:
        """One round over the chunk's rows; returns how many vertices could still improve.

        That count includes the vertices whose coin held them back, so a round that returns 0
        has checked the labels it leaves behind.
        """
        if chunk.indices.size == 0:
            return 0.0
        # Count each row's neighbour labels: scipy sorts each row's labels and merges repeats,
        # leaving one stored entry per (row, label) whose value is the count (2x numpy's sort).
        dtype = index_dtype(max(block.n_total, chunk.indices.size + 1))
        labels = (values[chunk.indices] >> TRIES_BITS).astype(dtype)
        indptr = chunk.indptr.astype(dtype)  # a copy: sum_duplicates rewrites it in place
        shape = (chunk.hi - chunk.lo, block.n_total)
        counts = sp.csr_array((np.ones(labels.size, dtype), labels, indptr), shape)
        counts.sum_duplicates()
        run_label, count = counts.indices, counts.data
        runs = np.diff(counts.indptr)
        present = np.flatnonzero(runs)  # rows with neighbours; isolated ones keep their label
        starts = counts.indptr[present]
        row_of_run = np.repeat(np.arange(present.size), runs[present])
        rows = chunk.lo + present
        own, tries = values[rows] >> TRIES_BITS, values[rows] & TRIES_MASK
        top = np.maximum.reduceat(count, starts)
        mine = run_label == own[row_of_run]
        own_count = np.zeros(rows.size, dtype=count.dtype)
        own_count[row_of_run[mine]] = count[mine]
        improvable = own_count < top
        tied = np.where(count == top[row_of_run], run_label.astype(np.int64), -1)
        largest = np.maximum.reduceat(tied, starts)
        label = np.where(improvable & self._heads(block.vertices[rows], tries), largest, own)
        tries = np.where(improvable, (tries + 1) & TRIES_MASK, tries)
        values[rows] = label << TRIES_BITS | tries
        return float(np.count_nonzero(improvable))

    def _heads(self, vertices: np.ndarray, tries: np.ndarray) -> np.ndarray:
        """A fair coin per (vertex, try), fixed by the seed."""
        return _mix(_mix(vertices, self.seed) ^ tries.astype(np.uint64), self.seed) >> 63 == 0

    def converged(self, total_change: float, total_norm: float, n_total: int) -> bool:
        """Done when every vertex holds one of its most frequent neighbour labels."""
        return total_change == 0

    def finish(self, values: np.ndarray, graph: Graph) -> np.ndarray:
        """Label each vertex with the smallest original id in its community."""
        return smallest_member_ids(values >> TRIES_BITS, graph)


def _mix(x: np.ndarray, seed: int) -> np.ndarray:
    """A seeded bijection of uint64 (splitmix64's finaliser): well-spread bits from any id."""
    z = np.asarray(x).astype(np.uint64) + np.uint64((seed + 1) * _GOLDEN % 2**64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))
