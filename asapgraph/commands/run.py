"""``asapgraph run ALGO FILE``: one algorithm, BSP or ASAP, results written atomically."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

import numpy as np

from asapgraph.algorithms.quality import modularity
from asapgraph.api import Result, run
from asapgraph.commands import ppr, run_ingested
from asapgraph.commands.common import (
    add_graph_arguments,
    load_graph_argument,
    refuse_negative_weights,
)
from asapgraph.commands.display import progress_display
from asapgraph.commands.options import (
    add_engine_arguments,
    engine_options,
    join_mpi_job,
    make_program,
    positive_int,
)
from asapgraph.graph import Graph
from asapgraph.io.output import STDOUT, check_outputs, write_output, writes_stdout
from asapgraph.io.results import write_values

if TYPE_CHECKING:
    from asapgraph.updates import EdgeBatch


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` subcommand."""
    parser = subparsers.add_parser(
        "run", help="run pagerank, cc, lpa or ppr on a graph",
        description="Run one algorithm on a graph across worker processes, BSP or ASAP.",
    )
    parser.add_argument("algorithm", choices=("pagerank", "cc", "lpa", "ppr"),
                        help="ppr: personalised PageRank for every --seeds vertex in one run")
    add_graph_arguments(parser)
    add_engine_arguments(parser)
    changes = parser.add_mutually_exclusive_group()
    changes.add_argument("--update", metavar="FILE",
                         help="then apply this batch ('+ src dst [w]' / '- src dst' lines) and "
                              "recompute from the first result; --out gets the second "
                              "(default: none)")
    changes.add_argument("--diff", metavar="NEW",
                         help="then change GRAPH into the edge list NEW (their difference is the "
                              "batch) and recompute from the first result (default: none)")
    ppr.add_arguments(parser)
    parser.add_argument("--out", metavar="PATH",
                        help="write original_id<TAB>value lines here, '-' for stdout (ppr: "
                             "seed<TAB>vertex<TAB>rank, --top per seed) (default: no file; "
                             "with --top, stdout; a link's target is replaced, a device or FIFO "
                             "written to)")
    parser.add_argument("--top", type=positive_int, metavar="K",
                        help="output only the K best, sorted: pagerank's K highest ranks "
                             "(vertex, rank), cc's K largest components and lpa's K largest "
                             "communities (label, size), ppr's K best per seed (default: every "
                             f"vertex, by id; ppr: {ppr.DEFAULT_TOP} per seed)")
    parser.add_argument("--stats", metavar="PATH.json",
                        help="write the run statistics as strict JSON (default: no file)")
    parser.add_argument("--show-stats", action="store_true", help="print the per-worker table")
    parser.add_argument("--ingest", choices=("parallel", "whole"), default="parallel",
                        help="with --transport mpi and a file or folder: each rank reads its "
                             "share (parallel), or every rank loads the whole graph (whole)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Load, run, write, summarise; the summary goes to stderr when stdout carries results."""
    check_outputs({"--out": args.out, "--stats": args.stats}, inputs=[args.graph])
    whole = args.algorithm == "ppr" or args.update or args.diff  # they need the whole graph
    if not whole and run_ingested.applies(args):
        if args.top:
            raise ValueError("--top needs the whole result on one rank: add --ingest whole")
        return run_ingested.handle(args)
    if args.transport == "mpi":
        join_mpi_job(args)  # from here on only rank 0 speaks and writes (a bad input too)
    out = STDOUT if args.top and not args.out else args.out
    with progress_display() as progress:
        loaded = load_graph_argument(args, progress)
        if args.algorithm in ("pagerank", "ppr"):
            refuse_negative_weights(loaded)
        if args.algorithm == "ppr":
            return ppr.handle(args, loaded)
        batch = read_batch(args, loaded.graph)  # a bad batch fails before any run
        program = make_program(args)
        options = engine_options(args)
        if progress is not None and args.transport == "shm":
            options["progress"] = progress
        result = run(program, loaded.graph, **options)
    result.stats.load_seconds = loaded.seconds
    if batch is not None:
        result = after_changes(args, loaded.graph.apply(batch), batch, result)
    if out:
        ids, values, columns = best(args.algorithm, result, args.top)
        header = (f"{args.algorithm} on {args.graph}: {columns} "
                  f"(mode={args.mode}, workers={args.workers})")
        write_values(out, ids, values, header)
    if args.stats:
        write_output(args.stats, lambda h: h.write(result.stats.to_json(indent=1)))
    # Results on stdout (--out -, --top) keep it for themselves: the summary then goes to stderr.
    talk = sys.stderr if writes_stdout(out) or writes_stdout(args.stats) else sys.stdout
    print(summary(args.algorithm, result), file=talk)
    if args.show_stats:
        print(result.stats.table(), file=talk)
    return 0


def best(algorithm: str, result: Result, top: int | None) -> tuple[np.ndarray, np.ndarray, str]:
    """What ``--out`` writes: every vertex by id, or the ``top`` best rows, best first.

    PageRank's best are the highest ranks (ties by id); components' and communities' are the
    largest groups, named by their label (the smallest original id in them), ties by label.
    """
    ids = result.graph.ids
    if top is None:
        return ids, result.values, "original_id\tvalue"
    if algorithm == "pagerank":
        order = np.lexsort((ids, -result.values))[:top]
        return ids[order], result.values[order], f"top {top} by rank: original_id\trank"
    labels, sizes = np.unique(result.values, return_counts=True)
    order = np.lexsort((labels, -sizes))[:top]
    kind = "components" if algorithm == "cc" else "communities"
    return labels[order], sizes[order], f"{top} largest {kind}: label\tsize"


def summary(algorithm: str, result: Result) -> str:
    """A few lines a person reads after a run."""
    stats = result.stats
    lo, med, hi = stats.rounds
    lines = [
        f"{algorithm}: n={result.graph.n} m={result.graph.m} mode={stats.mode} "
        f"workers={stats.workers} converged={stats.converged}",
        f"rounds min/median/max {lo}/{med:g}/{hi}, compute {stats.compute_seconds:.3f}s, "
        f"waiting {100 * stats.wait_share:.1f}%, {stats.messages} messages, "
        f"{stats.bytes / 1e6:.2f} MB",
    ]
    lines.extend(algorithm_lines(algorithm, result))
    return "\n".join(lines)


def algorithm_lines(algorithm: str, result: Result) -> list[str]:
    """What each algorithm adds to the summary."""
    if algorithm == "pagerank":
        top = result.values.argsort()[::-1][:5]
        ranked = ", ".join(f"{result.graph.ids[v]} ({result.values[v]:.4g})" for v in top)
        return [f"top vertices: {ranked}"]
    _, sizes = np.unique(result.values, return_counts=True)
    largest = ", ".join(str(size) for size in np.sort(sizes)[::-1][:5])
    if algorithm == "cc":
        return [f"components: {sizes.size}; largest sizes: {largest}"]
    score = modularity(result.graph, result.values) if result.graph.m else float("nan")
    return [f"communities: {sizes.size}; largest sizes: {largest}; modularity {score:.4f}"]


def read_batch(args: argparse.Namespace, graph: Graph) -> EdgeBatch | None:
    """The batch ``--update`` or ``--diff`` names, or None."""
    from asapgraph import updates  # only this path needs it

    if args.update:
        return updates.read_update(args.update)
    if args.diff:
        new = load_graph_argument(argparse.Namespace(**{**vars(args), "graph": args.diff}))
        return updates.diff(graph, new.graph)
    return None


def after_changes(args: argparse.Namespace, changed: Graph, batch: EdgeBatch,
                  before: Result) -> Result:
    """Recompute on the changed graph, warm from ``before``; say what it cost."""
    from asapgraph import api

    graph = before.graph
    options = engine_options(args)
    extra = {} if args.max_iter is None else {"max_iter": args.max_iter}
    if args.algorithm == "pagerank":
        after = api.pagerank(changed, damping=args.damping, tol=args.tol, previous=before,
                             weight=bool(graph.weighted), **extra, **options)
    elif args.algorithm == "cc":
        after = api.connected_components(changed, previous=before, **extra, **options)
    else:
        after = api.label_propagation(changed, seed=options.pop("seed"), previous=before,
                                      **extra, **options)
    added = changed.changes.new_vertices if changed.changes else 0
    print(f"before the batch: compute {before.stats.compute_seconds:.3f}s; batch: "
          f"-{len(batch.removed_src)} +{len(batch.added_src)} edges, {added} new vertices; "
          f"after it (warm start): compute {after.stats.compute_seconds:.3f}s")
    for note in after.stats.notes:
        print(f"note: {note}")
    return after
