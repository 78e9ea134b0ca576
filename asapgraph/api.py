"""The library front: ``asapgraph.run`` for any vertex program, and one function per algorithm."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from asapgraph.algorithms.pagerank import PageRank
from asapgraph.engine.engine import Engine
from asapgraph.engine.stats import RunStats
from asapgraph.errors import ConvergenceError
from asapgraph.graph import Graph
from asapgraph.program import VertexProgram


@dataclass
class Result:
    """What an algorithm returns: values by dense id, the graph they belong to, and statistics."""

    values: np.ndarray
    graph: Graph
    stats: RunStats

    @property
    def converged(self) -> bool:
        """Whether the program's convergence test held when the run stopped."""
        return self.stats.converged

    def to_dict(self) -> dict[Hashable, Any]:
        """Original vertex id → value."""
        return dict(zip(self.graph.ids.tolist(), self.values.tolist(), strict=True))


def as_graph(graph: Any) -> Graph:
    """Accept an asapgraph Graph, a networkx graph, or a scipy sparse adjacency matrix."""
    if isinstance(graph, Graph):
        return graph
    if hasattr(graph, "is_directed") and hasattr(graph, "nodes"):
        return Graph.from_networkx(graph)
    if hasattr(graph, "tocoo"):
        return Graph.from_scipy(graph)
    raise TypeError(f"Cannot make a graph from {type(graph).__name__}.")


def run(
    program: VertexProgram,
    graph: Any,
    *,
    workers: int = 1,
    engine: Engine | None = None,
    reference: np.ndarray | None = None,
    **options: Any,
) -> Result:
    """Run a vertex program on ``workers`` processes (or on an open ``engine``'s).

    Options are those of :meth:`Engine.run`: ``mode`` ('bsp' or 'asap'), ``fan_in`` (None = all),
    ``max_staleness``, ``policy`` ('latest' or 'queue'), ``sweeps``, ``chunks``, ``seed``,
    ``straggler`` ({worker: slowdown factor}), ``order``, ``partitioning``. With ``reference``
    (the expected result by dense id) the trace records the L1 error over time.
    """
    graph = as_graph(graph)
    error = None
    if reference is not None:
        expected = np.asarray(reference, dtype=np.float64)
        error = lambda result: float(np.abs(result - expected).sum())  # noqa: E731
    if engine is None:
        with Engine(workers) as own:
            outcome = own.run(program, graph, error=error, **options)
    else:
        outcome = engine.run(program, graph, error=error, **options)
    if not outcome.converged and program.must_converge:
        raise ConvergenceError(program.name, program.max_iter, outcome.stats.residual)
    return Result(program.finish(outcome.state, graph), graph, outcome.stats)


def pagerank(
    graph: Any,
    *,
    damping: float = 0.85,
    tol: float = 1e-6,
    max_iter: int = 1000,
    **options: Any,
) -> Result:
    """PageRank (networkx's result; ``tol`` bounds the L1 error per vertex). See :func:`run`."""
    return run(PageRank(damping=damping, tol=tol, max_iter=max_iter), graph, **options)
