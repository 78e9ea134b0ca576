"""Which matrix a vertex program pulls (the graph, its transpose or its symmetrised view), found
without building it: so a cached view or a cached partition can stand in for it.

Shared by the shared-memory engine (``layout.py``: the partition cache is keyed by the view) and
the MPI ranks (``mpi_partition.py``: each maps the cached view instead of building it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asapgraph.graph import Graph
from asapgraph.io.cache import View
from asapgraph.program import VertexProgram


@dataclass(frozen=True)
class Pulled:
    """What a probed ``program.matrix`` returned: view ``view`` of ``graph`` (or its unweighted)."""

    graph: Graph
    view: View | None  # None: the graph itself
    weighted: bool


class _ViewProbe:
    """Stands in for the graph while ``program.matrix`` says which view it pulls; builds nothing.

    ``VertexProgram`` has no attribute naming its view, and calling ``program.matrix(graph)``
    would build it (O(m)) — the very thing a rank must not do. The probe answers every attribute
    from the real graph except ``transpose``, ``symmetric`` and ``unweighted``, which return
    markers: the built-in programs (``graph.transpose``, ``graph.unweighted.transpose``,
    ``graph.symmetric``) are recognised, and a program that reads anything else simply gets it.
    """

    def __init__(self, graph: Graph, weighted: bool = True) -> None:
        self._graph = graph
        self._weighted = weighted

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph if self._weighted else self._graph.unweighted, name)

    @property
    def weighted(self) -> bool:
        """As ``graph.weighted``, or False once ``unweighted`` was taken."""
        return self._weighted and self._graph.weighted

    @property
    def unweighted(self) -> _ViewProbe:
        """A probe of ``graph.unweighted`` (still building nothing)."""
        return _ViewProbe(self._graph, weighted=False)

    @property
    def transpose(self) -> Pulled:
        """The marker of ``graph.transpose``."""
        return Pulled(self._graph, "transpose", self._weighted)

    @property
    def symmetric(self) -> Pulled:
        """The marker of ``graph.symmetric``."""
        return Pulled(self._graph, "symmetric", self._weighted)


def probe_view(program: VertexProgram, graph: Graph) -> Pulled | None:
    """Which view of ``graph`` the program pulls, without building it; None if not recognised."""
    probe = _ViewProbe(graph)
    try:
        pulled = program.matrix(probe)  # type: ignore[arg-type]  (duck-typed on purpose)
    except Exception:  # a program that needs the real Graph: call it for real below
        return None
    if isinstance(pulled, _ViewProbe):
        return Pulled(graph, None, pulled.weighted)
    return pulled if isinstance(pulled, Pulled) else None
