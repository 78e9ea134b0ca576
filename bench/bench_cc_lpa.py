"""Components and label propagation on worker processes, against scipy, networkx, igraph, NetworKit.

Run: ``python bench/bench_cc_lpa.py [--scale 20] [--repeat 3] [--skip-networkx-above M]``.

Graphs: email-Enron and ca-CondMat from /work/shared/datasets/snap, and R-MAT (Graph500
parameters, edge factor 16: 16.1M edges at scale 20, ids permuted). Every figure is a median of
``--repeat`` wall-clock runs taken in this one run (networkx: of ``max(1, repeat // 3)``), so the
ratios compare like with like:

- the other tools are timed on the call alone, their graph objects built before the clock: for
  components scipy.csgraph (weak, one C pass), networkx ``connected_components``, igraph
  ``connected_components()`` and NetworKit ``ConnectedComponents``; for label propagation
  networkx ``label_propagation_communities``, igraph ``community_label_propagation`` and NetworKit
  ``PLP`` (NetworKit with its default threads; igraph and NetworKit only when installed);
- asapgraph with 2 workers, bsp and asap (fan-in all), after one untimed run on each engine:
  ``stats.compute_seconds`` (the solve), and that plus partitioning and setup
  (``partition_seconds + setup_seconds``, what a one-off run pays); speed-ups are the other
  tool's time over asapgraph's (above 1: asapgraph is faster);
- a straggler: 4 workers, worker 1 three times slower, bsp against asap fan-in all and fan-in 1.
  No schedule can end before the slow worker has done its own share of the work, so the slow
  worker's compute time over bsp's time is printed as the lower bound of asap / bsp.

Components are checked to equal scipy's exactly; label propagation prints every tool's modularity
(networkx's definition, median over the repeats).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np
from common import undirected_pairs
from scipy.sparse.csgraph import connected_components

import asapgraph
from asapgraph import Graph, read_edgelist
from asapgraph.algorithms.components import ConnectedComponents, smallest_member_ids
from asapgraph.algorithms.label_propagation import LabelPropagation
from asapgraph.algorithms.quality import modularity
from asapgraph.datasets.rmat import rmat_graph
from asapgraph.engine.engine import EngineRun
from asapgraph.program import VertexProgram

SNAP_DIR = Path("/work/shared/datasets/snap")
SNAP_GRAPHS = ("email-Enron.txt.gz", "ca-CondMat.txt")
STRAGGLER = {1: 3.0}
Labels = Callable[[], np.ndarray]


def timed(run: Labels, repeat: int) -> tuple[float, list[np.ndarray]]:
    """Median wall time of ``repeat`` calls, and every call's labels (one per dense vertex)."""
    times, labels = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        labels.append(run())
        times.append(time.perf_counter() - began)
    return statistics.median(times), labels


def of_communities(n: int, communities) -> np.ndarray:
    """Communities as sets of dense ids → one label per dense vertex."""
    labels = np.empty(n, dtype=np.int64)
    for label, members in enumerate(communities):
        labels[list(members)] = label
    return labels


def reference_tools(graph: Graph, with_networkx: bool) -> dict[str, dict[str, Labels]]:
    """For each algorithm, the installed tools' calls on prebuilt graphs (dense ids 0..n-1)."""
    rows, cols = undirected_pairs(graph)
    n = graph.n
    tools: dict[str, dict[str, Labels]] = {"cc": {}, "lpa": {}}
    tools["cc"]["scipy"] = lambda: connected_components(
        graph.adjacency, directed=True, connection="weak")[1]
    if with_networkx:
        G = nx.Graph()
        G.add_nodes_from(range(n))
        G.add_edges_from(zip(rows.tolist(), cols.tolist(), strict=True))
        tools["cc"]["networkx"] = lambda: of_communities(n, nx.connected_components(G))
        tools["lpa"]["networkx"] = lambda: of_communities(
            n, nx.community.label_propagation_communities(G))
    try:
        import igraph
    except ImportError:
        pass
    else:
        shaped = igraph.Graph(n=n, edges=np.column_stack([rows, cols]))
        tools["cc"]["igraph"] = lambda: np.array(shaped.connected_components().membership)
        tools["lpa"]["igraph"] = lambda: np.array(shaped.community_label_propagation().membership)
    try:
        import networkit
    except ImportError:
        pass
    else:
        kit = networkit.GraphFromCoo((rows.astype(np.uint64), cols.astype(np.uint64)), n=n)

        def kit_components() -> np.ndarray:
            run = networkit.components.ConnectedComponents(kit).run()
            return np.array(run.getPartition().getVector())

        tools["cc"]["networkit"] = kit_components
        tools["lpa"]["networkit"] = lambda: np.array(
            networkit.community.PLP(kit).run().getPartition().getVector())
    return tools


def engine_runs(engine: asapgraph.Engine, make: Callable[[int], VertexProgram], graph: Graph,
                repeat: int, **options: object) -> list[EngineRun]:
    """``repeat`` runs (seed r for repeat r); components are checked against scipy's."""
    runs = [engine.run(make(r), graph, **options) for r in range(repeat)]
    program = make(0)
    if isinstance(program, ConnectedComponents):
        _, component = connected_components(graph.adjacency, directed=True, connection="weak")
        expected = smallest_member_ids(component, graph)
        for run in runs:
            assert run.converged
            assert np.array_equal(program.finish(run.state, graph), expected)
    return runs


def warm_up(engine: asapgraph.Engine, make: Callable[[int], VertexProgram], graph: Graph) -> None:
    """One untimed run, so that no timed mode pays the workers' first use (kernel loads, pages)."""
    engine.run(make(0), graph)


def compute(runs: list[EngineRun]) -> float:
    """Median solve time of the runs."""
    return statistics.median(run.stats.compute_seconds for run in runs)


def with_setup(runs: list[EngineRun]) -> float:
    """Median time of the runs counting partitioning and setup."""
    return statistics.median(
        run.stats.compute_seconds + run.stats.partition_seconds + run.stats.setup_seconds
        for run in runs)


def quality(graph: Graph, labellings: list[np.ndarray]) -> str:
    """Median modularity of the labellings, as `` Q 0.365``."""
    return f" Q {statistics.median(modularity(graph, labels) for labels in labellings):.3f}"


def run_quality(graph: Graph, program: VertexProgram, runs: list[EngineRun]) -> str:
    """Median modularity of the runs' communities."""
    return quality(graph, [program.finish(run.state, graph) for run in runs])


def bench_algorithm(algorithm: str, graph: Graph, tools: dict[str, Labels],
                    args: argparse.Namespace) -> None:
    """The lines of one algorithm on one graph."""
    make: Callable[[int], VertexProgram] = (
        (lambda r: ConnectedComponents()) if algorithm == "cc"
        else (lambda r: LabelPropagation(seed=r)))
    scored = algorithm == "lpa"
    seconds = {}
    for tool, run in tools.items():
        repeat = max(1, args.repeat // 3) if tool == "networkx" else args.repeat
        seconds[tool], labels = timed(run, repeat)
        print(f"  {algorithm} {tool}: {seconds[tool]:.4f} s"
              + (quality(graph, labels) if scored else ""))
    with asapgraph.Engine(2) as engine:
        warm_up(engine, make, graph)
        for mode in ("bsp", "asap"):
            runs = engine_runs(engine, make, graph, args.repeat, mode=mode)
            ours, total = compute(runs), with_setup(runs)
            score = run_quality(graph, make(0), runs) if scored else ""
            print(f"  {algorithm} asapgraph {mode} 2 workers: compute {ours:.4f} s, with "
                  f"partition and setup {total:.4f} s, rounds {runs[-1].stats.rounds[2]}{score}")
            for tool, theirs in seconds.items():
                print(f"{algorithm} asapgraph {mode} 2 workers vs {tool}: {theirs / ours:.2f}x "
                      f"({theirs / total:.2f}x with setup)")
    with asapgraph.Engine(4) as engine:
        warm_up(engine, make, graph)
        slow: dict[str, float] = {}
        bound = []
        for label, options in (("bsp", {"mode": "bsp"}),
                               ("asap fan-in all", {"mode": "asap"}),
                               ("asap fan-in 1", {"mode": "asap", "fan_in": 1})):
            runs = engine_runs(engine, make, graph, args.repeat, straggler=STRAGGLER, **options)
            slow[label] = compute(runs)
            bound += [run.stats.per_worker[1].compute for run in runs]
            score = run_quality(graph, make(0), runs) if scored else ""
            print(f"  {algorithm} 4 workers, worker 1 3x slower, {label}: {slow[label]:.4f} s, "
                  f"rounds {runs[-1].stats.rounds[2]}{score}")
        floor = statistics.median(bound) / slow["bsp"]
        for label in ("asap fan-in all", "asap fan-in 1"):
            print(f"{algorithm} {label} / bsp time, 3x straggler: {slow[label] / slow['bsp']:.2f}"
                  f" (lower bound {floor:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--edge-factor", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-networkx-above", type=int, default=0,
                        help="leave networkx out on graphs with more edges (0: never)")
    parser.add_argument("--algorithms", nargs="+", default=["cc", "lpa"], choices=["cc", "lpa"])
    parser.add_argument("--skip-snap", action="store_true", help="R-MAT only")
    args = parser.parse_args()
    graphs: list[tuple[str, Callable[[], Graph]]] = [] if args.skip_snap else [
        (name.split(".")[0], lambda name=name: read_edgelist(SNAP_DIR / name))
        for name in SNAP_GRAPHS]
    graphs.append((f"R-MAT {args.scale}",
                   lambda: rmat_graph(args.scale, args.edge_factor, seed=1)))
    for name, load in graphs:
        graph = load()
        with_networkx = args.skip_networkx_above <= 0 or graph.m <= args.skip_networkx_above
        print(f"{name}: n={graph.n}, m={graph.m}")
        tools = reference_tools(graph, with_networkx)
        for algorithm in args.algorithms:
            bench_algorithm(algorithm, graph, tools[algorithm], args)


if __name__ == "__main__":
    main()
