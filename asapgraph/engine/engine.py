"""The engine: P worker processes, and runs that lay a partitioned graph out in shared memory.

``with Engine(workers=4) as engine: engine.run(program, graph, mode="asap", ...)``. Workers start
once and serve several runs. For each run the parent partitions the program's matrix, copies the
blocks, values, mailboxes and control words into one arena (see ``arena.py``), sends each worker a
small job, unlinks the arena's name as soon as every worker has mapped it, then watches: worker
messages, worker deaths (process sentinels) and, between them, the convergence trace. Any failure
— a worker exception, a killed worker, Ctrl-C — aborts the run (abort word, broken barrier, every
doorbell rung), stops every worker, and raises; nothing is left behind in /dev/shm or the process
table.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing as mp
import signal
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import wait
from typing import Any

import multiprocessing_logging
import numpy as np

from asapgraph import checks
from asapgraph.engine.arena import Arena
from asapgraph.engine.auto import FIXED
from asapgraph.engine.blocks import block_from_part
from asapgraph.engine.coordination import ABORT, CONTROL_FIELDS, Sync
from asapgraph.engine.layout import StaticLayout, lay_out_static
from asapgraph.engine.liveness import (
    DEFAULT_STALL_AFTER,
    ProgressWatch,
    abort_barrier,
    resume,
)
from asapgraph.engine.mailbox import (
    COUNTER_FIELDS,
    HEADER_FIELDS,
    META_FIELDS,
    SLOTS,
    header_init,
)
from asapgraph.engine.pull import probe_view
from asapgraph.engine.rounds import RunSpec, make_spec
from asapgraph.engine.stats import RunStats, TracePoint, worker_report
from asapgraph.engine.workers import Job, PartInfo, drain, part_array, worker_main
from asapgraph.errors import WorkerError
from asapgraph.graph import Graph
from asapgraph.partition import Partitioning
from asapgraph.program import VertexProgram
from asapgraph.progress import PARTITION, ROUNDS, ProgressCallback, ProgressEvent

STOP_GRACE = 1.0  # seconds a worker gets to exit before it is killed
DEFAULT_TRACE_INTERVAL = 0.01

log = logging.getLogger("asapgraph.engine")


@dataclass
class EngineRun:
    """A finished run: the gathered raw state (dense vertex order), convergence and stats."""

    state: np.ndarray
    converged: bool
    stats: RunStats


class Engine:
    """A pool of worker processes that runs vertex programs in BSP or ASAP mode.

    Parameters
    ----------
    workers : int
        Number of worker processes (1..64; more than the cores is allowed, as stragglers arise).
    """

    def __init__(self, workers: int = 2) -> None:
        self.workers = checks.workers(workers)
        self._processes: list[mp.process.BaseProcess] = []
        self._conns: list = []
        self._sync: Sync | None = None
        # The last static layout (``layout.py``) and what it was made for: a later run on the
        # same graph, view, order and partitioning maps it again instead of partitioning.
        self._static: StaticLayout | None = None
        self._static_key: tuple | None = None
        self.layouts_made = 0  # static layouts partitioned or loaded (not reused) by this engine

    # ------------------------------------------------------------------ lifetime
    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        """Whether the workers are up."""
        return bool(self._processes)

    def start(self) -> None:
        """Fork the workers (fork: workers share the parent's imports and log handlers)."""
        if self.running:
            return
        context = mp.get_context("fork")
        _route_worker_logs()
        self._sync = Sync(
            barrier=context.Barrier(self.workers),
            locks=[context.Lock() for _ in range(self.workers)],
            doorbells=[context.Semaphore(0) for _ in range(self.workers)],
            quiet_lock=context.Lock(),
        )
        for index in range(self.workers):
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=worker_main,
                args=(index, child_end, self._sync),
                name=f"asapgraph-worker-{index}",
                daemon=True,
            )
            process.start()
            child_end.close()
            self._processes.append(process)
            self._conns.append(parent_end)
        # Workers ignore SIGTERM, so multiprocessing's own exit hook (terminate, then join) would
        # wait on them forever if an engine were left open; registered after the first fork, this
        # hook runs before that one and stops them.
        atexit.register(self.close)

    def close(self) -> None:
        """Stop every worker: ask, then terminate, then kill; drop the kept layout. Idempotent."""
        self._forget_layout()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.send(None)
        deadline = time.monotonic() + STOP_GRACE
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in self._processes:
            if process.is_alive():
                process.kill()
                process.join(STOP_GRACE)
        for conn in self._conns:
            conn.close()
        self._processes, self._conns = [], []
        atexit.unregister(self.close)

    # ------------------------------------------------------------------ one run
    def run(
        self,
        program: VertexProgram,
        graph: Graph,
        *,
        order: str = "none",
        partitioning: Partitioning | None = None,
        error: Callable[[np.ndarray], float] | None = None,
        trace_interval: float = DEFAULT_TRACE_INTERVAL,
        timeout: float | None = None,
        stall_after: float = DEFAULT_STALL_AFTER,
        progress: ProgressCallback | None = None,
        **settings: Any,
    ) -> EngineRun:
        """Run ``program`` on ``graph`` across the workers; see :func:`asapgraph.run`.

        ``settings`` are those of :func:`~asapgraph.engine.rounds.make_spec` (mode, fan_in,
        max_staleness, policy, sweeps, chunks, seed, straggler, round_delay). A worker without a
        new round for ``stall_after`` seconds is reported (a warning: which, since when, its
        state); past ``timeout`` seconds of computing the run fails with ``RunTimeoutError``.
        ``progress`` receives :class:`~asapgraph.progress.ProgressEvent` s: partitioning (when it
        happens here), then the rounds' total change against the program's target every trace
        interval.
        """
        checks.positive("stall_after", stall_after)
        if timeout is not None:
            checks.positive("timeout", timeout)
        spec = make_spec(program, self.workers, **settings)
        if not self.running:
            self.start()
        stats = RunStats(
            algorithm=program.name, mode=spec.mode, workers=self.workers, policy=spec.policy,
            fan_in="all" if spec.fan_in is None else str(spec.fan_in),
            max_staleness=spec.max_staleness, sweeps=spec.sweeps, straggler=dict(spec.straggler),
        )
        began = time.perf_counter()
        static, stats.layout = self._static_layout(program, graph, order, spec.seed,
                                                   partitioning, progress)
        stats.partition_seconds = time.perf_counter() - began
        partitioning = static.partitioning

        log.info("%s %s on %r with %d workers", program.name, spec.mode, graph, self.workers)
        began = time.perf_counter()
        arena, job = _lay_out(program, graph, static, spec)  # leaves ``static`` as it was
        stats.setup_seconds = time.perf_counter() - began
        try:
            results = self._execute(arena, job, partitioning, program, graph, error,
                                    trace_interval, stats, (stall_after, timeout), progress)
            converged = all(result[0] for result in results)
            for index, (_, worker_stats) in enumerate(results):
                out_rows = [arena["mb_counters"][e.index] for e in job.edges if e.sender == index]
                in_rows = [arena["mb_counters"][e.index] for e in job.edges if e.receiver == index]
                stats.per_worker.append(worker_report(index, worker_stats, out_rows, in_rows))
            stats.mailboxes = [
                {"sender": e.sender, "receiver": e.receiver, "entries": e.size,
                 "messages": int(arena["mb_counters"][e.index][0]),
                 "bytes": int(arena["mb_counters"][e.index][1])}
                for e in job.edges
            ]
            state = _gather(arena, partitioning, graph.n, program)
            stats.converged = converged
            stats.residual = float(sum(w.trace[-1][1] for _, w in results if w.trace))
            stats.phases = results[0][1].phases
        except BaseException:  # a failed run keeps nothing it may have left half-valid
            self._forget_layout()
            raise
        finally:
            arena.close()
        log.info("%s %s: converged=%s in %.3fs, rounds %s", program.name, spec.mode, converged,
                 stats.compute_seconds, stats.rounds)
        return EngineRun(state, converged, stats)

    def _static_layout(
        self, program: VertexProgram, graph: Graph, order: str, seed: int,
        partitioning: Partitioning | None, progress: ProgressCallback | None,
    ) -> tuple[StaticLayout, str]:
        """The static layout for this run, and where it came from (``engine`` when reused).

        Kept between runs while the graph (the same object: graphs are immutable), the view the
        program pulls, the order (and its seed, for ``random``) and any given partitioning stay
        the same; a program whose view is not recognised (``pull.probe_view``) gets a new layout
        every run. The graph is held by a weak reference: keeping a layout never keeps a graph.
        The layout's segment stays open (its owner's descriptor held) until it is dropped: when
        another layout replaces it, when a run fails, at :meth:`close` or at interpreter exit.
        """
        pulled = probe_view(program, graph)
        # A given partitioning counts by identity (the key holds it, so its id stays its own).
        key = None if pulled is None else (
            weakref.ref(graph), pulled.view, pulled.weighted, order,
            seed if order == "random" else None, id(partitioning), partitioning is None or
            partitioning)
        if self._static is not None and key is not None and self._static_key == key:
            return self._static, "engine"
        self._forget_layout()
        began, label = time.perf_counter(), f"{self.workers} parts"
        if progress is not None:
            progress(ProgressEvent(PARTITION, 0.0, label=label))
        static = lay_out_static(program, graph, self.workers, order=order, seed=seed,
                                partitioning=partitioning)
        if progress is not None:
            progress(ProgressEvent(PARTITION, time.perf_counter() - began, label=label,
                                   finished=True))
        self._static, self._static_key = static, key
        self.layouts_made += 1
        return static, static.source

    def _forget_layout(self) -> None:
        if self._static is not None:
            self._static.close()
        self._static, self._static_key = None, None

    def _execute(self, arena, job, partitioning, program, graph, error, trace_interval,
                 stats, limits, progress=None) -> list[tuple[bool, object]]:
        sync = self._sync
        assert sync is not None
        for doorbell in sync.doorbells:
            drain(doorbell)
        if sync.barrier.broken:
            sync.barrier.reset()
        began = time.perf_counter()
        job = replace(job, start=began)
        watch = ProgressWatch(arena["w_rounds"], [p.pid for p in self._processes], began,
                              stall_after=limits[0], timeout=limits[1])
        try:
            for index, conn in enumerate(self._conns):
                try:
                    conn.send(job)
                except OSError:  # the worker died since the last run
                    raise WorkerError(index, _death(self._processes[index])) from None
            results: dict[int, tuple[bool, object]] = {}
            attached = 0
            next_sample = began
            while len(results) < self.workers:
                ready = wait(self._conns + [p.sentinel for p in self._processes],
                             timeout=trace_interval)
                for item in ready:
                    if item in self._conns:
                        try:
                            message = item.recv()
                        except EOFError:  # its pipe closed: the worker died
                            index = self._conns.index(item)
                            raise WorkerError(index, _death(self._processes[index])) from None
                        kind, index = message[0], message[1]
                        if kind == "attached":
                            attached += 1
                            if attached == self.workers:
                                arena.unlink()
                        elif kind == "done":
                            results[index] = (message[2], message[3])
                        elif kind == "error":
                            raise WorkerError(index, f"raised an exception:\n{message[2]}")
                        else:
                            raise WorkerError(index, "aborted the run")
                    else:
                        index = [p.sentinel for p in self._processes].index(item)
                        raise WorkerError(index, _death(self._processes[index]))
                now = time.perf_counter()
                watch.check(now)
                if now >= next_sample:
                    stats.trace.append(_sample(arena, partitioning, graph, program, error,
                                               now - began))
                    next_sample = now + trace_interval
                    if progress is not None:
                        progress(_rounds_event(arena, program, graph, now - began))
            stats.compute_seconds = time.perf_counter() - began
            stats.trace.append(_sample(arena, partitioning, graph, program, error,
                                       stats.compute_seconds))
            if progress is not None:
                progress(_rounds_event(arena, program, graph, stats.compute_seconds, True))
            return [results[i] for i in range(self.workers)]
        except BaseException:
            self._abort(arena)
            raise

    def _abort(self, arena: Arena) -> None:
        """Stop a run that cannot finish: tell the workers, wake them, then stop them all.

        If a worker died, the others are killed at once instead: the dead one may have been a
        sleeper of the barrier (whose abort then waits for it to wake, forever) or held its lock.
        Stopped workers are continued first, and whatever has not exited within ``STOP_GRACE``
        is killed, so an abort ends within about 2 s whatever state the workers are in.
        """
        arena["ctl"][ABORT] = 1
        resume([process.pid for process in self._processes])
        if any(process.exitcode is not None for process in self._processes):
            for process in self._processes:
                process.kill()
        elif self._sync is not None:
            abort_barrier(self._sync.barrier)
            for doorbell in self._sync.doorbells:
                doorbell.release()
        self.close()


def _death(process: mp.process.BaseProcess) -> str:
    process.join(0.1)
    code = process.exitcode
    if code is not None and code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited unexpectedly with status {code}"


def _route_worker_logs() -> None:
    """Send worker log records to the parent's handlers (once per process)."""
    root = logging.getLogger()
    if root.handlers and not any(
        isinstance(h, multiprocessing_logging.MultiProcessingHandler) for h in root.handlers
    ):
        multiprocessing_logging.install_mp_handler(root)


def _lay_out(
    program: VertexProgram, graph: Graph, static: StaticLayout, spec: RunSpec
) -> tuple[Arena, Job]:
    """Create the run's arena (values, per-vertex data, mailboxes, control words) and fill it;
    return it with the job the workers will receive. The rows are in ``static``."""
    parts = static.partitioning.parts
    edges = static.edges
    vertex_data = program.vertex_data(graph)
    contents: dict[str, np.ndarray] = {}
    blocks = []
    for part in parts:
        block = block_from_part(part, vertex_data)
        blocks.append(block)
        arrays = {"values": program.init(block),
                  **{f"data.{name}": array for name, array in block.data.items()}}
        contents.update({part_array(part.index, name): array for name, array in arrays.items()})
    workers = len(parts)
    contents["mb_header"] = np.empty((len(edges), HEADER_FIELDS), dtype=np.int64)
    header_init(contents["mb_header"])
    contents["w_last_change"] = np.full(workers, np.inf)
    specs = {name: (array.dtype, array.shape) for name, array in contents.items()}
    # Values hold the program's dtype, one row per local vertex, whatever init returned
    # (Arena.create casts, and refuses another shape); the other control arrays start zeroed.
    dtype, row = np.dtype(program.dtype), program.value_shape
    offset = sum(edge.size for edge in edges)
    specs.update({part_array(block.index, "values"): (dtype, (block.vertices.size, *row))
                  for block in blocks})
    specs.update({
        "mb_meta": (np.int64, (len(edges), SLOTS, META_FIELDS)),
        "mb_values": (dtype, (SLOTS * offset, *row)),
        "mb_positions": (np.int32, (SLOTS * offset,)),
        "mb_counters": (np.int64, (len(edges), COUNTER_FIELDS)),
        "ctl": (np.int64, (CONTROL_FIELDS,)),
        "w_change": (np.float64, (2, workers, *row)),
        "w_norm": (np.float64, (2, workers, *row)),
        "w_sums": (np.float64, (2, workers, *program.scalars_shape)),
        "w_partials": (np.float64, (workers, *program.scalars_shape)),
        "w_measures": (np.float64, (2, workers, FIXED)),
        "w_quiet": (np.int64, (workers,)),
        "w_spent": (np.int64, (workers,)),
        "w_rounds": (np.int64, (workers,)),
    })
    arena = Arena.create(specs, contents)
    infos = tuple(
        PartInfo(part.n_local, part.n_ghost, part.n_total, tuple(vertex_data),
                 part.weights is not None)
        for part in parts
    )
    job = Job(arena.layout, static.arena.layout, program.shipped(), spec, edges, infos, 0.0)
    return arena, job


def _gather(arena: Arena, partitioning: Partitioning, n: int, program: VertexProgram) -> np.ndarray:
    """The owned values of every part, in dense vertex order."""
    return partitioning.gather(
        [arena[part_array(part.index, "values")] for part in partitioning.parts], n
    ).astype(program.dtype, copy=False)


def _rounds_event(arena: Arena, program: VertexProgram, graph: Graph, at: float,
                  finished: bool = False) -> ProgressEvent:
    """The workers' latest total change, and the change under which the run may end."""
    norm = float(arena["w_norm"].sum(axis=1).max())
    return ProgressEvent(ROUNDS, at, change=float(arena["w_last_change"].sum()),
                         target=program.change_target(norm, graph.n), label=program.name,
                         finished=finished)


def _sample(arena: Arena, partitioning: Partitioning, graph: Graph, program: VertexProgram,
            error: Callable[[np.ndarray], float] | None, at: float) -> TracePoint:
    """One trace point: the sum of each worker's last change and, if asked, the error now."""
    change = float(arena["w_last_change"].sum())
    if error is None:
        return TracePoint(at, change)
    state = _gather(arena, partitioning, graph.n, program)
    return TracePoint(at, change, float(error(program.finish(state, graph))))
