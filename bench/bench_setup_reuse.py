"""Setup once, reuse many times: what a second run on the same Engine and graph saves, what
partitioning costs beside the solve, and what mapping a partition from the binary cache costs.

``python bench/bench_setup_reuse.py [--scale 20] [--workers 2] [--repeat 3]``

R-MAT ``--scale`` (Graph500 parameters). Each repeat, alternating:

- *engine*: a fresh Engine runs PageRank twice on the same graph built in memory; the first run
  partitions and lays out the static arena, the second maps the one the engine kept;
- *cache*: the same graph read from a binary cache entry (written once, from an edge-list text
  file in a temp folder) runs in a fresh Engine with its stored partition removed (``stored``:
  partitioned, then stored beside the entry), then in another fresh Engine (``cache``: the
  partition mapped from the entry after its ownership, checksums and structure are checked).

Prints, per kind of run, the medians of ``partition_seconds`` (partitioning and laying out the
static arena), ``setup_seconds`` (the run's own arena), ``compute_seconds`` and the ratios the
issue asks for. Run under ``flock /work/locks/bench`` and state the load (``uptime``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from asapgraph import Engine, read_edgelist
from asapgraph.algorithms.pagerank import PageRank
from asapgraph.datasets.rmat import rmat_graph
from asapgraph.io.cache import entry_folder

KINDS = ("first run", "second run (engine)", "stored", "cache")


def engine_runs(graph, workers: int) -> list:
    """Two runs on one engine: the first lays out, the second reuses."""
    with Engine(workers) as engine:
        first = engine.run(PageRank(), graph).stats
        second = engine.run(PageRank(), graph).stats
    assert (first.layout, second.layout) == ("built", "engine"), (first.layout, second.layout)
    return [first, second]


def cache_runs(graph, workers: int) -> list:
    """A run that stores the partition beside the entry, then one (fresh engine) that maps it."""
    shutil.rmtree(entry_folder(graph) / "partitions", ignore_errors=True)
    runs = []
    for expected in ("stored", "cache"):
        with Engine(workers) as engine:
            stats = engine.run(PageRank(), graph).stats
        assert stats.layout == expected, (stats.layout, expected)
        runs.append(stats)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    in_memory = rmat_graph(args.scale)
    with tempfile.TemporaryDirectory() as folder:
        text = Path(folder) / f"rmat{args.scale}.txt"
        subprocess.run([sys.executable, str(Path(__file__).with_name("rmat_text.py")),
                        str(args.scale), str(text)], check=True)
        cached = read_edgelist(text, cache_dir=Path(folder) / "cache")
        os.unlink(text)
        print(f"R-MAT {args.scale}: {in_memory.n} vertices, {in_memory.indices.size} edges "
              f"(cached: {cached.n}, {cached.indices.size}); {args.workers} workers, "
              f"PageRank at its default tolerance; medians of {args.repeat}", flush=True)
        samples: dict[str, list] = {kind: [] for kind in KINDS}
        for _ in range(args.repeat):
            first, second = engine_runs(in_memory, args.workers)
            stored, mapped = cache_runs(cached, args.workers)
            for kind, stats in zip(KINDS, (first, second, stored, mapped), strict=True):
                samples[kind].append(stats)

    def med(kind: str, field: str) -> float:
        return statistics.median(getattr(s, field) for s in samples[kind])

    print("| run | partition + static layout, s | run arena, s | setup total, s | solve, s |")
    print("|---|---:|---:|---:|---:|")
    for kind in KINDS:
        part, setup, solve = (med(kind, f) for f in
                              ("partition_seconds", "setup_seconds", "compute_seconds"))
        print(f"| {kind} | {part:.3f} | {setup:.3f} | {part + setup:.3f} | {solve:.3f} |")
    total = {kind: med(kind, "partition_seconds") + med(kind, "setup_seconds") for kind in KINDS}
    reuse = total["second run (engine)"] / total["first run"]
    print(f"second run's setup / first run's: {reuse:.3f}")
    print(f"first run's partitioning / its solve: "
          f"{med('first run', 'partition_seconds') / med('first run', 'compute_seconds'):.3f}")
    print(f"cached partition (mapped, checked) / partitioning in memory: "
          f"{med('cache', 'partition_seconds') / med('first run', 'partition_seconds'):.3f}")


if __name__ == "__main__":
    main()
