"""Components and label propagation on one process: asapgraph's kernels against the usual tools.

``python bench/bench_local_kernels.py [--repeat 3] [--rmat-scale 15] [--edge-factor 8]``

Graphs: email-Enron and ca-CondMat from /work/shared/datasets/snap, and an R-MAT graph from
``asapgraph.datasets.rmat`` (permuted ids, so id order says nothing about structure). Every figure
is the median of ``--repeat`` runs, in CPU seconds of this process (``time.process_time``): every
contender is single-threaded, and on a shared machine CPU time leaves out what other processes
take, which wall time would count. Setup is left out everywhere: the symmetrised matrix (a cached
view of the asapgraph graph) and the networkx and igraph graphs are built before the clock starts.

What is timed:

- cc asapgraph: ``solve_local(ConnectedComponents())`` and ``finish`` (labels by original id);
  networkx: ``list(nx.connected_components(G))``; scipy: ``csgraph.connected_components`` (weak).
  The asapgraph labels are checked against scipy's before anything is printed.
- lpa asapgraph: ``solve_local(LabelPropagation(seed=r))`` and ``finish``, seed r = repeat index,
  with the numba round (the ``fast`` extra), and once more with the numpy round
  (``ASAPGRAPH_NUMBA=0``; the same labels, checked); networkx: ``label_propagation_communities(G)``
  (deterministic); igraph: ``community_label_propagation()`` (igraph's own generator, a new draw
  each call). Loading the numba kernel (once per process, before any clock starts) is printed
  first, in wall seconds: a compile the first time on a machine, then a load from numba's cache.

Ratio lines give asapgraph's speed-up: the other tool's time over asapgraph's (above 1: asapgraph
is faster). Modularity is networkx's definition (``asapgraph.algorithms.quality.modularity``),
the median over the repeats, with the range when it varies.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import igraph
import networkx as nx
import numpy as np
from common import undirected_pairs
from scipy.sparse.csgraph import connected_components

from asapgraph import Graph, read_edgelist
from asapgraph.algorithms import accelerate, lpa_kernel
from asapgraph.algorithms.components import ConnectedComponents, smallest_member_ids
from asapgraph.algorithms.label_propagation import LabelPropagation
from asapgraph.algorithms.quality import modularity
from asapgraph.datasets.rmat import rmat_graph
from asapgraph.engine.local import solve_local

SNAP_DIR = Path("/work/shared/datasets/snap")
SNAP_GRAPHS = ("email-Enron.txt.gz", "ca-CondMat.txt")
T = TypeVar("T")


def cpu_median(run: Callable[[int], T], repeat: int) -> tuple[float, list[T]]:
    """Median CPU seconds of ``run(r)`` for r = 0..repeat-1, and every result."""
    seconds, results = [], []
    for r in range(repeat):
        began = time.process_time()
        results.append(run(r))
        seconds.append(time.process_time() - began)
    return statistics.median(seconds), results


def scores(graph: Graph, labellings: list[np.ndarray]) -> str:
    """Median modularity of the labellings, with their range when they differ."""
    values = [modularity(graph, labels) for labels in labellings]
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"Q {mid:.3f}" if high - low < 5e-4 else f"Q {mid:.3f} ({low:.3f}–{high:.3f})"


def igraph_of(graph: Graph) -> igraph.Graph:
    """The undirected graph for igraph: each symmetric pair once, self-loops kept."""
    return igraph.Graph(n=graph.n, edges=np.column_stack(undirected_pairs(graph)).tolist())


def by_dense_id(graph: Graph, communities) -> np.ndarray:
    """networkx communities (sets of original ids) as one label per dense vertex."""
    where = {v: i for i, community in enumerate(communities) for v in community}
    return np.array([where[v] for v in graph.ids.tolist()])


def bench_components(graph: Graph, G: nx.Graph, repeat: int) -> list[str]:
    program = ConnectedComponents()

    def ours(_: int) -> np.ndarray:
        return program.finish(solve_local(program, graph).values, graph)

    ours_s, labels = cpu_median(ours, repeat)
    nx_s, _ = cpu_median(lambda _: list(nx.connected_components(G)), repeat)
    scipy_s, found = cpu_median(
        lambda _: connected_components(graph.adjacency, connection="weak"), repeat
    )
    count, component = found[-1]
    if not np.array_equal(labels[-1], smallest_member_ids(component.astype(np.int64), graph)):
        raise AssertionError("asapgraph's components differ from scipy's")
    return [
        f"  cc: asapgraph {ours_s:.4f} s, networkx {nx_s:.4f} s, scipy {scipy_s:.4f} s "
        f"({count} components, asapgraph = scipy)",
        f"cc asapgraph vs networkx: {nx_s / ours_s:.1f}x",
        f"cc asapgraph vs scipy: {scipy_s / ours_s:.2f}x",
    ]


def bench_label_propagation(graph: Graph, G: nx.Graph, repeat: int) -> list[str]:
    def timed() -> tuple[float, list[np.ndarray], list[int]]:
        """Median CPU seconds, labels and rounds."""
        rounds: list[int] = []

        def ours(seed: int) -> np.ndarray:
            program = LabelPropagation(seed=seed)
            solution = solve_local(program, graph)
            rounds.append(solution.rounds)
            return program.finish(solution.values, graph)

        seconds, labels = cpu_median(ours, repeat)
        return seconds, labels, rounds

    ours_s, ours_labels, rounds = timed()  # main() made sure the numba round runs
    os.environ[accelerate.SWITCH] = "0"
    try:
        numpy_s, numpy_labels, _ = timed()
    finally:
        del os.environ[accelerate.SWITCH]
    if not all(np.array_equal(a, b) for a, b in zip(ours_labels, numpy_labels, strict=True)):
        raise AssertionError("the numba and numpy rounds gave different labels")
    nx_s, nx_found = cpu_median(lambda _: nx.community.label_propagation_communities(G), repeat)
    h = igraph_of(graph)
    ig_s, ig_found = cpu_median(lambda _: h.community_label_propagation().membership, repeat)
    return [
        f"  lpa: asapgraph {ours_s:.3f} s ({scores(graph, ours_labels)}, rounds {rounds}), "
        f"networkx {nx_s:.3f} s ({scores(graph, [by_dense_id(graph, c) for c in nx_found])}), "
        f"igraph {ig_s:.3f} s ({scores(graph, [np.asarray(m) for m in ig_found])})",
        f"lpa asapgraph vs networkx: {nx_s / ours_s:.1f}x",
        f"lpa asapgraph vs igraph: {ig_s / ours_s:.2f}x",
        f"lpa asapgraph numpy round: {numpy_s:.3f} s, same labels ({nx_s / numpy_s:.1f}x "
        f"networkx, {ig_s / numpy_s:.2f}x igraph; numba {numpy_s / ours_s:.1f}x faster)",
    ]


def bench(name: str, graph: Graph, repeat: int) -> None:
    undirected = graph.symmetric  # setup: built once, cached on the graph
    G = undirected.to_networkx()
    print(f"{name}: n={undirected.n}, m={undirected.m} (undirected view)", flush=True)
    for line in bench_components(graph, G, repeat) + bench_label_propagation(graph, G, repeat):
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rmat-scale", type=int, default=15)
    parser.add_argument("--edge-factor", type=int, default=8)
    args = parser.parse_args()
    began = time.perf_counter()
    os.environ.pop(accelerate.SWITCH, None)
    if not accelerate.numba_enabled():
        raise SystemExit("numba is not installed: pip install 'asapgraph[fast]'")
    lpa_kernel.load()
    loaded = time.perf_counter() - began
    print(f"lpa numba kernel loaded in {loaded:.2f} s (wall, once per process)", flush=True)
    for filename in SNAP_GRAPHS:
        bench(filename.split(".")[0], read_edgelist(SNAP_DIR / filename, cache=False), args.repeat)
    rmat = rmat_graph(args.rmat_scale, args.edge_factor)
    bench(f"R-MAT scale {args.rmat_scale}, edge factor {args.edge_factor}", rmat, args.repeat)


if __name__ == "__main__":
    main()
