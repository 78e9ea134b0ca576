"""Graph datasets: the SNAP catalogue, verified fetching, generators, and graph specs."""

from asapgraph.datasets.catalogue import CATALOGUE, Dataset, lookup, names
from asapgraph.datasets.fetch import DatasetError, fetch, find_local, resolve_data_dir
from asapgraph.datasets.resolve import resolve_graph
from asapgraph.datasets.rmat import rmat_edges, rmat_graph

__all__ = [
    "CATALOGUE",
    "Dataset",
    "DatasetError",
    "fetch",
    "find_local",
    "lookup",
    "names",
    "resolve_data_dir",
    "resolve_graph",
    "rmat_edges",
    "rmat_graph",
]
