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
    networkx's matrices do). networkx caches this conversion on the original graph, per edge
    attribute, so repeated calls on one graph convert it once.
    """

    __networkx_backend__ = "asapgraph"

    def __init__(self, original: nx.Graph, weight: str | None = None) -> None:
        self.original = original
        self.weight = weight
        self.graph = Graph.from_networkx(original, weight=weight)
        self.nodes: list[Hashable] = list(original)  # in the order of the graph's dense ids

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
