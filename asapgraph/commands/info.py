"""``asapgraph info FILE``: sizes, degrees and load statistics of an edge-list file."""

from __future__ import annotations

import argparse

import numpy as np

from asapgraph import strict_json
from asapgraph.commands.common import add_graph_arguments, load_graph_argument
from asapgraph.commands.display import progress_display
from asapgraph.graph import Graph


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``info`` subcommand."""
    parser = subparsers.add_parser("info", help="describe a graph file")
    add_graph_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one (strict) JSON object")
    parser.set_defaults(handler=handle)


def describe(graph: Graph) -> dict[str, object]:
    """The figures ``info`` prints, as plain Python values."""
    degree = graph.out_degree
    empty = degree.size == 0
    return {
        "n": graph.n,
        "m": graph.m,
        "directed": graph.directed,
        "weighted": graph.weighted,
        "self_loops": graph.self_loops,
        "dangling": int(np.count_nonzero(degree == 0)),
        "degree_min": 0 if empty else int(degree.min()),
        "degree_median": 0.0 if empty else float(np.median(degree)),
        "degree_mean": 0.0 if empty else float(degree.mean()),
        "degree_max": 0 if empty else int(degree.max()),
    }


def handle(args: argparse.Namespace) -> int:
    """Print the description of one graph file."""
    with progress_display() as progress:
        loaded = load_graph_argument(args, progress)
    figures = {"file": str(args.graph), **describe(loaded.graph)}
    figures["load_seconds"] = round(loaded.seconds, 6)
    figures["from_cache"] = loaded.from_cache
    if args.json:
        print(strict_json.dumps(figures))
        return 0
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        shown = f"{value:.4g}" if isinstance(value, float) else value
        print(f"{key:<{width}}  {shown}")
    return 0
