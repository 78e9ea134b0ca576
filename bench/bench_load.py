"""Edge-list load speed: asapgraph's reader (text to CSR graph) against networkx, and its cache.

``python bench/bench_load.py [--mb 60] [--repeat 3] [--nx-mb 5]``

Writes a SNAP-style edge list of at least ``--mb`` MB in a temp folder (a "# Directed graph"
header, CRLF line ends, Graph500 R-MAT edges with randomly permuted ids), then prints the first
load (parse, id remap, dedup, CSR; cache off; median of ``--repeat``) in MB/s,
``networkx.read_edgelist`` on a ``--nx-mb`` prefix (one run: it is slow) and the ratio of the
two throughputs, and the cached load (memory-mapped .npy) with its speed-up over the first load.
CPU seconds are printed beside wall seconds: on a shared 2-core machine the wall time also counts
other processes' turns.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np

from asapgraph.io import load_edgelist

SCALE = 22
CHUNK_EDGES = 1 << 18
MB = 1e6


def rmat(scale: int, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``m`` Graph500 R-MAT edges (a, b, c = 0.57, 0.19, 0.19) over ``2**scale`` vertices."""
    src, dst = np.zeros(m, np.int64), np.zeros(m, np.int64)
    a, b, c = 0.57, 0.19, 0.19
    for bit in range(scale):
        down = rng.random(m) > a + b
        right = rng.random(m) > np.where(down, c / (1 - a - b), a / (a + b))
        src |= down.astype(np.int64) << bit
        dst |= right.astype(np.int64) << bit
    return src, dst


def digits(values: np.ndarray) -> np.ndarray:
    """Decimal digits of non-negative ints as an (n, width) uint8 matrix, 0 for leading blanks."""
    width = len(str(int(values.max())))
    out = np.empty((values.size, width), np.uint8)
    rest = values.copy()
    for column in range(width - 1, -1, -1):
        out[:, column] = ord("0") + rest % 10
        rest //= 10
    significant = np.cumsum(out != ord("0"), axis=1) > 0
    significant[:, -1] = True
    out[~significant] = 0
    return out


def edge_lines(src: np.ndarray, dst: np.ndarray) -> bytes:
    """``src<TAB>dst<CR><LF>`` lines, formatted by numpy (str formatting takes seconds)."""
    column = np.full((src.size, 1), ord("\t"), np.uint8)
    crlf = np.tile(np.frombuffer(b"\r\n", np.uint8), (src.size, 1))
    table = np.hstack([digits(src), column, digits(dst), crlf])
    return table[table != 0].tobytes()


def write_edgelist(path: Path, megabytes: float, seed: int = 1) -> int:
    """A SNAP-style file of at least ``megabytes`` MB; returns its number of edge lines."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(1 << SCALE)
    edges = 0
    with path.open("wb") as handle:
        handle.write(b"# Directed graph (each unordered pair of nodes is saved once): "
                     b"bench.txt\r\n# R-MAT edges, ids randomly permuted\r\n"
                     b"# FromNodeId\tToNodeId\r\n")
        while handle.tell() < megabytes * MB:
            src, dst = rmat(SCALE, CHUNK_EDGES, rng)
            handle.write(edge_lines(labels[src], labels[dst]))
            edges += CHUNK_EDGES
    return edges


def write_prefix(source: Path, target: Path, megabytes: float) -> int:
    """The first whole lines of ``source`` up to about ``megabytes`` MB; returns the bytes."""
    with source.open("rb") as handle:
        data = handle.read(int(megabytes * MB))
        data += handle.readline()
    target.write_bytes(data)
    return len(data)


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeat`` calls."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> None:
    """Generate the file, time the loads, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=60, help="size of the edge list (MB)")
    parser.add_argument("--repeat", type=int, default=3, help="first loads timed (median)")
    parser.add_argument("--nx-mb", type=float, default=5, help="prefix networkx reads (MB)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_load.") as folder:
        path, prefix = Path(folder) / "rmat.txt", Path(folder) / "prefix.txt"
        lines = write_edgelist(path, args.mb)
        size = path.stat().st_size / MB
        graph = load_edgelist(path, cache=False).graph
        print(f"edge list: {size:.1f} MB, {lines:,} edge lines, n={graph.n:,}, m={graph.m:,}")

        wall, cpu = timed(lambda: load_edgelist(path, cache=False), args.repeat)
        ours = size / wall
        print(f"asapgraph first load (cache off, median of {args.repeat}): {wall:.3f} s = "
              f"{ours:.1f} MB/s (CPU {cpu:.3f} s = {size / cpu:.1f} MB/s)")

        prefix_size = write_prefix(path, prefix, args.nx_mb) / MB
        nx_wall, nx_cpu = timed(
            lambda: nx.read_edgelist(prefix, create_using=nx.DiGraph, nodetype=int), 1
        )
        theirs = prefix_size / nx_wall
        print(f"networkx.read_edgelist ({prefix_size:.1f} MB prefix, 1 run): {nx_wall:.2f} s = "
              f"{theirs:.2f} MB/s (CPU {nx_cpu:.2f} s = {prefix_size / nx_cpu:.2f} MB/s)")
        print(f"asapgraph vs networkx: {ours / theirs:.0f}x "
              f"(CPU: {(size / cpu) / (prefix_size / nx_cpu):.0f}x)")

        cache_dir = Path(folder) / "cache"
        stored, _ = timed(lambda: load_edgelist(path, cache_dir=cache_dir), 1)
        cached, _ = timed(lambda: load_edgelist(path, cache_dir=cache_dir), 5)
        assert load_edgelist(path, cache_dir=cache_dir).from_cache
        print(f"first load writing the cache: {stored:.3f} s; cached load (median of 5): "
              f"{cached * 1e3:.2f} ms")
        print(f"cache speed-up: {wall / cached:.0f}x")


if __name__ == "__main__":
    main()
