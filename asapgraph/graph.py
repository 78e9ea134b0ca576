"""The immutable graph: CSR arrays over dense ids 0..n-1, plus the map back to original ids.

Edge semantics equal networkx's ``DiGraph``/``Graph`` built from the same edge list: duplicate
edges collapse to one (the last weight wins, as a repeated ``add_edge`` does), self-loops are kept
unless ``drop_self_loops`` is asked for. An undirected graph stores both directions of every edge
(a self-loop once), so its CSR is symmetric and ``m`` counts each unordered pair once.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # imported where used: scipy.sparse alone costs 0.12 s at start-up
    import networkx as nx
    import scipy.sparse as sp

    from asapgraph.updates import Changes, EdgeBatch

INDEX32_LIMIT = 2**31 - 1
# A dense lookup table beats sorting for the id remap when ids are not much sparser than this.
DENSE_REMAP_FACTOR = 8


def index_dtype(n: int) -> np.dtype:
    """int32 column indices while they fit (half the memory traffic of int64), else int64."""
    return np.dtype(np.int32) if n < INDEX32_LIMIT else np.dtype(np.int64)


def remap_ids(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map arbitrary int64 ids to dense 0..n-1 (sorted by original id).

    Returns ``(ids, src_dense, dst_dense)`` with ``ids[dense] == original``. A lookup table is
    used when ids are small non-negative integers (the usual SNAP case), else a sort.
    """
    if src.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    lo = min(int(src.min()), int(dst.min()))
    hi = max(int(src.max()), int(dst.max()))
    if lo >= 0 and hi < DENSE_REMAP_FACTOR * (src.size + dst.size) + 1024:
        present = np.zeros(hi + 1, dtype=bool)
        present[src] = True
        present[dst] = True
        ids = np.flatnonzero(present).astype(np.int64)
        dtype = index_dtype(ids.size)
        lut = np.zeros(hi + 1, dtype=dtype)
        lut[ids] = np.arange(ids.size, dtype=dtype)
        return ids, lut[src], lut[dst]
    both = np.concatenate([src, dst])
    ids = np.sort(both)  # sort + mask + searchsorted: numpy's np.unique is several times slower
    ids = ids[np.concatenate([[True], ids[1:] != ids[:-1]])]
    inverse = np.searchsorted(ids, both).astype(index_dtype(ids.size))
    return ids.astype(np.int64, copy=False), inverse[: src.size], inverse[src.size :]


def build_csr(
    src: np.ndarray, dst: np.ndarray, n: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """CSR (row = source) of dense edges with duplicates collapsed, the last weight winning."""
    if weights is None:
        import scipy.sparse as sp

        # scipy's counting sort by row, then small per-row sorts: 2x (3x undirected) faster than
        # one np.sort of src*n+dst keys. Its summed values are dropped: only the pattern is kept.
        matrix = sp.coo_array((np.ones(src.size, dtype=np.int8), (src, dst)), shape=(n, n))
        matrix = matrix.tocsr()
        matrix.sum_duplicates()
        indices = np.asarray(matrix.indices, dtype=index_dtype(n))
        return np.asarray(matrix.indptr, dtype=np.int64), indices, None
    key = src.astype(np.int64) * n + dst.astype(np.int64)
    order = np.argsort(key, kind="stable")
    key = key[order]
    last = np.ones(key.size, dtype=bool)
    last[:-1] = key[1:] != key[:-1]
    key = key[last]
    w = np.ascontiguousarray(weights[order][last], dtype=np.float64)
    rows = key // n if n else key
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    indices = (key - rows * n).astype(index_dtype(n))
    return indptr, indices, w


def _sum_parallel(
    src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None, n: int, *, directed: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One edge per vertex pair carrying the sum of its parallel edges (their count if unweighted).

    An undirected pair is keyed by its ends in either order. ``weights`` stays None when no pair
    repeats and the edges had no weights.
    """
    import scipy.sparse as sp

    if not directed:
        src, dst = np.minimum(src, dst), np.maximum(src, dst)
    values = np.ones(src.size) if weights is None else weights
    summed = sp.coo_array((values, (src, dst)), shape=(n, n)).tocsr()
    summed.sum_duplicates()
    summed = summed.tocoo()
    repeated = summed.nnz < src.size
    return (summed.row.astype(np.int64), summed.col.astype(np.int64),
            summed.data if weights is not None or repeated else None)


@dataclass(frozen=True, eq=False)
class Graph:
    """A directed or undirected graph as CSR arrays (row v lists the targets of v's out-edges).

    Build one with :meth:`from_edges`, :meth:`from_arrays`, :meth:`from_networkx`,
    :meth:`from_scipy` or :func:`asapgraph.read_edgelist`. Never mutated after construction;
    derived views (transpose, symmetrised adjacency, degrees) are computed once on demand.
    """

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray | None
    directed: bool
    ids: np.ndarray
    # Set by :meth:`with_edges`: the batch (dense ids) since the graph it was made from, which
    # warm starts read to touch only what changed (see ``asapgraph/updates.py``).
    changes: Changes | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        for array in (self.indptr, self.indices, self.weights, self.ids):
            if isinstance(array, np.ndarray):
                array.flags.writeable = False

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_edges(
        cls,
        src: Iterable[int] | np.ndarray,
        dst: Iterable[int] | np.ndarray,
        weights: Iterable[float] | np.ndarray | None = None,
        *,
        directed: bool = True,
        drop_self_loops: bool = False,
    ) -> Graph:
        """Build from parallel arrays of original (arbitrary int64) ids, remapping them densely."""
        src = np.asarray(src, dtype=np.int64).ravel()
        dst = np.asarray(dst, dtype=np.int64).ravel()
        if src.shape != dst.shape:
            raise ValueError(f"src and dst differ in length ({src.size} vs {dst.size}).")
        w = None if weights is None else np.asarray(weights, dtype=np.float64).ravel()
        if w is not None and w.shape != src.shape:
            raise ValueError(f"weights has {w.size} entries for {src.size} edges.")
        ids, s, d = remap_ids(src, dst)
        return cls.from_dense_edges(
            s, d, ids, w, directed=directed, drop_self_loops=drop_self_loops
        )

    @classmethod
    def from_dense_edges(
        cls,
        src: np.ndarray,
        dst: np.ndarray,
        ids: np.ndarray,
        weights: np.ndarray | None = None,
        *,
        directed: bool = True,
        drop_self_loops: bool = False,
    ) -> Graph:
        """Build from edges already in dense ids ``0..len(ids)-1``."""
        if drop_self_loops:
            keep = src != dst
            src, dst = src[keep], dst[keep]
            weights = None if weights is None else weights[keep]
        if not directed:
            # Each line contributes both directions next to each other, so that a later line
            # wins for both (networkx's Graph: "1 2 5" then "2 1 7" is one edge of weight 7).
            src, dst = np.stack([src, dst], 1).ravel(), np.stack([dst, src], 1).ravel()
            weights = None if weights is None else np.repeat(weights, 2)
        indptr, indices, w = build_csr(src, dst, len(ids), weights)
        return cls(indptr, indices, w, bool(directed), np.asarray(ids))

    @classmethod
    def from_arrays(
        cls,
        src: np.ndarray,
        dst: np.ndarray,
        weights: np.ndarray | None = None,
        *,
        directed: bool = True,
        drop_self_loops: bool = False,
    ) -> Graph:
        """Alias of :meth:`from_edges` for numpy users: ``Graph.from_arrays(src, dst[, w])``."""
        return cls.from_edges(
            src, dst, weights, directed=directed, drop_self_loops=drop_self_loops
        )

    @classmethod
    def from_scipy(
        cls,
        matrix: sp.sparray | sp.spmatrix,
        *,
        directed: bool = True,
        weighted: bool | None = None,
        ids: np.ndarray | None = None,
    ) -> Graph:
        """Build from a square sparse adjacency matrix (entry (u, v) = edge u → v).

        Explicit zeros are edges. ``weighted`` keeps the matrix values as weights (default: keep
        them unless every stored value is 1). For ``directed=False`` the matrix is symmetrised.
        """
        import scipy.sparse as sp

        coo = sp.coo_array(matrix)
        if coo.shape[0] != coo.shape[1]:
            raise ValueError(f"The adjacency matrix must be square, got shape {coo.shape}.")
        n = coo.shape[0]
        data = np.asarray(coo.data, dtype=np.float64)
        if weighted is None:
            weighted = bool(data.size) and not np.all(data == 1)
        node_ids = np.arange(n, dtype=np.int64) if ids is None else np.asarray(ids)
        if node_ids.shape != (n,):
            raise ValueError(f"ids must have one entry per row ({n}), got {node_ids.shape}.")
        return cls.from_dense_edges(
            coo.row.astype(np.int64),
            coo.col.astype(np.int64),
            node_ids,
            data if weighted else None,
            directed=directed,
        )

    @classmethod
    def from_networkx(cls, graph: nx.Graph, *, weight: str | None = None) -> Graph:
        """Build from a networkx graph; node labels become the original ids.

        Integer labels give an int64 id array, any other hashable labels an object array.
        Isolated nodes are kept. ``weight`` names the edge attribute to read (default: none;
        an edge without it weighs 1). A ``MultiGraph``/``MultiDiGraph`` adds up its parallel
        edges as networkx's matrices do: their weights, or their number when ``weight`` is None
        (then the graph is unweighted if no pair repeats).
        """
        nodes: list[Hashable] = list(graph.nodes)
        position = {node: i for i, node in enumerate(nodes)}
        edges = graph.edges(data=weight, default=1.0) if weight else graph.edges()
        src = np.fromiter((position[edge[0]] for edge in edges), np.int64, len(edges))
        dst = np.fromiter((position[edge[1]] for edge in edges), np.int64, len(edges))
        w = np.fromiter((edge[2] for edge in edges), np.float64, len(edges)) if weight else None
        directed = graph.is_directed()
        if graph.is_multigraph():
            src, dst, w = _sum_parallel(src, dst, w, len(nodes), directed=directed)
        integer = (int, np.integer)
        if all(isinstance(node, integer) and not isinstance(node, bool) for node in nodes):
            ids = np.asarray(nodes, dtype=np.int64)
        else:
            ids = np.empty(len(nodes), dtype=object)
            ids[:] = nodes
        return cls.from_dense_edges(src, dst, ids, w, directed=directed)

    # ------------------------------------------------------------------ sizes
    @property
    def n(self) -> int:
        """Number of vertices."""
        return self.indptr.size - 1

    @cached_property
    def self_loops(self) -> int:
        """Number of self-loops."""
        rows = np.repeat(np.arange(self.n, dtype=self.indices.dtype), np.diff(self.indptr))
        return int(np.count_nonzero(rows == self.indices))

    @property
    def m(self) -> int:
        """Number of edges (networkx's ``number_of_edges``: unordered pairs when undirected)."""
        nnz = int(self.indices.size)
        return nnz if self.directed else (nnz + self.self_loops) // 2

    @property
    def weighted(self) -> bool:
        """Whether edges carry float64 weights."""
        return self.weights is not None

    @cached_property
    def out_degree(self) -> np.ndarray:
        """Out-degree per dense vertex (degree when undirected, a self-loop counted once)."""
        degree = np.diff(self.indptr)
        degree.flags.writeable = False
        return degree

    @cached_property
    def in_degree(self) -> np.ndarray:
        """In-degree per dense vertex."""
        degree = np.bincount(self.indices, minlength=self.n).astype(np.int64)
        degree.flags.writeable = False
        return degree

    # ------------------------------------------------------------------ views
    @property
    def adjacency(self) -> sp.csr_array:
        """The adjacency as a scipy CSR array sharing this graph's buffers (entry (u,v): u → v)."""
        import scipy.sparse as sp

        data = self.weights if self.weights is not None else np.ones(self.indices.size)
        return sp.csr_array((data, self.indices, self.indptr), shape=(self.n, self.n))

    @cached_property
    def unweighted(self) -> Graph:
        """The same edges without weights (sharing the index arrays)."""
        if self.weights is None:
            return self
        return Graph(self.indptr, self.indices, None, self.directed, self.ids)

    @cached_property
    def transpose(self) -> Graph:
        """The reversed graph: row v lists the sources of v's in-edges (what pull programs read)."""
        if not self.directed:
            return self
        return self._from_matrix(self._compact(weighted=self.weighted).T.tocsr(), directed=True)

    @cached_property
    def symmetric(self) -> Graph:
        """The undirected view (u–v whenever u → v or v → u), unweighted; for CC and LPA."""
        if not self.directed:
            return self
        pattern = self._compact(weighted=False)
        return self._from_matrix(pattern + pattern.T, directed=False, keep_weights=False)

    def _compact(self, *, weighted: bool) -> sp.csr_array:
        """The adjacency for scipy's O(m) conversions, in their narrowest types.

        Offsets as int32 while they fit, so scipy keeps the int32 columns instead of upcasting
        both to int64 copies, and one byte per entry for a pattern (not float64): on R-MAT 20
        the transpose took a third of the time and of the temporary memory.
        """
        import scipy.sparse as sp

        narrow = index_dtype(max(self.n, self.indices.size))
        data = self.weights if weighted else np.ones(self.indices.size, dtype=np.int8)
        indptr = self.indptr.astype(narrow)
        indices = self.indices.astype(narrow, copy=False)
        return sp.csr_array((data, indices, indptr), shape=(self.n, self.n))

    def _from_matrix(
        self, matrix: sp.csr_array, *, directed: bool, keep_weights: bool = True
    ) -> Graph:
        matrix.sort_indices()
        return Graph(
            np.asarray(matrix.indptr, dtype=np.int64),
            np.asarray(matrix.indices, dtype=index_dtype(self.n)),
            np.asarray(matrix.data, dtype=np.float64) if keep_weights and self.weighted else None,
            directed,
            self.ids,
        )

    # ------------------------------------------------------------------ updates
    def with_edges(self, *, added: Iterable[tuple] = (), removed: Iterable[tuple] = ()) -> Graph:
        """A new graph: this one minus ``removed`` plus ``added`` edges (original ids).

        ``added`` holds ``(src, dst)`` or ``(src, dst, weight)``; ids not yet in the graph become
        new vertices after the old ones, so every old vertex keeps its dense id. See
        ``asapgraph/updates.py`` for the rules; this graph is left as it is.
        """
        from asapgraph.updates import EdgeBatch

        return self.apply(EdgeBatch.of(added=added, removed=removed))

    def apply(self, batch: EdgeBatch) -> Graph:
        """A new graph from this one and an :class:`~asapgraph.updates.EdgeBatch`."""
        from asapgraph.updates import apply

        return apply(self, batch)

    # ------------------------------------------------------------------ exports
    def to_scipy(self) -> sp.csr_array:
        """A scipy CSR array copy of the adjacency (weights, or ones)."""
        return self.adjacency.copy()

    def to_networkx(self) -> nx.Graph:
        """A networkx ``DiGraph`` (or ``Graph``) with the original ids as node labels."""
        import networkx as nx

        graph = nx.DiGraph() if self.directed else nx.Graph()
        labels = self.ids.tolist()
        graph.add_nodes_from(labels)
        rows = np.repeat(np.arange(self.n), np.diff(self.indptr))
        src = self.ids[rows].tolist()
        dst = self.ids[self.indices].tolist()
        if self.weights is None:
            graph.add_edges_from(zip(src, dst, strict=True))
        else:
            graph.add_weighted_edges_from(zip(src, dst, self.weights.tolist(), strict=True))
        return graph

    @cached_property
    def _ids_sorted(self) -> bool:
        return self.ids.dtype != object and bool(np.all(self.ids[1:] > self.ids[:-1]))

    def dense_ids(self, original: Iterable[Hashable]) -> np.ndarray:
        """Dense ids of the given original ids; raises KeyError naming the first unknown one."""
        wanted = list(original)
        integer_keys = all(isinstance(x, (int, np.integer)) for x in wanted)
        if self._ids_sorted and integer_keys:
            keys = np.asarray(wanted, dtype=np.int64)
            pos = np.searchsorted(self.ids, keys)
            pos = np.minimum(pos, max(self.n - 1, 0))
            bad = np.flatnonzero(self.ids[pos] != keys) if self.n else np.arange(keys.size)
            if bad.size:
                raise KeyError(f"vertex {wanted[bad[0]]!r} is not in the graph")
            return pos.astype(np.int64)
        position = {label: i for i, label in enumerate(self.ids.tolist())}
        missing = [x for x in wanted if x not in position]
        if missing:
            raise KeyError(f"vertex {missing[0]!r} is not in the graph")
        return np.asarray([position[x] for x in wanted], dtype=np.int64)

    def __repr__(self) -> str:
        kind = "directed" if self.directed else "undirected"
        weighted = ", weighted" if self.weighted else ""
        return f"Graph(n={self.n}, m={self.m}, {kind}{weighted})"
