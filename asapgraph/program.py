"""The vertex-program interface: what an algorithm gives the engine, and the block it computes on.

A program says which matrix it pulls from, how to start, how to update a chunk of its own rows
from the freshest values (Gauss–Seidel inside a partition), how incoming boundary values combine
with the ghost values already held, and when the whole run has converged. Partitions, mailboxes,
barriers, NOTIFY-ACK, stochastic reduce, termination and statistics belong to the engine and are
the same for every program. ``combine`` must be commutative and associative and idempotent
(``replace`` with the owner's newest value, or ``min``), so the engine may merge in any order —
or accumulative (``sum``): messages then carry increments of the owner's published values, each
merged exactly once, so a sender may keep small increments back and send them later (``quantise``,
and ``mailbox.py`` invariant 4a); the ghosts hold the owner's values less what is still owed.

A vertex's state is one value, or a vector of ``width`` values (k personalised PageRanks move
together): the state array then has shape ``(rows, width)``, a mailbox entry carries a vertex's
whole row, and ``step`` and ``norm`` return one figure per column, which the engine sums over
workers column by column. Width 1 keeps the flat ``(rows,)`` layout: one mechanism, where the
trailing axis is simply absent.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from asapgraph.graph import Graph, index_dtype

if TYPE_CHECKING:  # imported where used, to keep the command line's start-up light
    import scipy.sparse as sp

COMBINES = ("replace", "min", "sum")
MIN_CHUNK_NNZ = 65_536
Figure = float | np.ndarray  # a block's change or norm: one float, or one per state column


@dataclass
class RowChunk:
    """Rows ``lo:hi`` of a block: the unit of work between two merge points of a round."""

    lo: int
    hi: int
    indptr: np.ndarray  # rebased to start at 0, length hi - lo + 1
    indices: np.ndarray  # local column ids (own rows first, then ghost slots)
    weights: np.ndarray | None
    n_columns: int
    ones: np.ndarray  # shared by a block's chunks: unit values for unweighted rows

    @cached_property
    def matrix(self) -> sp.csr_array:
        """The chunk as a scipy CSR array (weights, or ones), built once per run."""
        import scipy.sparse as sp

        data = self.weights if self.weights is not None else self.ones[: self.indices.size]
        # Assigned, not passed to the constructor: scipy copies index arrays that are views
        # (these are views of shared memory, and must stay so).
        matrix = sp.csr_array((self.hi - self.lo, self.n_columns), dtype=np.float64)
        matrix.indptr, matrix.indices, matrix.data = self.indptr, self.indices, data
        return matrix

    @cached_property
    def row_of_entry(self) -> np.ndarray:
        """For each stored entry, its row relative to ``lo`` (for segmented reductions)."""
        return np.repeat(np.arange(self.hi - self.lo, dtype=np.int64), np.diff(self.indptr))


@dataclass
class Block:
    """A worker's rows and per-vertex data, in local numbering (owned first, then ghosts)."""

    index: int
    n_local: int
    n_ghost: int
    n_total: int
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray | None
    vertices: np.ndarray  # dense global id of each local vertex (owned, then ghosts)
    data: dict[str, np.ndarray]  # program's per-vertex arrays in the same local layout
    # What a program derives from the block once and reuses in every step of the run (a new
    # block per run, so nothing outlives the graph it was computed from).
    scratch: dict[str, object] = field(default_factory=dict)
    # The program's global scalars (``VertexProgram.scalars``), each the sum over every block of
    # its ``partials``, as the engine last obtained them; empty for programs without any.
    totals: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def chunks(self, count: int) -> list[RowChunk]:
        """Split the owned rows into at most ``count`` chunks of about equal nnz.

        A chunk keeps at least one row and about ``MIN_CHUNK_NNZ`` entries: below that the fixed
        cost of a step call outweighs what the extra merge point buys.
        """
        count = max(1, min(count, self.n_local, self.indices.size // MIN_CHUNK_NNZ))
        if self.n_local == 0:
            return [self._chunk(0, 0, np.ones(0))]
        cumulative = self.indptr[1:] + np.arange(1, self.n_local + 1)
        targets = cumulative[-1] * np.arange(1, count) / count
        cuts = np.unique(np.searchsorted(cumulative, targets, side="left") + 1)
        edges = [0, *[int(c) for c in cuts if 0 < c < self.n_local], self.n_local]
        bounds = list(itertools.pairwise(edges))
        longest = max(int(self.indptr[hi] - self.indptr[lo]) for lo, hi in bounds)
        ones = np.ones(0 if self.weights is not None else longest)
        return [self._chunk(lo, hi, ones) for lo, hi in bounds]

    def _chunk(self, lo: int, hi: int, ones: np.ndarray) -> RowChunk:
        start, stop = int(self.indptr[lo]), int(self.indptr[hi])
        return RowChunk(
            lo=lo,
            hi=hi,
            # int32 offsets when they fit: scipy then keeps the int32 indices as they are
            # (a view of shared memory) instead of upcasting both to int64 copies.
            indptr=(self.indptr[lo : hi + 1] - start).astype(index_dtype(stop - start + 1)),
            indices=self.indices[start:stop],
            weights=None if self.weights is None else self.weights[start:stop],
            n_columns=self.n_local + self.n_ghost,
            ones=ones,
        )


class VertexProgram(ABC):
    """Base class of every algorithm the engine runs (one short module each in ``algorithms/``).

    Subclasses set ``name``, ``dtype`` and ``combine`` and implement the abstract methods.
    ``chunks`` fixes how many row chunks a block is cut into for this program (None: the run's
    setting); a step that solves its whole block at once asks for 1. ``max_iter`` caps rounds;
    when it is hit, ``must_converge`` programs raise :class:`~asapgraph.ConvergenceError` (as
    networkx does for PageRank), the others stop there.

    A program that needs global scalars each round (PageRank: the dangling mass and the sum of
    the ranks) names them in ``scalars`` and returns its block's shares from ``partials``; the
    engine sums every block's shares and hands the sums to ``step`` in ``block.totals``.
    """

    name: ClassVar[str]
    dtype: ClassVar[type]
    combine: str = "replace"
    scalars: ClassVar[tuple[str, ...]] = ()
    must_converge: ClassVar[bool] = True
    chunks: ClassVar[int | None] = None
    max_iter: int = 1000
    width: int = 1  # values per vertex (an instance may set more; see the module docstring)

    @property
    def value_shape(self) -> tuple[int, ...]:
        """The trailing shape of the state array: ``()`` for one value, ``(width,)`` for more."""
        return () if self.width == 1 else (self.width,)
    # Combine ``sum`` only: send increments as 16-bit codes of the largest one, remainders staying
    # owed (``mailbox.encode_increments``); False sends them exactly.
    quantise: bool = True
    # Why fresher inputs cannot speed this program up, or None if they can: mode ``auto`` then
    # runs it bulk-synchronously from the start (docs/bsp-vs-asap.md).
    synchronous_by_design: ClassVar[str | None] = None

    def shipped(self) -> VertexProgram:
        """The copy pickled to workers; drop per-vertex inputs (they travel in ``vertex_data``)."""
        return self

    @abstractmethod
    def matrix(self, graph: Graph) -> Graph:
        """The graph whose row v lists the vertices v pulls from (transpose, symmetric, ...)."""

    def vertex_data(self, graph: Graph) -> dict[str, np.ndarray]:
        """Global per-vertex arrays (length n) the engine lays out for each block."""
        return {}

    @abstractmethod
    def init(self, block: Block) -> np.ndarray:
        """Initial values for the block's owned vertices and ghosts (a pure function of ids)."""

    @abstractmethod
    def step(self, block: Block, values: np.ndarray, chunk: RowChunk) -> Figure:
        """Update ``values[chunk.lo:chunk.hi]`` in place from ``values``; return its change.

        One float, or (``width`` > 1) one per column when the program tests columns apart.
        """

    @property
    def scalars_shape(self) -> tuple[int, ...]:
        """The shape of ``partials``: one row per scalar, one column per state column."""
        return (len(self.scalars), *self.value_shape)

    def partials(self, block: Block, values: np.ndarray) -> np.ndarray:
        """This block's share of each of ``scalars`` (``scalars_shape``), from its owned values.

        BSP sums the shares in the reduction its stopping test already does, so a superstep's
        step sees the totals of the previous superstep's values: no synchronisation is added.
        ASAP has no global reduction: each worker publishes its latest shares (a word per worker
        in shared memory, a small message per peer over MPI) and a round's step sees the sum of
        the latest published ones, which may be a few rounds stale; the step must tolerate that.
        A verification round sees fresh totals again, so termination stays sound.
        """
        return np.zeros(self.scalars_shape)

    def norm(self, block: Block, values: np.ndarray) -> Figure:
        """A block's share of the global scale the convergence test divides by (as ``step``)."""
        return 1.0

    @abstractmethod
    def converged(self, total_change: Figure, total_norm: Figure, n_total: int) -> bool:
        """Whether one round whose changes add up to ``total_change`` ends the run."""

    def local_threshold(self, block: Block, values: np.ndarray) -> Figure:
        """A block's share of the stopping threshold: ASAP calls a worker *quiet* below it.

        Shares must add up to at most the global threshold, so that every worker being quiet
        predicts that the verification round will pass. Default 0: quiet means no change.
        """
        return 0.0

    def change_target(self, total_norm: float, n_total: int) -> float:
        """The total change of a round under which the run may end (progress displays show it).

        Default 0: the run ends on a round that changed nothing.
        """
        return 0.0

    def finish(self, values: np.ndarray, graph: Graph) -> np.ndarray:
        """Turn the gathered state (dense vertex order) into the user-facing result."""
        return values

    def increment_weights(self, block: Block) -> np.ndarray:
        """Combine ``sum`` only: per local vertex, how far a unit increment of its published
        value moves its receivers, in the units of ``step``'s change (ranks hold-back compares)."""
        return np.ones(block.n_local + block.n_ghost)

    def check_combine(self) -> None:
        """Refuse an unknown combine name at construction time, not in a worker."""
        if self.combine not in COMBINES:
            raise ValueError(f"Unknown combine {self.combine!r}; choose one of {COMBINES}.")


def merge_into(combine: str, values: np.ndarray, slots: np.ndarray, incoming: np.ndarray) -> None:
    """Apply a program's combine to the ghost entries ``values[slots]``."""
    if combine == "replace":
        values[slots] = incoming
    elif combine == "sum":
        values[slots] += incoming
    else:
        values[slots] = np.minimum(values[slots], incoming)
