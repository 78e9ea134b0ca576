"""Binary graph cache: a parsed edge list as .npy arrays that later loads memory-map.

Parsing text costs about a second per 100 MB; mapping the finished CSR arrays costs a
millisecond. An entry is a folder ``<hash(path, options)>-<hash(size, mtime_ns)>`` under the cache
root, so a changed source misses (and its stale entry is pruned when the new one is stored). An
entry is written in a temp folder and renamed into place, so a reader never sees half of one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asapgraph.graph import Graph

# Bump when the reader's output for the same file and options changes: old entries then miss.
FORMAT = 1
ARRAYS = ("indptr", "indices", "ids", "weights")
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

    def load(self) -> Graph | None:
        """The cached graph, its arrays memory-mapped read-only; None on a miss or a bad entry."""
        if not self.folder.exists():
            return None
        try:  # an entry folder is complete once it exists: anything odd in it is damage
            meta = json.loads((self.folder / "meta.json").read_text())
            if {key: meta.get(key) for key in self._meta()} != self._meta():
                raise ValueError("meta.json describes another source")
            arrays = {name: np.asarray(np.load(self.folder / f"{name}.npy", mmap_mode="r"))
                      for name in ARRAYS if name != "weights" or meta["weighted"]}
            graph = Graph(arrays["indptr"], arrays["indices"], arrays.get("weights"),
                          bool(meta["directed"]), arrays["ids"])
            if graph.n != meta["n"] or graph.indices.size != meta["nnz"]:
                raise ValueError("array sizes differ from meta.json")
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
            self.folder.parent.mkdir(parents=True, exist_ok=True)
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
        for name, array in arrays.items():
            if array is not None:
                np.save(temp / f"{name}.npy", array, allow_pickle=False)
        meta = {**self._meta(), "directed": graph.directed, "weighted": graph.weighted,
                "n": graph.n, "nnz": int(graph.indices.size)}
        (temp / "meta.json").write_text(json.dumps(meta))

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
