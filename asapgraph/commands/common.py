"""Arguments shared by the subcommands that read a graph."""

from __future__ import annotations

import argparse

from asapgraph.io import LoadedGraph, load_edgelist


def add_graph_arguments(parser: argparse.ArgumentParser) -> None:
    """The graph file and how to read it."""
    parser.add_argument("graph", metavar="FILE", help="edge list (SNAP format; .gz/.bz2 ok)")
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
    parser.add_argument("--cache-dir", default=None, help="where the binary cache lives")


def load_graph_argument(args: argparse.Namespace) -> LoadedGraph:
    """Load the graph named on the command line as the arguments say."""
    return load_edgelist(
        args.graph,
        directed=args.directed,
        drop_self_loops=args.drop_self_loops,
        cache=not args.no_cache,
        cache_dir=args.cache_dir,
    )
