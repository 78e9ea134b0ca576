"""Run a vertex program across the ranks of an MPI job: one partition per rank, no shared memory.

Every rank calls :func:`run_mpi` with the same program, graph and options (SPMD: under
``mpiexec -n P asapgraph run ... --transport mpi`` each rank runs the same command line). Each rank
builds only its own part of the same cut (``mpi_partition.py``) and runs the same BSP or ASAP
round loop as a shared-memory worker (``rounds.py``) over MPI mailbox ends
(``mpi_transport.py``) and an MPI coordinator (``mpi_coordination.py``). At the end the owned
values are gathered to rank 0 and broadcast, and rank 0 assembles the statistics, so every rank
returns the same :class:`MpiRun`.

Failure: an exception on one rank while the others may be waiting on it (in a collective, or for
its messages) cannot be reported by returning — they would wait for ever. That rank prints its
traceback on stderr and calls ``MPI_Abort``, which ends every rank with a non-zero status; a rank
that dies outright is reaped by the launcher the same way. Errors every rank raises alike (bad
options) are raised before any message is exchanged, as ordinary exceptions.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np

from asapgraph.engine.blocks import block_from_part
from asapgraph.engine.engine import EngineRun
from asapgraph.engine.mailbox import COUNTER_FIELDS, SENT_BYTES, SENT_MSGS, Edge, accumulate_rule
from asapgraph.engine.rounds import RunSpec, WorkerRun, WorkerStats, make_spec
from asapgraph.engine.stats import RunStats, TracePoint, worker_report
from asapgraph.errors import AsapGraphError
from asapgraph.graph import Graph
from asapgraph.partition import Part, Partitioning
from asapgraph.program import Block, VertexProgram

try:
    from mpi4py import MPI
except ImportError as missing:  # the optional extra: say how to get it, in one line
    raise AsapGraphError(
        "the MPI transport needs mpi4py and an MPI library: pip install 'asapgraph[mpi]'"
    ) from missing

from asapgraph.engine.mpi_coordination import ROOT, MpiCoordinator
from asapgraph.engine.mpi_partition import RankLayout, given_part, own_part, pull_matrix
from asapgraph.engine.mpi_transport import ACK, NOTIFY, MpiInbox, MpiOutbox, Pump, control

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
# Seconds a failing rank waits between printing why and MPI_Abort: the launcher forwards a rank's
# output asynchronously, and tearing the job down at once lost the message on a loaded machine.
ABORT_GRACE = 0.5


@dataclass
class MpiRun(EngineRun):
    """A finished MPI run; ``control`` counts the messages the mailbox counters leave out.

    ``control`` holds, summed over ranks, the point-to-point messages by kind (``notify`` — the
    boundary values, also counted in ``stats`` —, ``ack``, ``state``, ``verify``) and the number
    of collectives (barriers and reductions, each one ``Iallgather``) per rank.
    """

    control: dict[str, int] = field(default_factory=dict)
    # This rank's own figures, not gathered (they differ per rank): where its pull matrix came
    # from ("cache", "stored", "built", "graph", "program", or "given" with a partitioning),
    # and how many rows and index entries of it the rank read. They let a test show, from
    # inside the ranks, that no rank read more of the matrix than its own rows.
    local: dict[str, object] = field(default_factory=dict)


@dataclass
class RankReport:
    """What one rank sends rank 0 at the end (pickled: small)."""

    converged: bool
    stats: WorkerStats
    counters: dict[tuple[int, int], np.ndarray]  # (sender, receiver) -> its end's counters
    messages: dict[str, int]
    collectives: int
    partition_seconds: float
    setup_seconds: float
    compute_seconds: float


def run_mpi(
    program: VertexProgram,
    graph: Graph,
    *,
    workers: int = 1,
    order: str = "none",
    partitioning: Partitioning | None = None,
    error: Callable[[np.ndarray], float] | None = None,
    **settings: Any,
) -> MpiRun:
    """Run ``program`` with one partition per rank of ``MPI.COMM_WORLD``; call it on every rank.

    Options are those of :meth:`Engine.run <asapgraph.engine.engine.Engine.run>`. ``workers``
    may only be 1 (the default, meaning "not given") or the number of ranks: the launcher
    (``mpiexec -n P``) decides the partition count. With ``error`` the trace ends with one point
    carrying the final error (the run is not sampled while it goes, as there is no parent).
    """
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    check_workers(workers, size)
    spec = make_spec(program, size, **settings)  # validated alike for both transports
    if partitioning is not None and len(partitioning.parts) != size:
        raise ValueError(
            f"the partitioning has {len(partitioning.parts)} parts for {size} MPI ranks."
        )
    try:
        return _run(comm, program, graph, spec, order, partitioning, error)
    except BaseException as failure:
        if size == 1:
            raise  # nobody waits on a single rank: an ordinary exception says it best
        abort(comm, failure)


def check_workers(workers: int, size: int) -> None:
    """``workers`` may only be 1 ("not given") or the number of ranks."""
    if workers not in (1, size):
        raise ValueError(
            f"workers={workers} does not match the {size} MPI ranks: under the MPI transport "
            "every rank is one worker (choose the count with mpiexec -n)."
        )


def abort(comm: MPI.Comm, failure: BaseException) -> NoReturn:
    """Print why this rank failed, then end every rank of the job with a non-zero status."""
    interrupted = isinstance(failure, KeyboardInterrupt)
    if interrupted:  # Ctrl-C reaches every rank: rank 0 says so once, the others give it time
        message = "asapgraph: interrupted, ending the MPI job\n" if comm.Get_rank() == ROOT else ""
    else:
        message = (f"asapgraph: rank {comm.Get_rank()} of {comm.Get_size()} failed, ending the "
                   f"MPI job: {''.join(traceback.format_exception(failure))}\n")
    if message:
        stream = sys.__stderr__ or sys.stderr
        stream.write(message)
        stream.flush()
    time.sleep(ABORT_GRACE if message else 2 * ABORT_GRACE)
    comm.Abort(EXIT_INTERRUPTED if interrupted else EXIT_FAILED)
    raise SystemExit(EXIT_FAILED)  # not reached: MPI_Abort does not return


def join_command_line() -> tuple[int, int]:
    """This process's (rank, size) in the MPI job; ranks other than 0 stop speaking.

    For the command line, whose every rank runs the same command and gets the same results: one
    summary, one error line. Their Python-level stdout and stderr go to /dev/null; a failing rank
    still reports through ``sys.__stderr__`` (see :func:`abort`).
    """
    rank, size = MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size()
    if rank != ROOT:
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (open for the process)
    return rank, size


def dependency_edges(incoming: list[dict[int, int]]) -> list[Edge]:
    """The mailboxes q → p, numbered as the shared-memory layout numbers them."""
    edges, offset = [], 0
    for receiver, sizes in enumerate(incoming):
        for sender in sorted(sizes):
            edges.append(Edge(len(edges), sender, receiver, offset, sizes[sender]))
            offset += sizes[sender]
    return edges


def _run(comm: MPI.Comm, program: VertexProgram, graph: Graph, spec: RunSpec, order: str,
         partitioning: Partitioning | None,
         error: Callable[[np.ndarray], float] | None) -> MpiRun:
    began = time.perf_counter()
    if partitioning is None:
        matrix, source = pull_matrix(comm, program, graph)
        layout = own_part(comm, matrix, order, spec.seed)
        del matrix  # only this rank's part of it is needed from here on
    else:
        layout, source = given_part(comm, partitioning), "given"
    part = layout.part
    local: dict[str, object] = {"matrix": source, "rows": int(part.n_local),
                                "entries_read": int(part.indptr[-1])}
    partition_seconds = time.perf_counter() - began
    block = block_from_part(part, program.vertex_data(graph))
    computed = compute_part(comm, program, part, layout.incoming, block, spec, partition_seconds)
    state = _gather(comm, layout, computed.owned, graph.n)
    if error is not None and computed.stats is not None:
        computed.stats.trace.append(TracePoint(computed.stats.compute_seconds,
                                               computed.stats.residual,
                                               float(error(program.finish(state, graph)))))
    stats, counts = comm.bcast((computed.stats, computed.control), root=ROOT)
    return MpiRun(state, stats.converged, stats, counts, local)


@dataclass
class PartResult:
    """One rank's finished run: its owned values, and on rank 0 only the gathered statistics."""

    owned: np.ndarray
    converged: bool
    stats: RunStats | None
    control: dict[str, int] | None


def compute_part(comm: MPI.Comm, program: VertexProgram, part: Part,
                 incoming: list[dict[int, int]], block: Block, spec: RunSpec,
                 partition_seconds: float) -> PartResult:
    """Run ``program`` on this rank's ``part`` (wired to the others' by ``incoming``).

    Every rank calls it; the values stay where they are (the caller gathers them or not).
    """
    rank, size = comm.Get_rank(), comm.Get_size()
    began = time.perf_counter()
    values = np.ascontiguousarray(program.init(block), dtype=program.dtype)
    edges = dependency_edges(incoming)
    pump = Pump(comm)
    inboxes, outboxes = wire(pump, part, edges, values, spec.policy, program, block)
    coord = MpiCoordinator(pump, [outbox.edge.receiver for outbox in outboxes])
    setup_seconds = time.perf_counter() - began

    coord.barrier()  # everyone is wired before anyone posts
    start = time.perf_counter()
    worker = WorkerRun(rank, program, block, values, inboxes, outboxes, coord, spec, start)
    converged = worker.run()
    coord.barrier()  # every message sent has been received: nothing is left in flight
    compute_seconds = time.perf_counter() - start
    pump.finish()

    counters = {(box.edge.sender, box.edge.receiver): box.counters for box in outboxes + inboxes}
    report = RankReport(converged, worker.stats, counters, dict(pump.by_tag), coord.collectives,
                        partition_seconds, setup_seconds, compute_seconds)
    reports = comm.gather(report, root=ROOT)
    stats = control = None
    if rank == ROOT:
        stats = _run_stats(program, spec, size, edges, reports)
        messages = {kind: sum(r.messages[kind] for r in reports) for kind in report.messages}
        control = {**messages, "collectives": report.collectives}
    converged = bool(comm.allreduce(int(converged), op=MPI.MIN))
    return PartResult(values[: part.n_local], converged, stats, control)


def wire(pump: Pump, part: Part, edges: list[Edge], values: np.ndarray, policy: str,
         program: VertexProgram, block: Block) -> tuple[list[MpiInbox], list[MpiOutbox]]:
    """This rank's mailbox ends, with the pump routing NOTIFYs and ACKs to them."""
    rank = pump.rank
    inboxes = [
        MpiInbox(edge, part.n_local + part.recv[edge.sender], values.dtype, pump, policy,
                 values.shape[1:])
        for edge in edges if edge.receiver == rank
    ]
    outboxes = [
        MpiOutbox(edge, part.send[edge.receiver], values, pump, policy,
                  accumulate_rule(program, block, part.send[edge.receiver]))
        for edge in edges if edge.sender == rank
    ]
    by_sender = {inbox.edge.sender: inbox for inbox in inboxes}
    by_receiver = {outbox.edge.receiver: outbox for outbox in outboxes}

    def notify(source: int, request: MPI.Request, buffer: np.ndarray) -> None:
        by_sender[source].arrive(request, buffer)

    def ack(source: int, request: MPI.Request, buffer: np.ndarray) -> None:
        by_receiver[source].acknowledge(int(control(request, buffer)[0]))

    pump.handlers[NOTIFY], pump.handlers[ACK] = notify, ack
    return inboxes, outboxes


def _gather(comm: MPI.Comm, layout: RankLayout, owned: np.ndarray, n: int) -> np.ndarray:
    """Every part's owned values in dense vertex order, on every rank (Gatherv, then Bcast)."""
    row = owned.shape[1:]
    by_position = np.empty((n, *row), dtype=owned.dtype)
    counts = np.diff(layout.bounds) * int(np.prod(row, dtype=np.int64))
    comm.Gatherv(np.ascontiguousarray(owned), [by_position, counts], root=ROOT)
    comm.Bcast(by_position, root=ROOT)
    state = np.empty_like(by_position)
    state[layout.order] = by_position
    return state


def _run_stats(program: VertexProgram, spec: RunSpec, size: int, edges: list[Edge],
               reports: list[RankReport]) -> RunStats:
    """Rank 0: the same statistics a shared-memory run reports, from every rank's report."""
    stats = RunStats(
        algorithm=program.name, mode=spec.mode, workers=size, policy=spec.policy,
        fan_in="all" if spec.fan_in is None else str(spec.fan_in),
        max_staleness=spec.max_staleness, sweeps=spec.sweeps, straggler=dict(spec.straggler),
    )
    rows = {(e.sender, e.receiver): np.zeros(COUNTER_FIELDS, dtype=np.int64) for e in edges}
    for report in reports:
        for key, counters in report.counters.items():
            rows[key] += counters  # the sender's fields from one end, the receiver's from the other
    for index, report in enumerate(reports):
        out_rows = [rows[e.sender, e.receiver] for e in edges if e.sender == index]
        in_rows = [rows[e.sender, e.receiver] for e in edges if e.receiver == index]
        stats.per_worker.append(worker_report(index, report.stats, out_rows, in_rows))
    stats.mailboxes = [
        {"sender": e.sender, "receiver": e.receiver, "entries": e.size,
         "messages": int(rows[e.sender, e.receiver][SENT_MSGS]),
         "bytes": int(rows[e.sender, e.receiver][SENT_BYTES])}
        for e in edges
    ]
    stats.converged = all(report.converged for report in reports)
    stats.phases = reports[0].stats.phases
    stats.residual = float(sum(r.stats.trace[-1][1] for r in reports if r.stats.trace))
    stats.partition_seconds = max(r.partition_seconds for r in reports)
    stats.setup_seconds = max(r.setup_seconds for r in reports)
    stats.compute_seconds = max(r.compute_seconds for r in reports)
    stats.trace = merged_trace([r.stats.trace for r in reports])
    return stats


def merged_trace(traces: list[list[tuple[float, float]]]) -> list[TracePoint]:
    """The sum of every rank's latest round change, after each round (once all have one)."""
    events = sorted((at, rank, change) for rank, trace in enumerate(traces)
                    for at, change in trace)
    latest = np.full(len(traces), np.inf)
    points = []
    for at, rank, change in events:
        latest[rank] = change
        if np.isfinite(latest).all():
            points.append(TracePoint(at, float(latest.sum())))
    return points
