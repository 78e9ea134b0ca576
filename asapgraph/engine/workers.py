"""The worker process: wait for a job, map the run's arena, run BSP or ASAP, report back.

A worker never receives graph-sized data through its pipe: a job carries the arena layout, the
(small) program object and the run settings; the rows, values and mailboxes are mapped from
shared memory. Workers ignore SIGINT, SIGTERM and SIGHUP (the parent decides how a run ends), pin
BLAS and OpenMP pools to one thread (P workers on 2 cores must not become 2P threads), and ask the
kernel to kill them if the parent dies, so no worker outlives its engine.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import signal
import traceback
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from asapgraph.engine.arena import Arena, ArenaLayout
from asapgraph.engine.coordination import Aborted, SharedCoordinator, Sync
from asapgraph.engine.mailbox import Edge, Inbox, Outbox, accumulate_rule
from asapgraph.engine.rounds import RunSpec, WorkerRun
from asapgraph.program import Block, VertexProgram
from asapgraph.signals import ignore_in_worker

PR_SET_PDEATHSIG = 1
log = logging.getLogger("asapgraph.worker")


@dataclass(frozen=True)
class PartInfo:
    """Sizes of one part and the names of its per-vertex data arrays."""

    n_local: int
    n_ghost: int
    n_total: int
    data: tuple[str, ...]
    weighted: bool


@dataclass(frozen=True)
class Job:
    """Everything a worker needs for one run, apart from what is in the arenas.

    ``static`` is the read-only layout of the partitioning (``layout.py``), which a worker keeps
    mapped from one job to the next while it stays the same; ``layout`` is this run's arena.
    """

    layout: ArenaLayout
    static: ArenaLayout
    program: VertexProgram
    spec: RunSpec
    edges: tuple[Edge, ...]
    parts: tuple[PartInfo, ...]
    start: float


def part_array(p: int, name: str) -> str:
    """Arena name of part ``p``'s array ``name``."""
    return f"p{p}.{name}"


def edge_array(e: int, name: str) -> str:
    """Arena name of mailbox ``e``'s array ``name``."""
    return f"e{e}.{name}"


def block_from_arena(p: int, info: PartInfo, arena: dict[str, np.ndarray]) -> Block:
    """Part ``p``'s block as views into the arenas' arrays (nothing copied)."""
    return Block(
        index=p,
        n_local=info.n_local,
        n_ghost=info.n_ghost,
        n_total=info.n_total,
        indptr=arena[part_array(p, "indptr")],
        indices=arena[part_array(p, "indices")],
        weights=arena[part_array(p, "weights")] if info.weighted else None,
        vertices=arena[part_array(p, "vertices")],
        data={name: arena[part_array(p, f"data.{name}")] for name in info.data},
    )


def build_run(index: int, job: Job, arena: dict[str, np.ndarray], sync: Sync) -> WorkerRun:
    """Wire this worker's block, values and mailbox ends for the job (``arena``: the arrays of
    the static and the run arena)."""
    info = job.parts[index]
    block = block_from_arena(index, info, arena)
    values = arena[part_array(index, "values")]
    inboxes = [
        Inbox(edge, arena, arena[edge_array(edge.index, "slots")],
              sync.locks[index], sync.doorbells[edge.sender])
        for edge in job.edges if edge.receiver == index
    ]
    outboxes = []
    for edge in job.edges:
        if edge.sender == index:
            pack = arena[edge_array(edge.index, "pack")]
            outboxes.append(Outbox(edge, arena, pack, values, sync.locks[edge.receiver],
                                   sync.doorbells[edge.receiver], job.spec.policy,
                                   accumulate_rule(job.program, block, pack)))
    coord = SharedCoordinator(index, arena, sync)
    return WorkerRun(index, job.program, block, values, inboxes, outboxes, coord, job.spec,
                     job.start)


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def worker_main(index: int, conn, sync: Sync) -> None:
    """Process entry point: serve jobs until told to stop (``None``) or the pipe closes."""
    _die_with_parent()
    ignore_in_worker()
    static: Arena | None = None
    with threadpool_limits(limits=1):
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                return
            if job is None:
                return
            static = _serve(index, job, conn, sync, static)


def _serve(index: int, job: Job, conn, sync: Sync, static: Arena | None) -> Arena | None:
    """Run one job; returns the static arena mapped for it, kept for the next job."""
    arena = None
    try:
        if static is None or static.layout != job.static:
            if static is not None:
                static.close()
            static = None
            static = Arena.attach(job.static)
        arena = Arena.attach(job.layout)
        conn.send(("attached", index))
        run = build_run(index, job, {**static.arrays, **arena.arrays}, sync)
        log.debug("worker %d: %s run of %s starts", index, job.spec.mode, job.program.name)
        converged = run.run()
        log.debug("worker %d: done after %d rounds", index, run.stats.rounds)
        conn.send(("done", index, converged, run.stats))
    except Aborted:
        conn.send(("aborted", index))
    except BaseException:
        conn.send(("error", index, traceback.format_exc()))
    finally:
        run = None
        if arena is not None:
            arena.close()
    return static


def drain(semaphore) -> None:
    """Empty a doorbell left rung by an earlier run."""
    while semaphore.acquire(block=False):
        pass
