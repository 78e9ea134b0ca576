"""The library front: ``asapgraph.run`` for any vertex program, and one function per algorithm."""

from __future__ import annotations

import inspect
from collections.abc import Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from asapgraph import checks, warm
from asapgraph.algorithms.components import ConnectedComponents, smallest_member_ids
from asapgraph.algorithms.label_propagation import LabelPropagation
from asapgraph.algorithms.pagerank import DEFAULT_DAMPING, PageRank
from asapgraph.algorithms.quality import partition_modularity
from asapgraph.engine.engine import Engine, EngineRun
from asapgraph.engine.rounds import make_spec
from asapgraph.errors import ConvergenceError
from asapgraph.graph import Graph
from asapgraph.program import VertexProgram
from asapgraph.result import Grouping, Result

if TYPE_CHECKING:
    from asapgraph.engine.stats import RunStats

__all__ = ["Grouping", "Result", "connected_components", "label_propagation", "modularity",
           "pagerank", "run"]

TRANSPORTS = ("shm", "mpi")
# Every option a run takes: where it runs (execute), how the graph is laid out (Engine.run), and
# the round settings that make_spec validates.
RUN_OPTIONS = frozenset(
    {"workers", "engine", "reference", "transport", "order", "partitioning", "trace_interval",
     "timeout", "stall_after", "progress"}
    | set(list(inspect.signature(make_spec).parameters)[2:])
)


def check_options(function: str, options: Mapping[str, Any]) -> None:
    """Refuse an option no run takes, naming the public function the user called (TypeError)."""
    for name in options:
        if name not in RUN_OPTIONS:
            raise TypeError(f"{function}() got an unexpected keyword argument {name!r}")


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
    workers: int | None = None,
    engine: Engine | None = None,
    reference: np.ndarray | None = None,
    transport: str = "shm",
    **options: Any,
) -> EngineRun:
    """Run ``program`` on an open engine, a fresh one, or the ranks of an MPI job (``mpi``).

    ``workers`` defaults to the engine's, or 1; a count that differs from ``engine``'s is
    refused rather than ignored. Raises if the program must converge and did not.
    """
    checks.choice("transport", transport, TRANSPORTS)
    if engine is not None and workers is not None and workers != engine.workers:
        raise ValueError(f"workers={workers} conflicts with the open Engine's "
                         f"{engine.workers} workers; pass one or the other.")
    workers = 1 if workers is None else workers
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

    Options: ``workers`` (default 1) or ``engine``; ``mode`` ('bsp', 'asap' or 'auto'), ``fan_in``
    (None = all), ``max_staleness``, ``policy`` ('latest' or 'queue'), ``sweeps``, ``chunks``,
    ``seed``, ``straggler`` ({worker: slowdown factor}), ``order``, ``partitioning``; with
    ``reference`` (the expected result by dense id) the trace records the L1 error over time.
    ``transport='mpi'``: call it on every rank of an MPI job (``mpiexec -n P``), one partition
    per rank; every rank gets the same result (see ``asapgraph/engine/mpi_runner.py``).
    """
    check_options("run", options)
    graph = as_graph(graph)
    outcome = execute(program, graph, **options)
    return Result(program.finish(outcome.state, graph), graph, outcome.stats)


def pagerank(
    graph: Any,
    *,
    alpha: float | None = None,
    damping: float | None = None,
    tol: float = 1e-6,
    max_iter: int = 1000,
    personalization: Mapping[Hashable, float] | None = None,
    nstart: Mapping[Hashable, float] | None = None,
    dangling: Mapping[Hashable, float] | None = None,
    weight: str | bool | None = "weight",
    previous: Result | None = None,
    messages: str = "values",
    **options: Any,
) -> Result:
    """PageRank, equal to ``networkx.pagerank`` with the same arguments.

    ``alpha`` (networkx's name) or ``damping`` is the probability of following a link (0.85).

    ``tol`` bounds the L1 error per vertex (networkx stops on the change alone, so at equal
    ``tol`` this is more accurate). ``personalization``, ``nstart`` and ``dangling`` are dicts
    keyed by original ids, missing ids counting 0, as in networkx. ``weight`` is the networkx
    edge attribute (or True for a file's third column; None/False ignores weights). Raises
    :class:`~asapgraph.ConvergenceError` after ``max_iter`` rounds. ``previous``: the result
    before a batch of edge changes, whose ranks are the start (unless ``nstart`` is given).
    ``messages="deltas"`` sends accumulative increments instead of values (same answer, less
    traffic as the run converges; see :class:`~asapgraph.algorithms.pagerank.PageRank`).
    Other options: see :func:`run`.
    """
    check_options("pagerank", options)
    damping = _damping(alpha, damping)
    multigraph = _is_multigraph(graph)
    graph = as_graph(graph, weight=weight if isinstance(weight, str) else None)
    weighted = bool(weight) or multigraph  # networkx counts parallel edges even without weights
    start = by_dense_id(graph, nstart)
    if start is None and previous is not None:
        start = warm.ranks_after(previous.values, previous.graph, graph)
    program = PageRank(
        damping, tol, max_iter,
        personalization=by_dense_id(graph, personalization),
        nstart=start,
        dangling=by_dense_id(graph, dangling),
        weighted=weighted,
        messages=messages,
    )
    return run(program, graph, **options)


def connected_components(graph: Any, *, previous: Result | None = None,
                         **options: Any) -> Grouping:
    """Weakly connected components: each vertex labelled with its component's smallest id.

    Equal to ``scipy.sparse.csgraph.connected_components(connection="weak")`` as a partition,
    with labels that are original ids; ``.sets()`` gives them as networkx does, ``.sizes()``
    counts them. ``max_iter`` caps rounds; other options: see :func:`run`. ``previous``: the
    result on the graph before a batch of edge changes; only the components the batch touched
    are recomputed (``asapgraph/warm.py``; ``stats.notes`` says how).
    """
    program_options = {key: options.pop(key) for key in ("max_iter",) if key in options}
    check_options("connected_components", options)
    graph = as_graph(graph)
    if previous is None:
        return _grouping(run(ConnectedComponents(**program_options), graph, **options))

    def run_from(start: np.ndarray) -> tuple[np.ndarray, RunStats]:
        outcome = execute(ConnectedComponents(**program_options, start=start), graph, **options)
        return outcome.state, outcome.stats

    labels, stats = warm.components_after(previous.values, previous.graph, graph, run_from)
    return Grouping(smallest_member_ids(labels, graph), graph, stats)


def label_propagation(
    graph: Any,
    *,
    seed: int = 0,
    max_iter: int = 100,
    weight: str | bool | None = None,
    previous: Result | None = None,
    **options: Any,
) -> Grouping:
    """Communities by label propagation; each vertex labelled with its community's smallest id.

    ``seed`` drives the tie-breaking coin (and the engine's sampling): a fixed seed and worker
    count give the same labels on every BSP run. Hitting ``max_iter`` stops the run without an
    error (``Result.converged`` says so). ``weight`` counts each neighbour by that networkx edge
    attribute (True: a ``Graph``'s own weights; parallel edges of a multigraph add up) as
    networkx's ``asyn_lpa_communities(weight=...)`` does, both directions adding up on a
    directed graph; None counts each neighbour once. ``.sets()`` gives the communities as
    networkx does. ``previous``: the result before a batch of edge changes, whose communities
    are the start. Other options: see :func:`run`.
    """
    check_options("label_propagation", options)
    options.setdefault("seed", seed)
    graph = as_graph(graph, weight=weight if isinstance(weight, str) else None)
    start = None
    if previous is not None:
        start = warm.group_labels(previous.values, previous.graph, graph)
    program = LabelPropagation(seed=seed, max_iter=max_iter, weighted=bool(weight), start=start)
    return _grouping(run(program, graph, **options))


def modularity(
    graph: Any,
    communities: Grouping | Iterable[Iterable[Hashable]],
    *,
    weight: str | None = "weight",
    resolution: float = 1.0,
) -> float:
    """Modularity of a partition of the vertices, equal to ``networkx.community.modularity``.

    ``communities`` is a :class:`Grouping` (what :func:`label_propagation` returns) or sets of
    original ids covering every vertex once. ``weight`` names the networkx edge attribute (None
    ignores weights; an asapgraph ``Graph`` counts its own). A directed graph gets the directed
    form, as in networkx.
    """
    if isinstance(graph, Graph) and not weight:
        graph = graph.unweighted
    graph = as_graph(graph, weight=weight)
    if isinstance(communities, Result):
        labels = communities.values
    else:
        labels = np.full(graph.n, -1, dtype=np.int64)
        for number, community in enumerate(communities):
            members = graph.dense_ids(community)
            if np.any(labels[members] >= 0):
                raise ValueError("communities must not overlap: a vertex is in two of them.")
            labels[members] = number
        if np.any(labels < 0):
            raise ValueError("communities must cover every vertex of the graph.")
    return partition_modularity(graph, labels, resolution)


def _grouping(result: Result) -> Grouping:
    return Grouping(result.values, result.graph, result.stats)


def _damping(alpha: float | None, damping: float | None) -> float:
    """networkx's ``alpha`` or asapgraph's ``damping``: one name for one parameter."""
    if alpha is not None and damping is not None and alpha != damping:
        raise TypeError("pagerank() got alpha and damping, two names for one parameter.")
    chosen = alpha if alpha is not None else damping
    return DEFAULT_DAMPING if chosen is None else chosen


def _is_multigraph(graph: Any) -> bool:
    """Whether ``graph`` is a networkx multigraph, whose parallel edges add up."""
    return bool(getattr(graph, "is_multigraph", lambda: False)())
