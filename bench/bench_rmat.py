"""R-MAT generation speed: edges per second of ``rmat_edges`` (Graph500, edge factor 16).

``python bench/bench_rmat.py [--scales 18 20 22] [--repeat 3] [--edge-factor 16]``

Times the edge generation alone (vertex relabelling included, graph building not), median of
``--repeat`` runs per scale, as wall time and as this process's CPU time: on a shared machine the
wall time also counts the other processes' turns on the cores, the CPU time does not.
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import fmt, markdown_table

from asapgraph.datasets.rmat import rmat_edges


def main() -> None:
    """Print edges/s per scale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[18, 20, 22])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--edge-factor", type=int, default=16)
    args = parser.parse_args()
    rows = []
    for scale in args.scales:
        walls, cpus = [], []
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            rmat_edges(scale, args.edge_factor)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        edges = args.edge_factor << scale
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        rows.append([scale, f"{edges:,}", fmt(wall), f"{edges / wall / 1e6:.1f}",
                     f"{edges / cpu / 1e6:.1f}"])
    print(markdown_table(["scale", "edges", "wall s (median)", "M edges/s", "M edges/CPU-s"],
                         rows))


if __name__ == "__main__":
    main()
