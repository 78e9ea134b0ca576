"""What checking a cache entry costs: validation against a warm load plus one PageRank solve.

``python bench/bench_cache_validation.py [--scale 20] [--workers 2] [--repeat 3]``

Stores the R-MAT graph as the cache entry of a placeholder source file (the entry a SNAP-style
file of that graph would get), then times, alternating, median of ``--repeat``:

- validation alone: checksums and CSR checks of the mapped arrays (``check_arrays``), and the
  pieces it is made of (CRC-32 of every array; the structural numpy pass), beside adler32 and
  blake2b over the same bytes, the alternatives that were measured (the structural pass is the
  difference between validation and CRC-32);
- a warm load (the entry mapped and validated, pages in the page cache) plus one PageRank solve
  on ``--workers`` workers.

Prints the ratio validation / (warm load + solve); the goal (issue 12) is at most 10%.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import zlib
from pathlib import Path

import numpy as np
from common import median_time

import asapgraph
from asapgraph.algorithms.pagerank import PageRank
from asapgraph.datasets.rmat import rmat_graph
from asapgraph.io.cache import ARRAYS, CacheEntry
from asapgraph.io.cache_check import check_arrays, checksum


def mapped_arrays(folder: Path) -> tuple[dict[str, np.ndarray], dict]:
    """The entry's arrays, memory-mapped, and its meta.json."""
    meta = json.loads((folder / "meta.json").read_text())
    arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r")
              for name in ARRAYS if (folder / f"{name}.npy").exists()}
    return arrays, meta


def hashed(arrays: dict[str, np.ndarray], digest) -> None:
    for array in arrays.values():
        digest(memoryview(np.ascontiguousarray(array)).cast("B"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    graph = rmat_graph(args.scale)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"rmat{args.scale}.txt"
        source.write_text("# placeholder: the entry below holds the R-MAT graph\n")
        entry = CacheEntry.for_source(source, {}, Path(tmp) / "cache")
        entry.store(graph)
        del graph
        arrays, meta = mapped_arrays(entry.folder)
        total_mb = sum(a.nbytes for a in arrays.values()) / 1e6
        print(f"R-MAT {args.scale}: n={meta['n']} m={meta['nnz']}, entry {total_mb:.0f} MB")

        def validate() -> None:
            check_arrays(arrays, meta["checksums"], meta["n"], meta["nnz"])

        with asapgraph.Engine(args.workers) as engine:
            def load_and_solve() -> None:
                loaded = entry.load()
                assert loaded is not None, "the entry failed its own validation"
                engine.run(PageRank(), loaded)

            load_and_solve()  # warm: page cache, workers' first run
            times: dict[str, list[float]] = {"validate": [], "load+solve": []}
            for _ in range(args.repeat):  # alternate, so machine load hits both alike
                times["validate"].append(median_time(validate, 1)[0])
                times["load+solve"].append(median_time(load_and_solve, 1)[0])
        parts = {
            "crc32 (used)": lambda: [checksum(a) for a in arrays.values()],
            "adler32": lambda: hashed(arrays, zlib.adler32),
            "blake2b": lambda: hashed(arrays, lambda b: hashlib.blake2b(b).digest()),
        }
        part_times = {name: median_time(fn, args.repeat)[0] for name, fn in parts.items()}
        arrays.clear()  # unmap before the folder goes

    validate_s = float(np.median(times["validate"]))
    run_s = float(np.median(times["load+solve"]))
    print(f"validation {validate_s:.3f} s; warm load + PageRank ({args.workers} workers) "
          f"{run_s:.3f} s")
    for name, seconds in part_times.items():
        print(f"  {name:<13} {seconds:.3f} s, {total_mb / 1e3 / seconds:.2f} GB/s")
    print(f"validation / (warm load + one PageRank solve) = {validate_s / run_s:.3f} "
          f"(goal <= 0.10)")


if __name__ == "__main__":
    main()
