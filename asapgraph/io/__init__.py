"""Reading and writing graphs and results."""

from asapgraph.io.edgelist import LoadedGraph, load_edgelist, read_edgelist

__all__ = ["LoadedGraph", "load_edgelist", "read_edgelist"]
