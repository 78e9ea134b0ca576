"""Connected components on a large R-MAT graph: asapgraph with P workers vs scipy and networkx.

Run: ``python bench/bench_cc_rmat.py [--scale 20] [--workers 2] [--repeat 3]``. Prints medians and
the ratios measured in this one run. networkx's time excludes building its graph (about a minute
at scale 20); asapgraph's compute time excludes partitioning and setup, which are printed apart.
"""

from __future__ import annotations

import argparse
import statistics
import time

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import connected_components

import asapgraph
from asapgraph.algorithms.components import ConnectedComponents
from asapgraph.datasets.rmat import rmat_graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--edge-factor", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    graph = rmat_graph(args.scale, args.edge_factor, seed=1)
    print(graph)
    adjacency = graph.adjacency
    scipy_times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        count, _ = connected_components(adjacency, directed=True, connection="weak")
        scipy_times.append(time.perf_counter() - start)
    scipy_time = statistics.median(scipy_times)
    ours: dict[str, tuple[float, float]] = {}
    with asapgraph.Engine(args.workers) as engine:
        for mode in ("bsp", "asap"):
            runs = [engine.run(ConnectedComponents(), graph, mode=mode) for _ in range(args.repeat)]
            assert np.unique(runs[-1].state).size == count
            compute = statistics.median(run.stats.compute_seconds for run in runs)
            setup = statistics.median(
                run.stats.partition_seconds + run.stats.setup_seconds for run in runs
            )
            ours[mode] = (compute, setup)
    sources = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    reference = nx.DiGraph()
    reference.add_nodes_from(range(graph.n))
    reference.add_edges_from(zip(sources.tolist(), graph.indices.tolist(), strict=True))
    start = time.perf_counter()
    assert nx.number_weakly_connected_components(reference) == count
    networkx_time = time.perf_counter() - start
    print(f"scipy.csgraph: {scipy_time:.3f} s; networkx: {networkx_time:.2f} s; {count} components")
    for mode, (compute, setup) in ours.items():
        print(f"asapgraph {mode} {args.workers} workers: compute {compute:.3f} s "
              f"(+ partition and setup {setup:.3f} s)")
        print(f"asapgraph {mode} vs networkx: {networkx_time / compute:.1f}x "
              f"({networkx_time / (compute + setup):.1f}x with setup)")
        print(f"asapgraph {mode} time / scipy time: {compute / scipy_time:.2f} "
              f"({(compute + setup) / scipy_time:.2f} with setup)")


if __name__ == "__main__":
    main()
