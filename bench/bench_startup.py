"""Start-up: what a user waits for before anything happens.

``python bench/bench_startup.py [--repeat 15]``

Times, in fresh interpreters, alternating and taking medians: ``import numpy, scipy.sparse``
(the yardstick of issue 13: ``import asapgraph`` must stay within 1.3x of it), ``import
asapgraph``, ``import asapgraph`` then touching the library's names (``asapgraph.pagerank``:
what a library user pays on first use), ``asapgraph --version``, and ``asapgraph run pagerank`` on
a 100-edge file (goal: each command at most 0.3 s). CPU seconds (user + system of the child) are
printed beside the wall seconds: on a shared machine the wall time also counts others' turns.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import markdown_table

EDGES = 100


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` (which must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    cli = str(Path(sys.executable).parent / "asapgraph")
    with tempfile.TemporaryDirectory() as folder:
        edges = Path(folder) / "g100.txt"
        rng = np.random.default_rng(1)
        pairs = rng.integers(0, 40, size=(EDGES, 2))
        edges.write_text("".join(f"{u}\t{v}\n" for u, v in pairs))
        out = Path(folder) / "ranks.tsv"
        commands = {
            "import numpy, scipy.sparse": [sys.executable, "-c", "import numpy, scipy.sparse"],
            "import asapgraph": [sys.executable, "-c", "import asapgraph"],
            "import asapgraph; asapgraph.pagerank": [
                sys.executable, "-c", "import asapgraph; asapgraph.pagerank"],
            "asapgraph --version": [cli, "--version"],
            f"asapgraph run pagerank ({EDGES} edges)": [
                cli, "run", "pagerank", str(edges), "--no-cache", "--out", str(out)],
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for command in commands.values():  # warm the page cache, untimed
            timed(command)
        for _ in range(args.repeat):
            for name, command in commands.items():
                times[name].append(timed(command))
    wall = {name: statistics.median(t[0] for t in runs) for name, runs in times.items()}
    cpu = {name: statistics.median(t[1] for t in runs) for name, runs in times.items()}
    base = wall["import numpy, scipy.sparse"]
    rows = [[name, f"{wall[name]:.3f}", f"{cpu[name]:.3f}", f"{wall[name] / base:.2f}x"]
            for name in commands]
    print(f"start-up, medians of {args.repeat}, load average {os.getloadavg()[0]:.2f}\n")
    print(markdown_table(["command", "wall s", "cpu s", "vs numpy+scipy.sparse"], rows))


if __name__ == "__main__":
    main()
