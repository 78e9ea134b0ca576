"""Edge batches: a new graph from an old one plus insertions and deletions.

A batch lists edges to remove and edges to add, in original ids; the new graph is the old one
minus the removals, plus the additions (an edge both removed and added stays, with the added
weight; adding an edge that exists sets its weight, as networkx's ``add_edge`` does). Removing an
edge the graph lacks is an error naming it (and its file and line when the batch came from a
file). Vertices new to the graph take the next dense ids, after the old ones: every old vertex
keeps its dense id, so a previous result by dense id is a warm start as it is, and when no vertex
is new the id map is shared, not copied. The CSR is edited, not rebuilt (a few O(m) array passes,
no sort of the edges), and views the old graph had already built (its transpose, its symmetrised
adjacency) are edited alike instead of being rebuilt on first use.

Update files hold one change per line, ``+ src dst [weight]`` or ``- src dst``; ``#`` starts a
comment. :func:`diff` makes the batch that turns one graph into another.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asapgraph.errors import GraphFormatError
from asapgraph.graph import Graph, index_dtype

Pairs = Iterable[tuple] | np.ndarray


@dataclass(frozen=True)
class EdgeBatch:
    """Edges to remove and to add, by original id (arrays of equal length per side).

    ``source`` and the ``*_lines`` arrays say where each edge came from, for error messages.
    """

    removed_src: np.ndarray
    removed_dst: np.ndarray
    added_src: np.ndarray
    added_dst: np.ndarray
    added_weights: np.ndarray | None = None
    source: str | None = None
    removed_lines: np.ndarray | None = None
    added_lines: np.ndarray | None = None

    @classmethod
    def of(cls, added: Pairs = (), removed: Pairs = ()) -> EdgeBatch:
        """From pairs ``(src, dst)`` or triples ``(src, dst, weight)`` of original ids."""
        added_src, added_dst, weights = _columns(added, "added")
        removed_src, removed_dst, extra = _columns(removed, "removed")
        if extra is not None:
            raise ValueError("removed edges are pairs (src, dst), without a weight.")
        return cls(removed_src, removed_dst, added_src, added_dst, weights)

    def __len__(self) -> int:
        return len(self.removed_src) + len(self.added_src)

    def where(self, side: str, k: int) -> str:
        """How to name edge ``k`` of ``side`` ('removed'/'added') in an error message."""
        lines = self.removed_lines if side == "removed" else self.added_lines
        if self.source is not None and lines is not None:
            return f"{self.source}:{int(lines[k])}: "
        return ""


def _columns(pairs: Pairs, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    rows = list(pairs) if not isinstance(pairs, np.ndarray) else pairs
    if len(rows) == 0:
        return _ids([]), _ids([]), None
    widths = {len(row) for row in rows}
    if not widths <= {2, 3} or len(widths) > 1:
        raise ValueError(f"{what} edges must all be (src, dst) or all (src, dst, weight).")
    src, dst = _ids([row[0] for row in rows]), _ids([row[1] for row in rows])
    weights = None
    if widths == {3}:
        weights = np.asarray([row[2] for row in rows], dtype=np.float64)
    return src, dst, weights


def _ids(values: list) -> np.ndarray:
    """Original ids as int64 when they are integers, else as an object array."""
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.int64)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def read_update(path: str | Path) -> EdgeBatch:
    """Read ``+ src dst [weight]`` / ``- src dst`` lines; one-line errors name file and line."""
    path = Path(path)
    added: list[tuple] = []
    removed: list[tuple] = []
    added_lines: list[int] = []
    removed_lines: list[int] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            fields = raw.split(b"#", 1)[0].split()
            if not fields:
                continue
            sign, rest = fields[0], fields[1:]
            if sign not in (b"+", b"-"):
                raise GraphFormatError(path, f"expected '+' or '-' first, found {_shown(sign)}",
                                       number)
            if sign == b"-" and len(rest) != 2:
                raise GraphFormatError(path, f"'-' takes 2 fields (src dst), found {len(rest)}",
                                       number)
            if sign == b"+" and len(rest) not in (2, 3):
                raise GraphFormatError(
                    path, f"'+' takes 2 or 3 fields (src dst [weight]), found {len(rest)}", number)
            edge = (_vertex(rest[0], path, number), _vertex(rest[1], path, number))
            if sign == b"-":
                removed.append(edge)
                removed_lines.append(number)
                continue
            weight = _weight(rest[2], path, number) if len(rest) == 3 else None
            if added and (weight is None) != (len(added[0]) == 2):
                raise GraphFormatError(path, "a weight goes on every '+' line or on none", number)
            added.append(edge if weight is None else (*edge, weight))
            added_lines.append(number)
    batch = EdgeBatch.of(added=added, removed=removed)
    return EdgeBatch(batch.removed_src, batch.removed_dst, batch.added_src, batch.added_dst,
                     batch.added_weights, str(path), np.asarray(removed_lines),
                     np.asarray(added_lines))


def _vertex(token: bytes, path: Path, line: int) -> int:
    try:
        value = int(token)
    except ValueError:
        raise GraphFormatError(path, f"vertex id {_shown(token)} is not an integer",
                               line) from None
    if not -(2**63) <= value < 2**63:
        raise GraphFormatError(path, f"vertex id {value} is outside the int64 range", line)
    return value


def _weight(token: bytes, path: Path, line: int) -> float:
    try:
        return float(token)
    except ValueError:
        raise GraphFormatError(path, f"weight {_shown(token)} is not a number", line) from None


def _shown(token: bytes) -> str:
    text = token.decode("latin-1")
    return repr(text if len(text) <= 40 else text[:37] + "...")


# ---------------------------------------------------------------------------------- applying
@dataclass(frozen=True)
class Changes:
    """What turned ``base`` into this graph, in dense ids (each undirected pair once)."""

    base: weakref.ref  # the graph before the batch (not kept alive by its successor)
    removed: tuple[np.ndarray, np.ndarray]
    added: tuple[np.ndarray, np.ndarray]
    new_vertices: int = 0

    def of(self, graph: Graph) -> bool:
        """Whether these are the changes since ``graph``."""
        return self.base() is graph


def apply(graph: Graph, batch: EdgeBatch) -> Graph:
    """The graph after ``batch`` (see the module docstring); ``graph`` itself is not changed."""
    ids, new_ids = _extended_ids(graph, batch)
    n = ids.size
    dense = _dense_lookup(graph, ids)
    try:
        removed = dense(batch.removed_src), dense(batch.removed_dst)
    except KeyError:  # an edge with an unknown end cannot be in the graph
        known = _known(graph, batch.removed_src) & _known(graph, batch.removed_dst)
        k = int(np.flatnonzero(~known)[0])
        raise ValueError(f"{batch.where('removed', k)}cannot remove edge {_pair(batch, k)}: "
                         "it is not in the graph") from None
    added = dense(batch.added_src), dense(batch.added_dst)
    weights = batch.added_weights
    if weights is not None and not graph.weighted:
        raise ValueError(f"{batch.where('added', 0)}weighted additions to an unweighted graph "
                         "(drop the weights, or load the graph with its weights).")
    if graph.weighted and weights is None:
        weights = np.ones(added[0].size)  # networkx's default weight
    both = _both_ways if not graph.directed else _one_way
    indptr, indices, w = edit_csr(graph.indptr, graph.indices, graph.weights, n,
                                  both(removed), both(added, weights), batch)
    changes = Changes(weakref.ref(graph), removed, added, new_ids)
    updated = Graph(indptr, indices, w, graph.directed, ids, changes=changes)
    _carry_views(graph, updated, removed, added, weights)
    return updated


def _extended_ids(graph: Graph, batch: EdgeBatch) -> tuple[np.ndarray, int]:
    """The id map with never-seen ids of the added edges appended (the same array if none)."""
    mentioned = np.concatenate([batch.added_src, batch.added_dst])
    if mentioned.size == 0:
        return graph.ids, 0
    known = _known(graph, mentioned)
    fresh = mentioned[~known]
    if fresh.size == 0:
        return graph.ids, 0
    order = np.unique(fresh, return_index=True)[1] if fresh.dtype != object else None
    if order is not None:
        fresh = fresh[np.sort(order)]
    else:
        fresh = np.asarray(list(dict.fromkeys(fresh.tolist())), dtype=object)
    ids = np.concatenate([graph.ids, fresh.astype(graph.ids.dtype, copy=False)])
    return ids, int(fresh.size)


def _known(graph: Graph, original: np.ndarray) -> np.ndarray:
    if graph.ids.dtype != object and original.dtype != object:
        order = np.argsort(graph.ids, kind="stable")
        sorted_ids = graph.ids[order]
        pos = np.minimum(np.searchsorted(sorted_ids, original), max(graph.n - 1, 0))
        return sorted_ids[pos] == original if graph.n else np.zeros(original.size, bool)
    present = set(graph.ids.tolist())
    return np.fromiter((x in present for x in original.tolist()), dtype=bool,
                       count=original.size)


def _dense_lookup(graph: Graph, ids: np.ndarray):
    """A function mapping original ids to dense ids of the extended map (old ids unchanged)."""
    if ids.dtype != object:
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]

        def dense(original: np.ndarray) -> np.ndarray:
            if original.size == 0:
                return np.empty(0, dtype=np.int64)
            pos = np.minimum(np.searchsorted(sorted_ids, original), ids.size - 1)
            missing = np.flatnonzero(sorted_ids[pos] != original)
            if missing.size:
                raise KeyError(f"vertex {original[missing[0]]!r} is not in the graph")
            return order[pos].astype(np.int64)

        return dense
    position = {label: i for i, label in enumerate(ids.tolist())}
    return lambda original: np.asarray([position[x] for x in original.tolist()], dtype=np.int64)


def _one_way(pairs, weights=None):
    return pairs[0], pairs[1], weights


def _both_ways(pairs, weights=None):
    src, dst = pairs
    loop = src == dst  # a self-loop is stored once
    rows = np.concatenate([src, dst[~loop]])
    columns = np.concatenate([dst, src[~loop]])
    return rows, columns, None if weights is None else np.concatenate([weights, weights[~loop]])


def edit_csr(indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray | None, n: int,
             removed: tuple, added: tuple, batch: EdgeBatch | None = None):
    """CSR with ``n`` rows: the old entries minus ``removed`` plus ``added`` (rows stay sorted).

    ``removed`` is (rows, columns, _), ``added`` (rows, columns, weights or None); every removed
    entry must exist. Rows of the old CSR must be sorted (every Graph's are).
    """
    old_rows = np.repeat(np.arange(indptr.size - 1, dtype=np.int64), np.diff(indptr))
    keys = old_rows * n + indices
    del old_rows
    gone = removed[0].astype(np.int64) * n + removed[1]
    where = np.minimum(np.searchsorted(keys, gone), max(keys.size - 1, 0))
    absent = np.flatnonzero(keys[where] != gone) if keys.size else np.arange(gone.size)
    if absent.size:
        k = int(absent[0]) % max(len(batch.removed_src), 1) if batch is not None else 0
        label = "" if batch is None else batch.where("removed", k)
        raise ValueError(f"{label}cannot remove edge {_pair(batch, k)}: it is not in the graph")
    keep = np.ones(keys.size, dtype=bool)
    keep[where] = False
    new_keys = added[0].astype(np.int64) * n + added[1]
    new_weights = added[2]
    # The last of repeated additions wins (as a repeated add_edge does).
    last = np.unique(new_keys[::-1], return_index=True)[1]
    last = new_keys.size - 1 - last
    new_keys = new_keys[last]
    new_weights = None if new_weights is None else new_weights[last]
    at = np.minimum(np.searchsorted(keys, new_keys), max(keys.size - 1, 0))
    present = keys[at] == new_keys if keys.size else np.zeros(new_keys.size, dtype=bool)
    keep[at[present]] = True  # an addition of an existing (or just removed) edge keeps it
    w = None
    if weights is not None:
        w = weights.copy()
        w[at[present]] = new_weights[present]
    kept = keys[keep]
    slot = np.searchsorted(kept, new_keys[~present])
    merged = np.insert(kept, slot, new_keys[~present])
    if w is not None:
        w = np.insert(w[keep], slot, new_weights[~present])
    rows = merged // n
    columns = (merged - rows * n).astype(index_dtype(n))
    new_indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=new_indptr[1:])
    return new_indptr, columns, w


def _pair(batch: EdgeBatch | None, k: int) -> str:
    if batch is None or len(batch.removed_src) == 0:
        return "(?)"
    return f"{_plain(batch.removed_src[k])!r} -> {_plain(batch.removed_dst[k])!r}"


def _plain(value: object) -> object:
    """A numpy scalar as the Python value users wrote (``3``, not ``np.int64(3)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _carry_views(old: Graph, new: Graph, removed, added, weights) -> None:
    """Edit the views ``old`` had built, so ``new`` does not rebuild them from scratch."""
    if not old.directed:
        return
    views = vars(old)
    if "transpose" in views:
        t = views["transpose"]
        indptr, indices, w = edit_csr(t.indptr, t.indices, t.weights, new.n,
                                      (removed[1], removed[0]), (added[1], added[0], weights))
        object.__setattr__(new, "transpose", Graph(indptr, indices, w, True, new.ids))
    if "symmetric" in views:
        s = views["symmetric"]
        # u–v leaves the symmetric view only when neither direction is left in the new graph.
        src, dst = removed
        still = _has_edges(new, dst, src)
        src, dst = src[~still], dst[~still]
        gone = _both_ways((src, dst))
        fresh = _both_ways(added)
        indptr, indices, _ = edit_csr(s.indptr, s.indices, None, new.n, gone,
                                      (fresh[0], fresh[1], None))
        object.__setattr__(new, "symmetric", Graph(indptr, indices, None, False, new.ids))


def _has_edges(graph: Graph, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Whether each ``src -> dst`` is an edge of ``graph`` (rows are sorted)."""
    found = np.zeros(src.size, dtype=bool)
    for k, (u, v) in enumerate(zip(src.tolist(), dst.tolist(), strict=True)):
        row = graph.indices[graph.indptr[u] : graph.indptr[u + 1]]
        i = np.searchsorted(row, v)
        found[k] = i < row.size and row[i] == v
    return found


def diff(old: Graph, new: Graph) -> EdgeBatch:
    """The batch that turns ``old`` into ``new`` (edges by original id; weights compared too)."""
    if old.directed != new.directed:
        raise ValueError("cannot diff a directed graph against an undirected one.")
    universe = np.concatenate([old.ids, new.ids])
    if universe.dtype == object:
        names = list(dict.fromkeys(universe.tolist()))
        index = {name: i for i, name in enumerate(names)}
        common = np.asarray([index[x] for x in universe.tolist()], dtype=np.int64)
        names = np.asarray(names, dtype=object)
    else:
        names, common = np.unique(universe, return_inverse=True)
    size = np.int64(len(names))
    old_keys, old_w = _keys(old, common[: old.n], size)
    new_keys, new_w = _keys(new, common[old.n :], size)
    gone = np.setdiff1d(old_keys, new_keys, assume_unique=True)
    came = ~np.isin(new_keys, old_keys, assume_unique=True)
    if new_w is not None and old_w is not None:
        at = np.searchsorted(old_keys, new_keys)
        at = np.minimum(at, max(old_keys.size - 1, 0))
        came |= (old_keys[at] == new_keys) & (old_w[at] != new_w)
    added = new_keys[came]
    return EdgeBatch(names[gone // size], names[gone % size], names[added // size],
                     names[added % size], None if new_w is None else new_w[came])


def _keys(graph: Graph, common: np.ndarray, size: np.int64):
    """Sorted keys src·size + dst in a shared numbering (undirected: each pair once, src ≤ dst)."""
    rows = common[np.repeat(np.arange(graph.n), np.diff(graph.indptr))]
    columns = common[graph.indices]
    weights = graph.weights
    if not graph.directed:
        once = rows <= columns
        rows, columns = rows[once], columns[once]
        weights = None if weights is None else weights[once]
    keys = rows.astype(np.int64) * size + columns
    order = np.argsort(keys, kind="stable")
    return keys[order], None if weights is None else weights[order]
