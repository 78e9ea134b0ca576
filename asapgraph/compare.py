"""BSP against ASAP on equal terms: one graph, partitioning, seed, engine and yardstick for all.

A comparison is only honest if nothing but the execution model changes between its rows: every
configuration runs on the same partitioning and seed, on the same worker processes, and is scored
against a reference computed once, at equal *accuracy* rather than at equal nominal tolerance
(DESIGN §8). One untimed warm-up run comes first (worker start, page faults and compiled kernels
otherwise bill the first configuration alone), and repeats are interleaved with the order rotated
by one place each repeat, so that neither a cold start nor a machine that slows down over time
favours whichever configuration runs first. An interrupted comparison (Ctrl-C) keeps the runs
that finished and says so.

>>> from asapgraph.algorithms.pagerank import PageRank
>>> result = compare(lambda: PageRank(tol=1e-10), graph, configurations_from(["bsp", "asap"], [1]),
...                  workers=4, repeat=3, straggler={1: 3.0})          # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from asapgraph import checks
from asapgraph.algorithms.components import smallest_member_ids
from asapgraph.algorithms.pagerank import PageRank
from asapgraph.algorithms.quality import modularity
from asapgraph.engine.engine import Engine
from asapgraph.engine.rounds import MODES
from asapgraph.engine.stats import RunStats
from asapgraph.graph import Graph
from asapgraph.partition import partition
from asapgraph.program import VertexProgram
from asapgraph.progress import CONFIGURATIONS, ProgressCallback, ProgressEvent

DEFAULT_PAGERANK_TARGET = 1e-6  # L1 error to the reference (DESIGN §4's yardstick)
# The reference PageRank is solved this many times more accurately than the target, so that its
# own error cannot move a "time to target" by more than a trace interval.
REFERENCE_MARGIN = 1e-3
REFERENCE_MAX_ITER = 10_000
# The parent samples the error while workers run, on the same cores: it spends at most 1/this of
# one core doing so (the interval grows with the cost of one sample on large graphs).
SAMPLE_BUDGET = 20
# The finest sampling: a run of 25 ms still draws a curve of about 25 points.
MIN_TRACE_INTERVAL = 0.001

log = logging.getLogger("asapgraph.compare")


@dataclass(frozen=True)
class Configuration:
    """One row of a comparison: an execution mode, for ASAP the fan-in (None = all), and what
    PageRank's messages carry (``values``, or accumulative ``deltas``)."""

    mode: str
    fan_in: int | None = None
    messages: str = "values"

    @property
    def label(self) -> str:
        """``bsp``, ``asap fan-in 1``, ``asap fan-in all``, ``auto``, ``auto deltas``."""
        label = self.mode
        if self.mode == "asap":
            label += f" fan-in {'all' if self.fan_in is None else self.fan_in}"
        return label + (" deltas" if self.messages == "deltas" else "")

    def program(self, make_program: Callable[[], VertexProgram]) -> VertexProgram:
        """A fresh program for one run of this row, with its messages."""
        program = make_program()
        if self.messages == "values":
            return program
        if not isinstance(program, PageRank):
            raise ValueError(f"messages={self.messages!r} applies to pagerank only.")
        return program.with_messages(self.messages)


def configurations_from(
    modes: Sequence[str], fan_ins: Sequence[int | None] = (None,)
) -> list[Configuration]:
    """BSP once, ASAP once per fan-in (``None`` = all), in the order given, duplicates dropped."""
    if not modes:
        raise ValueError("A comparison needs at least one mode.")
    if "asap" in modes and not fan_ins:
        raise ValueError("ASAP needs at least one fan-in.")
    rows: list[Configuration] = []
    for mode in modes:
        checks.choice("mode", mode, MODES)
        for fan_in in fan_ins if mode == "asap" else [None]:
            if fan_in is not None:
                checks.positive_int("fan_in", fan_in)
            row = Configuration(mode, fan_in)
            if row not in rows:
                rows.append(row)
    return rows


@dataclass
class Reference:
    """The yardstick of a comparison, computed once: how results are scored and when to stop.

    ``error`` maps a finished result (``program.finish``) to its distance from the reference; its
    first traced value <= ``target`` gives the time to target. Without it (label propagation has
    no right answer, only a quality), the time to target is the time to finish. ``score`` is the
    figure reported for the final result (the error, or a quality such as modularity); ``curve``
    is what runs trace and the plot draws, in the table's units (default: the error), on the
    ``scale`` that shows it best (matplotlib's ``log``, ``symlog`` where zero must show, or
    ``linear``).
    """

    metric: str  # what score measures, as a table header: "L1 error", "modularity", ...
    traced: str  # what the convergence plot shows
    score: Callable[[np.ndarray], float]
    error: Callable[[np.ndarray], float] | None = None
    target: float | None = None
    seconds: float = 0.0  # time spent computing the reference
    curve: Callable[[np.ndarray], float] | None = None
    scale: str = "log"

    @property
    def sampled(self) -> Callable[[np.ndarray], float] | None:
        """What the trace samples during a run: ``curve``, else the error."""
        return self.curve if self.curve is not None else self.error

    @property
    def goal(self) -> str:
        """What "time to target" means here, for headers and logs."""
        if self.error is None or self.target is None:
            return "time to finish"
        if self.target == 0:
            return f"time to 0 {self.metric}"
        return f"time to {self.metric} ≤ {self.target:g}"


def pagerank_reference(
    program: PageRank, graph: Graph, target: float = DEFAULT_PAGERANK_TARGET
) -> Reference:
    """L1 distance to a tight one-process power iteration of the same PageRank as ``program``.

    The solve (a power iteration in the form of ``algorithms/pagerank.py``'s docstring) reads the
    program's matrix and per-vertex data, so personalization and weights match, and stops once
    its own error bound is ``REFERENCE_MARGIN`` times the target.
    """
    checks.positive("target", target)
    began = time.perf_counter()
    expected = pagerank_solution(program, graph, REFERENCE_MARGIN * target)
    seconds = time.perf_counter() - began
    l1 = lambda result: float(np.abs(result - expected).sum())  # noqa: E731
    return Reference("L1 error", "L1 error to the reference", l1, l1, target, seconds)


def pagerank_solution(program: PageRank, graph: Graph, accuracy: float) -> np.ndarray:
    """Normalised PageRank with an L1 error below ``accuracy`` (power iteration, one process)."""
    pull = program.matrix(graph)
    matrix = pull.adjacency  # its weights, or ones
    data = program.vertex_data(graph)
    damping = program.damping
    jump = data.get("jump", data["teleport"])
    y = data["start"].copy()
    for _ in range(REFERENCE_MAX_ITER):
        new = damping * (matrix @ (y * data["scale"])) + (1 - damping) * y.sum() * data[
            "teleport"] + damping * (y @ data["dangling"]) * jump
        change = float(np.abs(new - y).sum())
        y = new
        total = y.sum()
        # The bound of PageRank.converged: error <= 2·c·d/(1 − d) of the normalised vector.
        if total <= 0 or 2 * change / total * damping / (1 - damping) < accuracy:
            break
    else:
        raise RuntimeError(f"The reference PageRank did not reach {accuracy:g} in "
                           f"{REFERENCE_MAX_ITER} iterations.")
    return y / total if total > 0 else y


def pagerank_tol(target: float, n: int) -> float:
    """The per-vertex ``tol`` at which PageRank stops only once its L1 error is below ``target``.

    PageRank stops when its error bound falls under n·tol (``PageRank.converged``), so a run meant
    to reach the target must not stop before it; the time *to* the target is then read from the
    trace, not from the (later) time the run took to prove it.
    """
    return checks.positive("target", target) / max(n, 1)


def components_reference(graph: Graph) -> Reference:
    """Exact weak components (scipy): the error is the number of vertices labelled otherwise.

    Labels are named like ``ConnectedComponents.finish`` names them (the smallest original id of
    the component), so a vertex differs exactly when its component differs.
    """
    from scipy.sparse.csgraph import connected_components  # 0.05 s of imports: where used

    began = time.perf_counter()
    _, labels = connected_components(graph.adjacency, directed=True, connection="weak")
    expected = smallest_member_ids(labels.astype(np.int64), graph)
    seconds = time.perf_counter() - began
    wrong = lambda result: float(np.count_nonzero(result != expected))  # noqa: E731
    # symlog: linear near zero, so the curve can be seen to reach an exact answer.
    return Reference("mislabelled vertices", "vertices in the wrong component", wrong, wrong, 0.0,
                     seconds, scale="symlog")


def modularity_reference(graph: Graph) -> Reference:
    """Label propagation has no single right answer: report and trace the modularity it finds."""
    score = lambda result: modularity(graph, result)  # noqa: E731
    return Reference("modularity", "modularity of the current labels", score, curve=score,
                     scale="linear")


def reference_for(program: VertexProgram, graph: Graph, target: float | None = None) -> Reference:
    """The yardstick of a built-in program; ``target`` overrides PageRank's L1 target."""
    if isinstance(program, PageRank):
        return pagerank_reference(program, graph, DEFAULT_PAGERANK_TARGET if target is None
                                  else target)
    if program.name == "connected_components":
        _refuse_target(program, target, "is timed to an exact match")
        return components_reference(graph)
    if program.name == "label_propagation":
        _refuse_target(program, target, "is timed to the end of its run")
        return modularity_reference(graph)
    raise ValueError(f"No reference is known for program {program.name!r}; pass reference=.")


def _refuse_target(program: VertexProgram, target: float | None, timing: str) -> None:
    if target is not None:
        raise ValueError(f"A target applies to pagerank only: {program.name} {timing}.")


@dataclass
class Trial:
    """One run of one configuration: time to target (None if never reached) and final score."""

    repeat: int
    seconds: float | None
    score: float
    stats: RunStats
    position: int = 0  # where it ran in its repeat's (rotated) order

    @property
    def converged(self) -> bool:
        """Whether the run met the program's own stopping test."""
        return self.stats.converged

    def to_dict(self) -> dict[str, Any]:
        """Plain data, with every raw statistic of the run."""
        return {"repeat": self.repeat, "position": self.position,
                "seconds_to_target": self.seconds, "score": self.score,
                "converged": self.converged, "stats": self.stats.to_dict()}


@dataclass
class ConfigurationResult:
    """Every repeat of one configuration."""

    configuration: Configuration
    trials: list[Trial] = field(default_factory=list)

    @property
    def times(self) -> list[float]:
        """Times to target of the repeats that reached it."""
        return [t.seconds for t in self.trials if t.seconds is not None]

    @property
    def median_time(self) -> float | None:
        """Median time to target over the repeats that reached it."""
        return float(np.median(self.times)) if self.times else None

    @property
    def typical(self) -> Trial:
        """The median repeat by time to target (the lower one for an even count).

        The row's rounds, traffic, score and plotted curve all come from this one run, so that
        they describe the same execution.
        """
        unreached = float("inf")
        ranked = sorted(self.trials, key=lambda t: unreached if t.seconds is None else t.seconds)
        return ranked[(len(ranked) - 1) // 2]

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the configuration, the summary, and every trial."""
        times = self.times
        return {
            "label": self.configuration.label,
            "mode": self.configuration.mode,
            "fan_in": "all" if self.configuration.fan_in is None else self.configuration.fan_in,
            "messages": self.configuration.messages,
            "path": self.typical.stats.phases,
            "seconds_to_target": {
                "median": self.median_time,
                "min": min(times) if times else None,
                "max": max(times) if times else None,
            },
            "typical_repeat": self.typical.repeat,
            "trials": [trial.to_dict() for trial in self.trials],
        }


@dataclass
class Comparison:
    """The result of :func:`compare`: one :class:`ConfigurationResult` per configuration."""

    algorithm: str
    graph: dict[str, Any]
    workers: int
    repeat: int
    seed: int
    options: dict[str, Any]
    reference: Reference
    partition_seconds: float
    trace_interval: float
    results: list[ConfigurationResult]
    warmup: dict[str, Any] | None = None  # the untimed first run: configuration, seconds
    orders: list[list[str]] = field(default_factory=list)  # each repeat's order of labels
    interrupted: bool = False  # stopped by Ctrl-C: results hold the runs that finished

    @property
    def runs(self) -> int:
        """Timed runs that finished."""
        return sum(len(result.trials) for result in self.results)

    @property
    def baseline(self) -> ConfigurationResult:
        """What speed-ups are relative to: BSP (with values) when it ran, else the first row."""
        for result in self.results:
            if result.configuration == Configuration("bsp"):
                return result
        return self.results[0]

    def speedup(self, result: ConfigurationResult) -> float | None:
        """Median time to target of the baseline over that of ``result`` (above 1: faster)."""
        base, own = self.baseline.median_time, result.median_time
        if base is None or own is None or own == 0:
            return None
        return base / own

    def to_dict(self) -> dict[str, Any]:
        """Plain data for results.json."""
        return {
            "algorithm": self.algorithm,
            "graph": self.graph,
            "workers": self.workers,
            "repeat": self.repeat,
            "seed": self.seed,
            "options": self.options,
            "reference": {"metric": self.reference.metric, "target": self.reference.target,
                          "goal": self.reference.goal, "seconds": self.reference.seconds},
            "partition_seconds": self.partition_seconds,
            "trace_interval": self.trace_interval,
            "warmup": self.warmup,
            "orders": self.orders,
            "interrupted": self.interrupted,
            "runs": self.runs,
            "baseline": self.baseline.configuration.label,
            "configurations": [
                {**result.to_dict(), "speedup": self.speedup(result)} for result in self.results
            ],
        }


def compare(
    make_program: Callable[[], VertexProgram],
    graph: Graph,
    configurations: Sequence[Configuration],
    *,
    workers: int = 4,
    repeat: int = 1,
    seed: int = 0,
    reference: Reference | None = None,
    engine: Engine | None = None,
    straggler: dict[int, float] | None = None,
    order: str = "none",
    trace_interval: float | None = None,
    warmup: bool = True,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> Comparison:
    """Run every configuration ``repeat`` times on one partitioning and seed, and score them.

    Parameters
    ----------
    make_program : callable
        Returns a fresh vertex program; called once per run, so runs share no program state.
    graph : Graph
        The graph, partitioned once (``order``, ``seed``) for every configuration.
    configurations : sequence of Configuration
        What to compare (see :func:`configurations_from`).
    workers : int
        Worker processes (ignored when ``engine`` is given: its workers are used).
    repeat : int
        Runs per configuration; times are reported as median and range. Repeat j runs the
        configurations in their given order rotated by j places.
    seed : int
        Seeds the partitioning order and ASAP's neighbour sampling, equal for every run.
    reference : Reference, optional
        The yardstick; default :func:`reference_for` the program (computed once, here).
    engine : Engine, optional
        An open engine to reuse; by default one is started and closed here.
    straggler : dict, optional
        ``{worker: slowdown}``, the same in every run.
    trace_interval : float, optional
        Seconds between the parent's samples of ``reference.sampled``; default:
        ``MIN_TRACE_INTERVAL``, or more where one sample is costly (at most 1/``SAMPLE_BUDGET``
        of a core goes to sampling).
    warmup : bool
        Run the first configuration once, untimed, before the timed runs (default True).
    progress : callable, optional
        Receives :class:`~asapgraph.progress.ProgressEvent` s: the runs done of all
        (``configurations``) and each run's rounds. Each finished run is also logged (INFO).
    **options
        Passed to every :meth:`Engine.run`: ``max_staleness``, ``policy``, ``sweeps``, ``chunks``.

    Returns
    -------
    Comparison
        Every finished run. A KeyboardInterrupt (Ctrl-C) during the timed runs ends the
        comparison early with ``interrupted=True`` and the runs that finished; before any timed
        run finished, it propagates.
    """
    if not configurations:
        raise ValueError("A comparison needs at least one configuration.")
    checks.positive_int("repeat", repeat)
    probe = make_program()
    reference = reference_for(probe, graph) if reference is None else reference
    if trace_interval is None:
        trace_interval = _trace_interval(probe, graph, reference)
    checks.positive("trace_interval", trace_interval)
    owned = engine is None
    engine = Engine(workers) if engine is None else engine
    began = time.perf_counter()
    partitioning = partition(probe.matrix(graph), engine.workers, order=order, seed=seed)
    partition_seconds = time.perf_counter() - began
    results = [ConfigurationResult(row) for row in configurations]
    run_options = {"seed": seed, "straggler": straggler, "partitioning": partitioning,
                   "error": reference.sampled, "trace_interval": trace_interval,
                   "progress": progress, **options}
    warmed, orders, interrupted, done = None, [], False, 0
    try:
        if warmup:
            if progress is not None:
                progress(ProgressEvent(CONFIGURATIONS, 0.0, 0, repeat * len(results),
                                       label=f"warm-up, {configurations[0].label} (untimed)"))
            warmed = _warm_up(engine, make_program(), graph, configurations[0], run_options)
        for j in range(repeat):
            rotated = results[j % len(results):] + results[:j % len(results)]
            orders.append([result.configuration.label for result in rotated])
            for position, result in enumerate(rotated):
                row = result.configuration
                if progress is not None:
                    progress(ProgressEvent(CONFIGURATIONS, time.perf_counter() - began, done,
                                           repeat * len(results), label=_run_label(row, j)))
                program = row.program(make_program)
                outcome = engine.run(program, graph, mode=row.mode, fan_in=row.fan_in,
                                     **run_options)
                trial = _trial(j, position, program, graph, outcome.state, outcome.stats,
                               reference)
                result.trials.append(trial)
                done += 1
                log.info("%s", _progress_line(position, len(results), j, repeat, row, trial,
                                              reference))
        if progress is not None:
            progress(ProgressEvent(CONFIGURATIONS, time.perf_counter() - began, done, done,
                                   label="all runs", finished=True))
    except KeyboardInterrupt:
        if done == 0:
            raise
        interrupted = True
        log.warning("interrupted: keeping the %d run(s) that finished", done)
    finally:
        if owned:
            engine.close()
    return Comparison(
        algorithm=probe.name,
        graph={"n": graph.n, "m": graph.m, "directed": graph.directed,
               "weighted": graph.weighted},
        workers=engine.workers,
        repeat=repeat,
        seed=seed,
        options={"order": order, "straggler": {str(k): v for k, v in (straggler or {}).items()},
                 **options},
        reference=reference,
        partition_seconds=partition_seconds,
        trace_interval=trace_interval,
        results=[result for result in results if result.trials],
        warmup=warmed,
        orders=orders,
        interrupted=interrupted,
    )


def _warm_up(engine: Engine, program: VertexProgram, graph: Graph, row: Configuration,
             run_options: dict[str, Any]) -> dict[str, Any]:
    """One untimed run, so that no timed run pays for starting workers or compiling kernels."""
    began = time.perf_counter()
    engine.run(program, graph, mode=row.mode, fan_in=row.fan_in,
               **{**run_options, "error": None, "progress": None})
    seconds = time.perf_counter() - began
    log.info("warm-up (%s, untimed): %.3fs", row.label, seconds)
    return {"configuration": row.label, "seconds": seconds}


def _run_label(row: Configuration, j: int) -> str:
    return f"{row.label}, repeat {j + 1}"


def _trial(repeat: int, position: int, program: VertexProgram, graph: Graph, state: np.ndarray,
           stats: RunStats, reference: Reference) -> Trial:
    if reference.error is None or reference.target is None:
        seconds: float | None = stats.compute_seconds
    else:
        seconds = stats.time_to_error(reference.target)
    return Trial(repeat, seconds, reference.score(program.finish(state, graph)), stats, position)


def _trace_interval(program: VertexProgram, graph: Graph, reference: Reference) -> float:
    """The finest interval, stretched so that sampling stays within its budget."""
    if reference.sampled is None:
        return MIN_TRACE_INTERVAL
    state = np.arange(graph.n).astype(program.dtype)
    cost = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        reference.sampled(program.finish(state.copy(), graph))
        cost = min(cost, time.perf_counter() - began)
    return max(MIN_TRACE_INTERVAL, SAMPLE_BUDGET * cost)


def _progress_line(i: int, count: int, j: int, repeat: int, row: Configuration, trial: Trial,
                   reference: Reference) -> str:
    reached = "not reached" if trial.seconds is None else f"{trial.seconds:.3f}s"
    return (f"run {i + 1}/{count} {row.label}, repeat {j + 1}/{repeat}: "
            f"{reference.goal} {reached}, {reference.metric} {trial.score:.4g}, "
            f"residual {trial.stats.residual:.3g}, converged={trial.converged}")
