"""The object networkx loads through the ``networkx.backends`` entry point.

networkx calls ``convert_from_nx`` on each graph argument, then the function of the same name,
then ``convert_to_nx`` on the result; ``can_run``/``should_run`` decide beforehand whether to
call at all, and ``on_start_tests`` marks networkx's tests that the backend declares unsupported.
"""

from __future__ import annotations

from typing import Any

from . import functions, support, testing
from .backend_graph import BackendGraph
from .info import FUNCTIONS


class BackendInterface:
    """asapgraph's networkx backend: the functions of ``info.FUNCTIONS``."""

    @staticmethod
    def convert_from_nx(graph: Any, *, edge_attrs: dict | None = None, **_: Any) -> BackendGraph:
        """Wrap a networkx graph, reading the one edge attribute the call uses as weights."""
        if isinstance(graph, BackendGraph):
            return graph
        weight = next(iter(edge_attrs)) if edge_attrs else None
        return BackendGraph(graph, weight)

    @staticmethod
    def convert_to_nx(result: Any, *, name: str | None = None) -> Any:
        """Results are already networkx's types; a backend graph gives back its original."""
        return result.original if isinstance(result, BackendGraph) else result

    can_run = staticmethod(support.can_run)

    @staticmethod
    def should_run(name: str, args: tuple, kwargs: dict[str, Any]) -> bool:
        """Whenever it can: the user chose the backend (by name or by priority)."""
        return True

    on_start_tests = staticmethod(testing.on_start_tests)


for _name in FUNCTIONS:
    setattr(BackendInterface, _name, staticmethod(getattr(functions, _name)))
