"""BSP against ASAP for pagerank, cc and lpa: docs/benchmarks.md's comparison tables, reproduced.

``python bench/bench_compare_report.py [--snap-dir DIR] [--rmat-scale 20] [--workers 4]
[--straggler 1:3] [--repeat 3] [--algorithms pagerank,cc,lpa] [--rmat-algorithms ...]
[--graphs NAME,...] [--quick] [--json PATH]``

Graphs: every edge list in the shared SNAP folder, then a Graph500 R-MAT graph (scale 20, edge
factor 16: about 16M edges). Each graph and algorithm is one :func:`asapgraph.compare.compare`
call on one engine: bsp, asap fan-in 1, 2 and all, on one partitioning and seed, with the same
straggler, scored against a reference computed once — PageRank: time to an L1 error of 1e-6 to a
tight scipy solve (runs use ``pagerank_tol``, so none stops short of it); components: time to an
exact match with scipy's; label propagation: time to finish, and the modularity found. Times are
medians over ``--repeat`` runs (range in brackets); rounds, waiting, traffic and the final figure
come from the median run. ``--rmat-algorithms`` narrows what runs on R-MAT (the report says what
was left out). ``--quick``: one repeat and R-MAT scale 18 (about a minute on two cores).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from asapgraph import Engine, Graph, report
from asapgraph.algorithms.components import ConnectedComponents
from asapgraph.algorithms.label_propagation import LabelPropagation
from asapgraph.algorithms.pagerank import PageRank
from asapgraph.commands.options import straggler_argument
from asapgraph.compare import Comparison, compare, configurations_from, pagerank_tol
from asapgraph.datasets.resolve import resolve_graph
from asapgraph.io import read_edgelist
from asapgraph.program import VertexProgram

SNAP_DIR = Path("/work/shared/datasets/snap")
SNAP_SUFFIXES = (".txt", ".txt.gz")
NOT_EDGE_LISTS = ("email-Eu-core-department-labels.txt",)
ALGORITHMS = ("pagerank", "cc", "lpa")
FAN_INS = (1, 2, None)
TARGET = 1e-6
QUICK_SCALE = 18
LEGEND = """\
Times: median over the repeats [min–max], read from the parent's trace (one sample every 10 ms, or
more on large graphs: see trace_interval in the JSON), so short times are coarse. Rounds, waiting
(share of worker time in barrier/NOTIFY waits), messages, MB sent and the last figure come from
the median repeat; "not converged" counts repeats that hit max_iter. Speed-up: median time of bsp
over that of the row (above 1: faster than bsp)."""


def factory(algorithm: str, graph: Graph, seed: int) -> Callable[[], VertexProgram]:
    """The program of each algorithm, PageRank tight enough to reach the target."""
    if algorithm == "pagerank":
        tol = pagerank_tol(TARGET, graph.n)
        return lambda: PageRank(tol=tol)
    if algorithm == "cc":
        return ConnectedComponents
    if algorithm == "lpa":
        return lambda: LabelPropagation(seed=seed)
    raise ValueError(f"Unknown algorithm {algorithm!r}.")


def graphs(snap_dir: Path, rmat_scale: int) -> list[tuple[str, Callable[[], Graph]]]:
    """(name, loader) for every SNAP edge list, smallest file first, then R-MAT."""
    files = sorted(
        (path for path in snap_dir.iterdir()
         if path.name.endswith(SNAP_SUFFIXES) and path.name not in NOT_EDGE_LISTS),
        key=lambda path: path.stat().st_size,
    )
    loaders: list[tuple[str, Callable[[], Graph]]] = [
        (path.name.split(".")[0], lambda path=path: read_edgelist(path)) for path in files
    ]
    spec = f"rmat:{rmat_scale}"
    loaders.append((spec, lambda: resolve_graph(spec)))
    return loaders


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snap-dir", type=Path, default=SNAP_DIR)
    parser.add_argument("--rmat-scale", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--straggler", type=straggler_argument, action="append", default=None,
                        metavar="W:F", help="worker W runs F times slower (default 1:3)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS),
                        help="comma-separated subset of pagerank,cc,lpa")
    parser.add_argument("--rmat-algorithms", default=None,
                        help="the algorithms run on R-MAT (default: --algorithms)")
    parser.add_argument("--graphs", default=None,
                        help="comma-separated names to keep (default: every graph)")
    parser.add_argument("--quick", action="store_true",
                        help=f"one repeat, R-MAT scale {QUICK_SCALE}")
    parser.add_argument("--json", type=Path, default=None,
                        help="write every raw figure (results.json documents) here")
    args = parser.parse_args()
    args.straggler = dict(args.straggler or [(1, 3.0)])
    if args.quick:
        args.repeat, args.rmat_scale = 1, min(args.rmat_scale, QUICK_SCALE)
    algorithms = args.algorithms.split(",")
    rmat_algorithms = (args.rmat_algorithms or args.algorithms).split(",")
    rows = configurations_from(["bsp", "asap"], FAN_INS)
    chosen = graphs(args.snap_dir, args.rmat_scale)
    if args.graphs:
        keep = args.graphs.split(",")
        chosen = [(name, load) for name, load in chosen if name in keep]

    load_before = report.machine()["load_average"]
    began = time.perf_counter()
    results: dict[str, list[tuple[str, Comparison]]] = {name: [] for name in algorithms}
    skipped: list[str] = []
    with Engine(args.workers) as engine:
        for name, load in chosen:
            loading = time.perf_counter()
            graph = load()
            log(f"{name}: n={graph.n:,} m={graph.m:,} loaded in "
                f"{time.perf_counter() - loading:.1f}s")
            for algorithm in algorithms:
                if name.startswith("rmat:") and algorithm not in rmat_algorithms:
                    skipped.append(f"{algorithm} on {name}")
                    continue
                comparison = compare(
                    factory(algorithm, graph, args.seed), graph, rows, engine=engine,
                    repeat=args.repeat, seed=args.seed, straggler=args.straggler,
                    progress=lambda line, tag=f"{name} {algorithm}": log(f"{tag}: {line}"),
                )
                results[algorithm].append((name, comparison))
    print_report(args, results, skipped, load_before, time.perf_counter() - began)
    if args.json:
        documents = [report.results_document(c, name, arguments={**vars(args), "json": None})
                     for runs in results.values() for name, c in runs]
        args.json.write_text(json.dumps(documents, default=str, allow_nan=False))
    return 0


def print_report(args: argparse.Namespace, results: dict[str, list[tuple[str, Comparison]]],
                 skipped: list[str], load_before: list[float] | None, seconds: float) -> None:
    """Machine, settings, then one Markdown table per algorithm (graph rows grouped)."""
    machine = report.machine()
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v)
    print(f"Machine: {machine['platform']}, {machine['cpu_count']} CPUs "
          f"({machine['cpus_usable']} usable); {versions}.")
    slow = ", ".join(f"worker {w} {f:g}× slower" for w, f in args.straggler.items())
    print(f"Settings: {args.workers} workers, {slow}, {args.repeat} repeat(s), seed {args.seed}; "
          f"bench took {seconds / 60:.1f} min; load average (1, 5, 15 min) before "
          f"{_load(load_before)}, after {_load(machine['load_average'])}.")
    print(f"Not run: {', '.join(skipped)}.\n" if skipped else "")
    for algorithm, runs in results.items():
        if not runs:
            continue
        header = ["graph (n, m)", *report.headers(runs[0][1])]
        body = []
        for name, comparison in runs:
            sizes = f"{name} ({comparison.graph['n']:,}, {comparison.graph['m']:,})"
            for k, row in enumerate(report.rows(comparison)):
                body.append([sizes if k == 0 else "", *row])
        print(f"### {algorithm}\n")
        print(report.markdown_table(header, body))
        print()
    print(LEGEND)


def _load(values: list[float] | None) -> str:
    return "unknown" if values is None else "/".join(f"{value:.1f}" for value in values)


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
