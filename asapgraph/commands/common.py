"""Arguments shared by the subcommands that read a graph."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from asapgraph.datasets.resolve import resolve_graph
from asapgraph.io import LoadedGraph, load_edgelist
from asapgraph.io.edgelist import negative_weight_error
from asapgraph.progress import ProgressCallback


def add_graph_arguments(parser: argparse.ArgumentParser) -> None:
    """The graph (a file, ``snap:NAME`` or ``rmat:...``) and how to read it."""
    parser.add_argument(
        "graph", metavar="GRAPH",
        help="edge-list file (SNAP format; .gz/.bz2 ok), snap:NAME, or rmat:SCALE[:EF[:SEED]]",
    )
    direction = parser.add_mutually_exclusive_group()
    direction.add_argument(
        "--directed", dest="directed", action="store_true", default=None,
        help="treat edges as directed (default: the SNAP header says, else directed)",
    )
    direction.add_argument(
        "--undirected", dest="directed", action="store_false", help="treat edges as undirected"
    )
    parser.add_argument("--drop-self-loops", action="store_true", help="ignore u u lines")
    parser.add_argument("--no-cache", action="store_true", help="bypass the binary graph cache")
    parser.add_argument("--cache-dir", default=None,
                        help="where the binary cache lives (default: $ASAPGRAPH_CACHE, else "
                             "~/.cache/asapgraph/graphs)")
    parser.add_argument("--data-dir", default=None,
                        help="where snap: datasets are found or fetched (default: $ASAPGRAPH_DATA, "
                             "else the user cache)")


def load_graph_argument(
    args: argparse.Namespace, progress: ProgressCallback | None = None
) -> LoadedGraph:
    """Load the graph named on the command line as the arguments say.

    ``progress`` hears the loader: the bytes read as it reads, then the end (so the rate).
    """
    options = {
        "directed": args.directed,
        "drop_self_loops": args.drop_self_loops,
        "cache": not args.no_cache,
        "cache_dir": args.cache_dir,
    }
    path = Path(args.graph)
    if path.exists() or ":" not in args.graph:
        return load_edgelist(path, **options, progress=progress)
    start = time.perf_counter()
    graph = resolve_graph(args.graph, data_dir=args.data_dir, progress=progress, **options)
    return LoadedGraph(graph, path, time.perf_counter() - start, False, 0)


def refuse_negative_weights(loaded: LoadedGraph) -> None:
    """PageRank refuses a negative weight before the run, naming the file and line of the first
    (the engine's own check can only name the value; the reader refused non-finite ones)."""
    weights = loaded.graph.weights
    if weights is None or not weights.size or weights.min() >= 0 or not loaded.path.is_file():
        return
    error = negative_weight_error(loaded.path)
    if error is not None:
        raise error
