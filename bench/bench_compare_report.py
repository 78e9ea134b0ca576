"""BSP against ASAP and auto for pagerank, cc and lpa: docs/bsp-vs-asap.md's tables, reproduced.

``python bench/bench_compare_report.py [--snap-dir DIR] [--rmat-scale 20] [--workers 4]
[--stragglers none,1:3] [--repeat 3] [--algorithms pagerank,cc,lpa] [--rmat-algorithms ...]
[--graphs NAME,...] [--quick] [--json PATH]``

Graphs: every edge list in the shared SNAP folder, then a Graph500 R-MAT graph (scale 20, edge
factor 16: about 16M edges). Each graph, algorithm and straggler setting is one
:func:`asapgraph.compare.compare` call on one engine: bsp, asap fan-in 1, 2 and all, and auto
(PageRank also bsp and auto with accumulative ``deltas`` messages), on one partitioning and seed,
scored against a reference computed once — PageRank: time to an L1 error of 1e-6 to a tight scipy
solve (runs use ``pagerank_tol``, so none stops short of it); components: time to an exact match
with scipy's; label propagation: time to finish, and the modularity found. Times are medians over
``--repeat`` runs (range in brackets); rounds, waiting, traffic and the final figure come from the
median run. After the tables: the goals of issue 11 row by row (auto against the best fixed
configuration, the straggler speed-up, delta traffic against BSP's) and the path auto took.
``--quick``: one repeat and R-MAT scale 18.
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
from asapgraph.compare import (
    Comparison,
    Configuration,
    ConfigurationResult,
    compare,
    configurations_from,
    pagerank_tol,
)
from asapgraph.datasets.resolve import resolve_graph
from asapgraph.io import read_edgelist
from asapgraph.program import VertexProgram
from asapgraph.progress import CONFIGURATIONS, ProgressEvent

SNAP_DIR = Path("/work/shared/datasets/snap")
SNAP_SUFFIXES = (".txt", ".txt.gz")
NOT_EDGE_LISTS = ("email-Eu-core-department-labels.txt",)
ALGORITHMS = ("pagerank", "cc", "lpa")
FAN_INS = (1, 2, None)
TARGET = 1e-6
QUICK_SCALE = 18
AUTO_MARGIN = 1.05  # goal: auto within 5% of the best fixed configuration
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


def configurations(algorithm: str) -> list[Configuration]:
    """bsp, asap fan-in 1/2/all, auto; PageRank also bsp and auto with delta messages."""
    rows = configurations_from(["bsp", "asap", "auto"], FAN_INS)
    if algorithm == "pagerank":
        rows.insert(1, Configuration("bsp", messages="deltas"))
        rows.append(Configuration("auto", messages="deltas"))
    return rows


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


def stragglers_argument(text: str) -> list[dict[int, float]]:
    """``none,1:3``: one straggler setting per item (``none``: every worker at full speed)."""
    return [{} if item == "none" else dict([straggler_argument(item)])
            for item in text.split(",")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snap-dir", type=Path, default=SNAP_DIR)
    parser.add_argument("--rmat-scale", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--stragglers", type=stragglers_argument, default="none,1:3",
                        metavar="none,W:F", help="straggler settings (default none,1:3)")
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
    if args.quick:
        args.repeat, args.rmat_scale = 1, min(args.rmat_scale, QUICK_SCALE)
    algorithms = args.algorithms.split(",")
    rmat_algorithms = (args.rmat_algorithms or args.algorithms).split(",")
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
                for straggler in args.stragglers:
                    tag = f"{name} {algorithm} {_slow(straggler)}"
                    comparison = compare(
                        factory(algorithm, graph, args.seed), graph, configurations(algorithm),
                        engine=engine, repeat=args.repeat, seed=args.seed, straggler=straggler,
                        progress=announcer(tag),
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
    """Machine, settings, one Markdown table per algorithm, then the goals and auto's paths."""
    machine = report.machine()
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v)
    print(f"Machine: {machine['platform']}, {machine['cpu_count']} CPUs "
          f"({machine['cpus_usable']} usable); {versions}.")
    settings = "; ".join(_slow(s) for s in args.stragglers)
    print(f"Settings: {args.workers} workers, {settings}, {args.repeat} repeat(s), seed "
          f"{args.seed}; bench took {seconds / 60:.1f} min; load average (1, 5, 15 min) before "
          f"{_load(load_before)}, after {_load(machine['load_average'])}.")
    print(f"Not run: {', '.join(skipped)}.\n" if skipped else "")
    for algorithm, runs in results.items():
        if not runs:
            continue
        header = ["graph (n, m)", "straggler", *report.headers(runs[0][1])]
        body = []
        for name, comparison in runs:
            sizes = f"{name} ({comparison.graph['n']:,}, {comparison.graph['m']:,})"
            for k, row in enumerate(report.rows(comparison)):
                body.append([sizes if k == 0 else "", _slow(_straggler(comparison)) if k == 0
                             else "", *row])
        print(f"### {algorithm}\n")
        print(report.markdown_table(header, body))
        print()
    print(LEGEND)
    print("\n### Goals, row by row\n")
    print(report.markdown_table(*goal_table(results)))
    print("\n### The path auto took (median repeat)\n")
    for algorithm, runs in results.items():
        for name, comparison in runs:
            for result in comparison.results:
                if result.configuration.mode == "auto":
                    print(f"- {algorithm} {name} {_slow(_straggler(comparison))}, "
                          f"{result.configuration.label}: {_path(result)}")


def goal_table(results: dict[str, list[tuple[str, Comparison]]]) -> tuple[list[str], list]:
    """Per row: auto over the best fixed configuration, best ASAP over BSP, delta bytes."""
    header = ["algorithm", "graph", "straggler", "best fixed", "auto / best fixed",
              "auto / bsp", "best asap / bsp", "bytes: deltas / bsp (bsp deltas, auto deltas)"]
    body = []
    for algorithm, runs in results.items():
        for name, comparison in runs:
            by_label = {r.configuration.label: r for r in comparison.results}
            fixed = [r for r in comparison.results
                     if r.configuration.mode != "auto" and r.configuration.messages == "values"]
            timed = [r for r in fixed if r.median_time is not None]
            best = min(timed, key=lambda r: r.median_time) if timed else None
            auto_row = by_label.get("auto")
            bsp = by_label["bsp"]
            asap = [r for r in timed if r.configuration.mode == "asap"]
            best_asap = min(asap, key=lambda r: r.median_time) if asap else None
            body.append([
                algorithm, name, _slow(_straggler(comparison)),
                best.configuration.label if best else "—",
                _ratio(auto_row, best, flag=AUTO_MARGIN),
                _ratio(auto_row, bsp),
                _ratio(best_asap, bsp),
                ", ".join(_bytes_ratio(by_label.get(label), bsp)
                          for label in ("bsp deltas", "auto deltas")
                          if label in by_label) or "—",
            ])
    return header, body


def _ratio(row: ConfigurationResult | None, base: ConfigurationResult | None,
           flag: float | None = None) -> str:
    if row is None or base is None or row.median_time is None or not base.median_time:
        return "—"
    ratio = row.median_time / base.median_time
    mark = " ✗" if flag is not None and ratio > flag else ""
    return f"{ratio:.2f}{mark}"


def _bytes_ratio(row: ConfigurationResult | None, bsp: ConfigurationResult) -> str:
    if row is None or not bsp.typical.stats.bytes:
        return "—"
    return f"{row.typical.stats.bytes / bsp.typical.stats.bytes:.2f}"


def _path(result: ConfigurationResult) -> str:
    phases = result.typical.stats.phases
    return "; ".join(f"{p['mode']} rounds {p['first']}–{p['last']} ({p['reason']})"
                     for p in phases) or "—"


def _straggler(comparison: Comparison) -> dict[int, float]:
    return {int(w): f for w, f in (comparison.options.get("straggler") or {}).items()}


def _slow(straggler: dict[int, float]) -> str:
    return ", ".join(f"worker {w} {f:g}× slower" for w, f in straggler.items()) or "none"


def _load(values: list[float] | None) -> str:
    return "unknown" if values is None else "/".join(f"{value:.1f}" for value in values)


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def announcer(tag: str) -> Callable[[ProgressEvent], None]:
    """A compare progress callback that logs each configuration as it starts (not the rounds)."""
    def announce(event: ProgressEvent) -> None:
        if event.stage == CONFIGURATIONS and not event.finished:
            log(f"{tag}: {event.label}")
    return announce



if __name__ == "__main__":
    sys.exit(main())
