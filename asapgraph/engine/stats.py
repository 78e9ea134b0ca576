"""Run statistics: timings, per-worker work and waiting, traffic, and the convergence trace."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field

from asapgraph import strict_json
from asapgraph.engine import mailbox as mb
from asapgraph.engine.rounds import WorkerStats


@dataclass
class WorkerReport:
    """One worker's figures for a run (seconds, counts, bytes)."""

    worker: int
    rounds: int
    compute: float
    wait: float
    merge: float
    idle: float
    messages_sent: int
    bytes_sent: int
    messages_received: int
    bytes_received: int
    deferred: int
    superseded: int
    max_staleness: int
    verifications: int
    waited_for: dict[int, int] = field(default_factory=dict)  # ASAP rounds by neighbours waited
    traffic: list[int] = field(default_factory=list)  # bytes sent so far, after each post


@dataclass
class TracePoint:
    """The run as the parent saw it at one moment: total of each worker's last change, error."""

    time: float
    change: float
    error: float | None = None


@dataclass
class RunStats:
    """Everything a run measured; printable as a table, serialisable as JSON."""

    algorithm: str
    mode: str
    workers: int
    policy: str
    fan_in: str
    max_staleness: int
    sweeps: int
    straggler: dict[int, float]
    converged: bool = False
    residual: float = float("nan")
    load_seconds: float = 0.0
    partition_seconds: float = 0.0
    # Where the partition came from: built (here), stored (built, then put in the graph cache),
    # cache (mapped from the graph cache) or engine (kept by the engine from an earlier run).
    layout: str = "built"
    setup_seconds: float = 0.0
    compute_seconds: float = 0.0
    per_worker: list[WorkerReport] = field(default_factory=list)
    mailboxes: list[dict[str, int]] = field(default_factory=list)
    trace: list[TracePoint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how a run was done, when not as asked
    # Mode auto: the phases taken (mode, first and last round, why), as worker 0 recorded them
    # (every worker takes the same decisions from the same gathered tables).
    phases: list[dict] = field(default_factory=list)

    @property
    def rounds(self) -> tuple[int, float, int]:
        """Rounds over workers: (min, median, max)."""
        counts = [w.rounds for w in self.per_worker] or [0]
        return min(counts), statistics.median(counts), max(counts)

    @property
    def messages(self) -> int:
        """Messages posted by all workers."""
        return sum(w.messages_sent for w in self.per_worker)

    @property
    def bytes(self) -> int:
        """Payload bytes posted by all workers."""
        return sum(w.bytes_sent for w in self.per_worker)

    @property
    def bytes_received(self) -> int:
        """Payload bytes merged by receivers (sent minus superseded or never-read messages)."""
        return sum(w.bytes_received for w in self.per_worker)

    @property
    def wait_share(self) -> float:
        """Share of worker time spent waiting (barrier or NOTIFY) or idle."""
        waited = sum(w.wait + w.idle for w in self.per_worker)
        busy = sum(w.compute + w.merge for w in self.per_worker)
        return waited / (waited + busy) if waited + busy > 0 else 0.0

    def bytes_per_round(self) -> list[int]:
        """Bytes all workers posted in their k-th round (verification and flush posts count as
        rounds of their own), k = 0, 1, ...: how traffic evolves as the run converges."""
        rounds = max((len(w.traffic) for w in self.per_worker), default=0)
        totals = [0] * rounds
        for worker in self.per_worker:
            before = 0
            for k, sent in enumerate(worker.traffic):
                totals[k] += sent - before
                before = sent
        return totals

    def time_to_error(self, target: float) -> float | None:
        """First trace time at which the error to the reference was <= target."""
        for point in self.trace:
            if point.error is not None and point.error <= target:
                return point.time
        return None

    def to_dict(self) -> dict:
        """Plain data for JSON, with the derived totals alongside the raw figures."""
        data = asdict(self)
        data["straggler"] = {str(k): v for k, v in self.straggler.items()}
        data["totals"] = {
            "rounds_min_median_max": list(self.rounds),
            "messages": self.messages,
            "bytes": self.bytes,
            "bytes_received": self.bytes_received,
            "wait_share": self.wait_share,
        }
        return data

    def to_json(self, **kwargs) -> str:
        """The statistics as a strict JSON document (a non-finite number becomes null)."""
        return strict_json.dumps(self.to_dict(), **kwargs)

    def table(self) -> str:
        """A fixed-width table: one line of totals, then one line per worker."""
        lo, med, hi = self.rounds
        lines = [
            f"{self.algorithm} {self.mode} workers={self.workers} policy={self.policy} "
            f"fan_in={self.fan_in} max_staleness={self.max_staleness} sweeps={self.sweeps}"
            + (f" straggler={self.straggler}" if self.straggler else ""),
            f"converged={self.converged} residual={self.residual:.3e} rounds={lo}/{med:g}/{hi} "
            f"messages={self.messages} MB sent={self.bytes / 1e6:.3f} "
            f"received={self.bytes_received / 1e6:.3f} wait={100 * self.wait_share:.1f}%",
            f"time: load {self.load_seconds:.3f}s  partition {self.partition_seconds:.3f}s  "
            f"setup {self.setup_seconds:.3f}s  compute {self.compute_seconds:.3f}s",
            *(f"phase {p['mode']} rounds {p['first']}–{p['last']}: {p['reason']}"
              for p in self.phases),
            f"{'worker':>6} {'rounds':>7} {'compute':>8} {'wait':>8} {'merge':>8} {'idle':>8} "
            f"{'msgs out':>8} {'MB out':>8} {'msgs in':>8} {'deferred':>8} {'supersd':>8} "
            f"{'stale':>5}",
        ]
        lines[3:3] = [f"note: {note}" for note in self.notes]
        for w in self.per_worker:
            lines.append(
                f"{w.worker:>6} {w.rounds:>7} {w.compute:>8.3f} {w.wait:>8.3f} {w.merge:>8.3f} "
                f"{w.idle:>8.3f} {w.messages_sent:>8} {w.bytes_sent / 1e6:>8.3f} "
                f"{w.messages_received:>8} {w.deferred:>8} {w.superseded:>8} {w.max_staleness:>5}"
            )
        return "\n".join(lines)


def worker_report(index: int, stats: WorkerStats, counters_out, counters_in) -> WorkerReport:
    """Combine a worker's own figures with the counters of its outgoing and incoming mailboxes."""

    def total(rows, column: int) -> int:
        return int(sum(int(row[column]) for row in rows))

    return WorkerReport(
        worker=index,
        rounds=stats.rounds,
        compute=stats.compute,
        wait=stats.wait,
        merge=stats.merge,
        idle=stats.idle,
        messages_sent=total(counters_out, mb.SENT_MSGS),
        bytes_sent=total(counters_out, mb.SENT_BYTES),
        messages_received=total(counters_in, mb.RECV_MSGS),
        bytes_received=total(counters_in, mb.RECV_BYTES),
        deferred=total(counters_out, mb.DEFERRED),
        superseded=total(counters_out, mb.SUPERSEDED),
        max_staleness=stats.max_staleness,
        verifications=stats.verifications,
        waited_for=dict(stats.waited_for),
        traffic=list(stats.traffic),
    )
