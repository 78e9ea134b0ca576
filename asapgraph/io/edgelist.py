"""SNAP edge-list reader (first cut: correct on the SNAP quirks, not yet fast or cached)."""

from __future__ import annotations

import bz2
import gzip
import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asapgraph.graph import Graph


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="ascii")
    if path.suffix == ".bz2":
        return io.TextIOWrapper(bz2.open(path, "rb"), encoding="ascii")
    return open(path, encoding="ascii")


def read_edgelist(
    path: str | Path,
    *,
    directed: bool | None = None,
    drop_self_loops: bool = False,
    cache: bool = True,
    cache_dir: str | Path | None = None,
) -> Graph:
    """Read a SNAP-style edge list into a :class:`Graph`."""
    path = Path(path)
    header_directed = None
    with _open_text(path) as handle:
        lines = [line.strip() for line in handle]
    rows = []
    for line in lines:
        if not line:
            continue
        if line[0] in "#%":
            low = line.lower()
            if header_directed is None and "undirected graph" in low:
                header_directed = False
            elif header_directed is None and "directed graph" in low:
                header_directed = True
            continue
        rows.append(line.split())
    data = np.asarray(rows, dtype=np.int64)
    if directed is None:
        directed = True if header_directed is None else header_directed
    return Graph.from_edges(
        data[:, 0], data[:, 1], directed=directed, drop_self_loops=drop_self_loops
    )


@dataclass
class LoadedGraph:
    """A graph read from a file, with how it was read (for ``asapgraph info`` and run stats)."""

    graph: Graph
    path: Path
    seconds: float
    from_cache: bool
    source_bytes: int


def load_edgelist(
    path: str | Path,
    *,
    directed: bool | None = None,
    drop_self_loops: bool = False,
    cache: bool = True,
    cache_dir: str | Path | None = None,
) -> LoadedGraph:
    """Read an edge list and report the load time and whether the binary cache served it."""
    path = Path(path)
    start = time.perf_counter()
    graph = read_edgelist(path, directed=directed, drop_self_loops=drop_self_loops)
    return LoadedGraph(graph, path, time.perf_counter() - start, False, path.stat().st_size)
