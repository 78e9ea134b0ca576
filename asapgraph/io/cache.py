"""Binary graph cache: a parsed edge list as .npy arrays that later loads memory-map.

Parsing text costs about a second per 100 MB; mapping the finished CSR arrays costs a
millisecond. An entry is a folder ``<hash(path, options)>-<hash(size, mtime_ns)>`` under the cache
root, so a changed source misses (and its stale entry is pruned when the new one is stored). An
entry is written in a temp folder and renamed into place, so a reader never sees half of one.

Derived pull matrices (the transpose, the symmetrised graph) can be cached as *views* inside the
entry (``<entry>/views/<name>/``): an MPI rank then memory-maps the matrix its program pulls and
reads only its own rows' slice of ``indices``/``weights``, instead of every rank building the
whole O(m) view in memory. A view is computed once, by whichever process asks first, and written
the same atomic way; several processes racing to write it are safe (the first rename wins, the
others load the winner's). Living inside the entry, views are removed with it (a new source
version, a damaged entry).

Partitions of the graph for the engine are stored inside the entry too
(``<entry>/partitions/<key>/``, see the section below and ``asapgraph/engine/layout.py``).

Every entry, view and partition carries checksums of its arrays, checked with the structure before
use, and entries or partitions another user owns or can write are refused (``cache_check.py``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from asapgraph.graph import Graph
from asapgraph.io.cache_check import (
    check_arrays,
    checksums,
    untrusted_entry,
    untrusted_reason,
)

# Bump when the reader's output for the same file and options changes: old entries then miss.
FORMAT = 2  # 2: checksums in meta.json
ARRAYS = ("indptr", "indices", "ids", "weights")
# Bump when a view's arrays for the same entry change: old views then miss and are rebuilt.
VIEW_FORMAT = 2
VIEWS = ("transpose", "symmetric")
# Bump when a stored partition's files for the same key change: old partitions then miss.
PARTITION_FORMAT = 1
View = Literal["transpose", "symmetric"]
# A temp folder this old is the leftover of an interrupted write, not one in progress.
ORPHAN_SECONDS = 3600

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """``$ASAPGRAPH_CACHE``, else ``$XDG_CACHE_HOME/asapgraph/graphs`` (``~/.cache`` default)."""
    explicit = os.environ.get("ASAPGRAPH_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "asapgraph" / "graphs"


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:20]


@dataclass(frozen=True)
class CacheEntry:
    """Where the cached graph of one source file, read with given options, lives."""

    folder: Path
    source: Path
    size: int
    mtime_ns: int

    @classmethod
    def for_source(
        cls, path: Path, options: dict[str, object], cache_dir: str | Path | None = None
    ) -> CacheEntry:
        """The entry for ``path`` as it is now (size and mtime) and the reader ``options``."""
        source = path.resolve()
        stat = source.stat()
        root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        name = _digest([str(source), options, FORMAT])
        version = _digest([stat.st_size, stat.st_mtime_ns])
        return cls(root / f"{name}-{version}", source, stat.st_size, stat.st_mtime_ns)

    def _meta(self) -> dict[str, object]:
        return {"format": FORMAT, "source": str(self.source), "size": self.size,
                "mtime_ns": self.mtime_ns}

    def trusted(self) -> bool:
        """Whether only this user can have written the cache folder and this entry (else warns).

        An entry another user owns or can write is left alone, neither read nor replaced.
        """
        reason = untrusted_reason(self.folder.parent, root=True)
        if reason is None and self.folder.exists():
            reason = untrusted_entry(self.folder)
        if reason is not None:
            log.warning("not using the graph cache: %s", reason)
        return reason is None

    def load(self) -> Graph | None:
        """The cached graph, its arrays memory-mapped read-only; None on a miss or a bad entry.

        The arrays are checked against their checksums and the CSR rules before use.
        """
        if not self.folder.exists():
            return None
        try:  # an entry folder is complete once it exists: anything odd in it is damage
            meta = json.loads((self.folder / "meta.json").read_text())
            if {key: meta.get(key) for key in self._meta()} != self._meta():
                raise ValueError("meta.json describes another source")
            arrays = {name: np.asarray(np.load(self.folder / f"{name}.npy", mmap_mode="r"))
                      for name in ARRAYS if name != "weights" or meta["weighted"]}
            check_arrays(arrays, meta["checksums"], meta["n"], meta["nnz"])
            graph = Graph(arrays["indptr"], arrays["indices"], arrays.get("weights"),
                          bool(meta["directed"]), arrays["ids"])
        except (OSError, ValueError, KeyError) as error:
            log.warning("ignoring the damaged graph cache %s: %s", self.folder, error)
            shutil.rmtree(self.folder, ignore_errors=True)
            return None
        return graph

    def store(self, graph: Graph) -> None:
        """Write ``graph`` as this entry, unless the source changed meanwhile; never raises."""
        try:
            stat = self.source.stat()
            if (stat.st_size, stat.st_mtime_ns) != (self.size, self.mtime_ns):
                return
            self.folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            temp = Path(tempfile.mkdtemp(prefix=f".{self.folder.name}.", suffix=".tmp",
                                         dir=self.folder.parent))
            try:
                self._write(temp, graph)
                temp.rename(self.folder)
            except BaseException:
                shutil.rmtree(temp, ignore_errors=True)
                raise
        except OSError as error:  # a read-only or full disk costs the cache, not the load
            if not self.folder.exists():
                log.warning("could not write the graph cache %s: %s", self.folder, error)
            return
        self._prune()

    def _write(self, temp: Path, graph: Graph) -> None:
        arrays = {"indptr": graph.indptr, "indices": graph.indices, "ids": graph.ids,
                  "weights": graph.weights}
        meta = {**self._meta(), "directed": graph.directed, "weighted": graph.weighted,
                "n": graph.n, "nnz": int(graph.indices.size), "checksums": checksums(arrays)}
        _save(temp, arrays, meta)

    def _prune(self) -> None:
        """Remove this source's entries for older versions and orphaned temp folders."""
        name = self.folder.name.rsplit("-", 1)[0]
        for stale in self.folder.parent.glob(f"{name}-*"):
            if stale != self.folder:
                shutil.rmtree(stale, ignore_errors=True)
        for orphan in self.folder.parent.glob(f".{name}-*.tmp"):
            try:
                if time.time() - orphan.stat().st_mtime > ORPHAN_SECONDS:
                    shutil.rmtree(orphan, ignore_errors=True)
            except FileNotFoundError:
                continue


def _save(temp: Path, arrays: dict[str, np.ndarray | None], meta: dict[str, object]) -> None:
    """Write the arrays and meta.json into ``temp``, readable and writable by this user alone
    (whatever the umask: a group-writable file would be refused at the next load)."""
    for name, array in arrays.items():
        if array is not None:
            np.save(temp / f"{name}.npy", array, allow_pickle=False)
    (temp / "meta.json").write_text(json.dumps(meta))
    for path in temp.iterdir():
        path.chmod(0o600)


def entry_folder(graph: Graph) -> Path | None:
    """The cache entry ``graph`` was memory-mapped from, or None for a graph built in memory.

    Found from the file behind ``graph.indices`` (an entry's arrays keep their ``np.memmap``
    base), so callers handed only a :class:`Graph` need no extra argument to reach its views.
    """
    folders = set()
    for array in (graph.indptr, graph.indices):
        base = array.base if isinstance(array, np.ndarray) else None
        filename = getattr(base, "filename", None) if isinstance(base, np.memmap) else None
        if filename is None:
            return None
        folders.add(Path(filename).parent)
    if len(folders) != 1:
        return None
    folder = folders.pop()
    # A view's folder has a meta.json too, but no ids.npy: a view is not an entry.
    return folder if (folder / "meta.json").is_file() and (folder / "ids.npy").is_file() else None


def _build_view(graph: Graph, view: View) -> Graph:
    """Compute ``view`` of ``graph`` without keeping it in the graph's cached properties.

    ``graph.transpose`` would stay referenced by the graph for the whole run: the point of the
    view cache is that this O(m) copy lives only until it is written.
    """
    if view in graph.__dict__:
        return graph.__dict__[view]
    return getattr(type(graph), view).func(graph)


def load_view(folder: Path, view: View) -> Graph | None:
    """The cached ``view`` of the entry in ``folder``, memory-mapped; None on a miss or damage."""
    where = folder / "views" / view
    if not where.exists():
        return None
    try:
        meta = json.loads((where / "meta.json").read_text())
        if meta.get("format") != VIEW_FORMAT or meta.get("view") != view:
            raise ValueError("meta.json describes another view")
        arrays = {name: np.asarray(np.load(where / f"{name}.npy", mmap_mode="r"))
                  for name in ("indptr", "indices", "weights")
                  if name != "weights" or meta["weighted"]}
        check_arrays(arrays, meta["checksums"], meta["n"], meta["nnz"])
        ids = np.asarray(np.load(folder / "ids.npy", mmap_mode="r"))
        graph = Graph(arrays["indptr"], arrays["indices"], arrays.get("weights"),
                      bool(meta["directed"]), ids)
    except (OSError, ValueError, KeyError) as error:
        log.warning("ignoring the damaged view cache %s: %s", where, error)
        shutil.rmtree(where, ignore_errors=True)
        return None
    return graph


def store_view(folder: Path, view: View, matrix: Graph) -> bool:
    """Write ``matrix`` as the entry's ``view``; False (never raises) if it could not be written.

    Another process may store the same view meanwhile: the rename of whichever finishes first
    wins, and the loser's temp folder is dropped (both computed the same arrays).
    """
    views = folder / "views"
    try:
        views.mkdir(exist_ok=True, mode=0o700)
        temp = Path(tempfile.mkdtemp(prefix=f".{view}.", suffix=".tmp", dir=views))
        try:
            arrays = {name: getattr(matrix, name) for name in ("indptr", "indices", "weights")}
            meta = {"format": VIEW_FORMAT, "view": view, "directed": matrix.directed,
                    "weighted": matrix.weighted, "n": matrix.n, "nnz": int(matrix.indices.size),
                    "checksums": checksums(arrays)}
            _save(temp, arrays, meta)
            temp.rename(views / view)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
    except OSError as error:  # lost the race (target exists), or a read-only / full disk
        if not (views / view).exists():
            log.warning("could not write the view cache %s: %s", views / view, error)
            return False
    for orphan in views.glob(".*.tmp"):
        try:
            if time.time() - orphan.stat().st_mtime > ORPHAN_SECONDS:
                shutil.rmtree(orphan, ignore_errors=True)
        except FileNotFoundError:
            continue
    return True


def cached_view(graph: Graph, view: View, *, weighted: bool = True) -> tuple[Graph, str]:
    """``graph.transpose`` or ``graph.symmetric``, memory-mapped from the cache when possible.

    ``weighted=False`` gives the view of ``graph.unweighted``. The view is always stored from
    the graph with its weights, so that one stored transpose serves weighted and unweighted
    readers alike (the unweighted one just skips ``weights.npy``). Returns the matrix and where
    it came from: ``"graph"`` (an undirected graph is its own view), ``"cache"`` (mapped from an
    existing view), ``"stored"`` (built here, written, then mapped: the built copy is released)
    or ``"built"`` (no cache entry, or it is not writable).
    """
    if view not in VIEWS:
        raise ValueError(f"Unknown view {view!r}; choose one of {VIEWS}.")
    if not graph.directed:
        return (graph if weighted else graph.unweighted), "graph"
    folder = entry_folder(graph)
    if folder is None:
        return getattr(graph if weighted else graph.unweighted, view), "built"
    loaded, how = load_view(folder, view), "cache"
    if loaded is None:
        built = _build_view(graph, view)
        loaded = load_view(folder, view) if store_view(folder, view, built) else None
        if loaded is None:
            return (built if weighted else built.unweighted), "built"
        how = "stored"
    return (loaded if weighted else loaded.unweighted), how


# ---------------------------------------------------------------------------- cached partitions
# A partition of an entry's graph (for one pulled view, worker count and vertex order) is stored
# beside it in ``<entry>/partitions/<digest of its key>/``: the file the engine lays it out in
# (see ``asapgraph/engine/layout.py``), with a meta.json written last that holds the checksum of
# every array. It obeys the entry's rules: refused (and left alone) if another user owns or can
# write it, checked against its checksums and structure before use, removed and computed again
# when damaged. Like views, it lives and dies with its entry.


def partition_folder(entry: Path, key: dict[str, object]) -> Path:
    """Where the partition ``key`` describes (view, parts, order, ...) of ``entry`` lives."""
    return entry / "partitions" / _digest([key, PARTITION_FORMAT])


def partition_trusted(folder: Path) -> bool:
    """Whether only this user can have written the partition ``folder`` (else warns once).

    An untrusted partition is neither read nor replaced: the run partitions in memory.
    """
    reason = untrusted_reason(folder.parent)
    if reason is None and folder.exists():
        reason = untrusted_entry(folder)
    if reason is not None:
        log.warning("not using the partition cache: %s", reason)
    return reason is None


def drop_partition(folder: Path, error: Exception) -> None:
    """Warn that the partition in ``folder`` is damaged, and remove it (it is computed again)."""
    log.warning("ignoring the damaged partition cache %s: %s", folder, error)
    shutil.rmtree(folder, ignore_errors=True)


def load_partition_meta(folder: Path, key: dict[str, object]) -> dict[str, object] | None:
    """The meta.json of the partition stored in ``folder`` for ``key``; None on a miss.

    A folder whose meta cannot be read or describes another key is damage: it is removed.
    """
    if not folder.exists():
        return None
    try:
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("format") != PARTITION_FORMAT or meta.get("key") != key:
            raise ValueError("meta.json describes another partition")
    except (OSError, ValueError) as error:
        drop_partition(folder, error)
        return None
    return meta


def store_partition(
    folder: Path, key: dict[str, object], write: Callable[[Path], dict[str, object]]
) -> bool:
    """Store a partition atomically: ``write(temp)`` fills a temp folder and returns its meta.

    False (never raises on a full or read-only disk) if it could not be stored; processes racing
    to store the same partition are safe (the first rename wins, the others keep the winner's).
    Its folder and files are this user's alone, whatever the umask.
    """
    try:
        folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp",
                                     dir=folder.parent))
        try:
            meta = {**write(temp), "format": PARTITION_FORMAT, "key": key}
            (temp / "meta.json").write_text(json.dumps(meta))
            for path in temp.iterdir():
                path.chmod(0o600)
            temp.rename(folder)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
    except OSError as error:
        if not folder.exists():
            log.warning("could not write the partition cache %s: %s", folder, error)
            return False
    return True
