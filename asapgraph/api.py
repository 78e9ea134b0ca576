"""The library front: ``asapgraph.run`` for any vertex program, and one function per algorithm."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from asapgraph import checks
from asapgraph.algorithms.components import ConnectedComponents
from asapgraph.algorithms.label_propagation import LabelPropagation
from asapgraph.algorithms.pagerank import PageRank
from asapgraph.engine.engine import Engine, EngineRun
from asapgraph.engine.stats import RunStats
from asapgraph.errors import ConvergenceError
from asapgraph.graph import Graph
from asapgraph.program import VertexProgram

TRANSPORTS = ("shm", "mpi")


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


def as_graph(graph: Any, *, weight: str | None = None) -> Graph:
    """Accept an asapgraph Graph, a networkx graph, or a scipy sparse adjacency matrix.

    ``weight`` names the networkx edge attribute to read as weights (absent: 1).
    """
    if isinstance(graph, Graph):
        return graph
    if hasattr(graph, "is_directed") and hasattr(graph, "nodes"):
        return Graph.from_networkx(graph, weight=weight)
    if hasattr(graph, "tocoo"):
        return Graph.from_scipy(graph)
    raise TypeError(f"Cannot make a graph from {type(graph).__name__}.")


def by_dense_id(graph: Graph, values: Mapping[Hashable, float] | None) -> np.ndarray | None:
    """A dict keyed by original ids as an array by dense id (missing ids are 0, as networkx)."""
    if values is None:
        return None
    array = np.zeros(graph.n)
    if values:
        array[graph.dense_ids(list(values))] = np.fromiter(values.values(), dtype=np.float64)
    return array


def execute(
    program: VertexProgram,
    graph: Graph,
    *,
    workers: int = 1,
    engine: Engine | None = None,
    reference: np.ndarray | None = None,
    transport: str = "shm",
    **options: Any,
) -> EngineRun:
    """Run ``program`` on an open engine, a fresh one, or the ranks of an MPI job (``mpi``).

    Raises if the program must converge and did not.
    """
    checks.choice("transport", transport, TRANSPORTS)
    error = None
    if reference is not None:
        expected = np.asarray(reference, dtype=np.float64)
        error = lambda result: float(np.abs(result - expected).sum())  # noqa: E731
    if transport == "mpi":
        if engine is not None:
            raise ValueError("An open Engine runs on shared memory; drop engine= for 'mpi'.")
        from asapgraph.engine.mpi_runner import run_mpi  # mpi4py is an optional extra

        outcome = run_mpi(program, graph, workers=workers, error=error, **options)
    elif engine is None:
        with Engine(workers) as own:
            outcome = own.run(program, graph, error=error, **options)
    else:
        outcome = engine.run(program, graph, error=error, **options)
    if not outcome.converged and program.must_converge:
        raise ConvergenceError(program.name, program.max_iter, outcome.stats.residual)
    return outcome


def run(program: VertexProgram, graph: Any, **options: Any) -> Result:
    """Run a vertex program on ``workers`` processes (or on an open ``engine``'s).

    Options: ``workers`` (default 1) or ``engine``; ``mode`` ('bsp' or 'asap'), ``fan_in``
    (None = all), ``max_staleness``, ``policy`` ('latest' or 'queue'), ``sweeps``, ``chunks``,
    ``seed``, ``straggler`` ({worker: slowdown factor}), ``order``, ``partitioning``; with
    ``reference`` (the expected result by dense id) the trace records the L1 error over time.
    ``transport='mpi'``: call it on every rank of an MPI job (``mpiexec -n P``), one partition
    per rank; every rank gets the same result (see ``asapgraph/engine/mpi_runner.py``).
    """
    graph = as_graph(graph)
    outcome = execute(program, graph, **options)
    return Result(program.finish(outcome.state, graph), graph, outcome.stats)


def pagerank(
    graph: Any,
    *,
    damping: float = 0.85,
    tol: float = 1e-6,
    max_iter: int = 1000,
    personalization: Mapping[Hashable, float] | None = None,
    nstart: Mapping[Hashable, float] | None = None,
    dangling: Mapping[Hashable, float] | None = None,
    weight: str | bool | None = "weight",
    **options: Any,
) -> Result:
    """PageRank, equal to ``networkx.pagerank`` with the same arguments (``alpha`` = ``damping``).

    ``tol`` bounds the L1 error per vertex (networkx stops on the change alone, so at equal
    ``tol`` this is more accurate). ``personalization``, ``nstart`` and ``dangling`` are dicts
    keyed by original ids, missing ids counting 0, as in networkx. ``weight`` is the networkx
    edge attribute (or True for a file's third column; None/False ignores weights). Raises
    :class:`~asapgraph.ConvergenceError` after ``max_iter`` rounds. Other options: see
    :func:`run`.
    """
    graph = as_graph(graph, weight=weight if isinstance(weight, str) else None)
    program = PageRank(
        damping, tol, max_iter,
        personalization=by_dense_id(graph, personalization),
        nstart=by_dense_id(graph, nstart),
        dangling=by_dense_id(graph, dangling),
        weighted=bool(weight),
    )
    return run(program, graph, **options)


def connected_components(graph: Any, **options: Any) -> Result:
    """Weakly connected components: each vertex labelled with its component's smallest id.

    Equal to ``scipy.sparse.csgraph.connected_components(connection="weak")`` as a partition,
    with labels that are original ids. ``max_iter`` caps rounds; other options: see :func:`run`.
    """
    program_options = {key: options.pop(key) for key in ("max_iter",) if key in options}
    return run(ConnectedComponents(**program_options), graph, **options)


def label_propagation(graph: Any, *, seed: int = 0, max_iter: int = 100, **options: Any) -> Result:
    """Communities by label propagation; each vertex labelled with its community's smallest id.

    ``seed`` drives the tie-breaking coin (and the engine's sampling): a fixed seed and worker
    count give the same labels on every BSP run. Hitting ``max_iter`` stops the run without an
    error (``Result.converged`` says so). Other options: see :func:`run`.
    """
    options.setdefault("seed", seed)
    return run(LabelPropagation(seed=seed, max_iter=max_iter), graph, **options)
