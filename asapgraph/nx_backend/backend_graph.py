"""The graph networkx hands the backend: the networkx graph and its asapgraph CSR form."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from asapgraph.graph import Graph

if TYPE_CHECKING:
    import networkx as nx


class BackendGraph:
    """A networkx graph converted once for asapgraph, keeping the original for node lookups.

    ``graph`` carries the weights of the edge attribute ``weight`` (parallel edges added up, as
    networkx's matrices do). networkx caches this conversion on the original graph, so repeated
    calls convert it once; but it may hand a graph converted with one attribute to a call that
    asks for none, so a function that reads weights asks :meth:`weighted_by` for its own.
    """

    __networkx_backend__ = "asapgraph"

    def __init__(self, original: nx.Graph, weight: str | None = None) -> None:
        self.original = original
        self.weight = weight
        self.graph = Graph.from_networkx(original, weight=weight)
        self.nodes: list[Hashable] = list(original)  # in the order of the graph's dense ids
        self._by_weight = {weight: self.graph}

    def weighted_by(self, weight: str | None) -> Graph:
        """The graph with the weights of edge attribute ``weight`` (None: none, or counts)."""
        if weight not in self._by_weight:
            self._by_weight[weight] = Graph.from_networkx(self.original, weight=weight)
        return self._by_weight[weight]

    def is_directed(self) -> bool:
        """As the original graph (networkx's decorators ask)."""
        return self.original.is_directed()

    def is_multigraph(self) -> bool:
        """As the original graph (networkx's decorators ask)."""
        return self.original.is_multigraph()

    def __len__(self) -> int:
        return len(self.nodes)

    def __contains__(self, node: object) -> bool:
        return node in self.original

    def __repr__(self) -> str:
        return f"BackendGraph({self.graph!r})"
