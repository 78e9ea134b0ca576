"""What a worker does during one run: BSP supersteps or ASAP rounds over the same local step.

Both modes call :meth:`WorkerRun.compute_round` — the program's ``step`` over the block's row
chunks, ``sweeps`` times, with the freshest local values — so a comparison isolates
synchronisation. They differ only in when boundary values are exchanged and waited for.

Termination in ASAP (DESIGN §4). A worker whose last round changed less than its share of the
threshold, and that has no deferred post, marks itself *quiet*; the worker that finds every
worker quiet (checked under one lock, so two cannot miss each other) requests a *verification*.
Every worker then leaves its ASAP loop at the next check point (waits also watch for the request)
and runs one bulk-synchronous round: drain all mailboxes, barrier, post full boundary values,
barrier, merge all, local step, barrier, and read the global change. The run stops only if that
round passes the program's convergence test, exactly as a BSP superstep would have to.

Why it cannot stop early: the decision is taken on a round in which every worker has merged every
in-neighbour's current values (nothing posted-but-unmerged: the drain and full post sit between
barriers), and every worker reads the same per-worker changes after the last barrier, so all
decide alike. Quiescence only chooses *when* to verify; a wrong guess costs one verification and
the run goes on. ``max_iter`` also ends a run only through a verification round.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from asapgraph.engine.mailbox import Inbox, Outbox
from asapgraph.program import Block, VertexProgram

# Global control words (``ctl`` array).
ABORT, VERIFY, STOP, GIVE_UP = range(4)
CONTROL_FIELDS = 8
WAKE_INTERVAL = 0.05  # seconds a blocked waiter sleeps before re-checking abort/verify


class Aborted(Exception):  # noqa: N818 (a signal to unwind, not an error)
    """The parent aborted the run (another worker failed, or the user interrupted)."""


@dataclass(frozen=True)
class RunSpec:
    """Per-run settings every worker receives (small and picklable)."""

    mode: str
    policy: str
    fan_in: int | None  # None = all in-neighbours
    max_staleness: int
    sweeps: int
    chunks: int
    seed: int
    max_iter: int
    straggler: dict[int, float] = field(default_factory=dict)
    round_delay: dict[int, float] = field(default_factory=dict)


@dataclass
class WorkerStats:
    """What one worker measured (seconds, counts); mailbox traffic is counted per mailbox."""

    rounds: int = 0
    compute: float = 0.0
    wait: float = 0.0
    merge: float = 0.0
    idle: float = 0.0
    max_staleness: int = 0
    verifications: int = 0
    trace: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Sync:
    """The cross-process primitives: a barrier, and per worker a lock and a doorbell."""

    barrier: threading.Barrier
    locks: list
    doorbells: list
    quiet_lock: object


class WorkerRun:
    """One worker's state for one run."""

    def __init__(self, index: int, workers: int, program: VertexProgram, block: Block,
                 values: np.ndarray, inboxes: list[Inbox], outboxes: list[Outbox],
                 shared: dict[str, np.ndarray], sync: Sync, spec: RunSpec, start: float) -> None:
        self.index, self.workers = index, workers
        self.program, self.block, self.values = program, block, values
        self.inboxes, self.outboxes = inboxes, outboxes
        self.ctl = shared["ctl"]
        self.change = shared["w_change"]
        self.norm = shared["w_norm"]
        self.quiet = shared["w_quiet"]
        self.last_change = shared["w_last_change"]
        self.sync, self.spec, self.start = sync, spec, start
        self.chunks = block.chunks(spec.chunks)
        self.stats = WorkerStats()
        self.slowdown = spec.straggler.get(index, 1.0)
        self.delay = spec.round_delay.get(index, 0.0)
        self.rng = np.random.default_rng([spec.seed, index])
        self.doorbell = sync.doorbells[index]
        self.epoch = 0
        self.threshold = program.local_threshold(block.n_local, block.n_total)

    # ------------------------------------------------------------------ shared pieces
    def compute_round(self, *, merge_between_chunks: bool) -> float:
        """``sweeps`` passes of the program's step over the chunks; returns the last change."""
        change = 0.0
        for _ in range(self.spec.sweeps):
            change = 0.0
            for chunk in self.chunks:
                begin = time.perf_counter()
                change += self.program.step(self.block, self.values, chunk)
                spent = time.perf_counter() - begin
                if self.slowdown > 1.0:
                    time.sleep((self.slowdown - 1.0) * spent)
                self.stats.compute += time.perf_counter() - begin
                if merge_between_chunks:
                    self.merge_ready()
        if self.delay:
            time.sleep(self.rng.uniform(0.0, self.delay))
        self.stats.rounds += 1
        self.last_change[self.index] = change
        self.stats.trace.append((time.perf_counter() - self.start, change))
        return change

    def merge_ready(self) -> int:
        """Merge every mailbox that holds an unread message (never waits); returns how many."""
        begin = time.perf_counter()
        merged = 0
        for inbox in self.inboxes:
            if inbox.ready() and inbox.take(self.values, self.program.combine) >= 0:
                merged += 1
        self.stats.merge += time.perf_counter() - begin
        return merged

    def post_all(self, *, full: bool = False) -> None:
        """Offer the newest boundary values to every out-neighbour (deferred where not ACKed)."""
        for outbox in self.outboxes:
            outbox.post(self.values, full=full)

    def flush_deferred(self) -> None:
        """Post values held back under ``queue`` to the mailboxes ACKed since."""
        for outbox in self.outboxes:
            if outbox.pending and outbox.can_post():
                outbox.post(self.values)

    def check_abort(self) -> None:
        """Raise :class:`Aborted` once the parent has set the abort word."""
        if self.ctl[ABORT]:
            raise Aborted

    def barrier(self) -> None:
        """Wait for every worker; an aborted barrier means the run is over."""
        begin = time.perf_counter()
        try:
            self.sync.barrier.wait()
        except threading.BrokenBarrierError as error:
            raise Aborted from error
        finally:
            self.stats.wait += time.perf_counter() - begin
        self.check_abort()

    def ring_all(self) -> None:
        """Wake every worker (a verification request or a stop)."""
        for doorbell in self.sync.doorbells:
            doorbell.release()

    def synchronous_round(self, slot: int) -> tuple[float, float]:
        """Local step on the merged values, then publish this worker's change and norm."""
        change = self.compute_round(merge_between_chunks=False)
        self.change[slot, self.index] = change
        self.norm[slot, self.index] = self.program.norm(self.block, self.values)
        return change, self.norm[slot, self.index]

    def global_converged(self, slot: int) -> bool:
        """Every worker reads the same published figures, so every worker decides alike."""
        total = float(self.change[slot].sum())
        return self.program.converged(total, float(self.norm[slot].sum()), self.block.n_total)

    # ------------------------------------------------------------------ BSP
    def run_bsp(self) -> bool:
        """Supersteps: step, publish, barrier, merge all, global test. Returns converged."""
        for superstep in range(1, self.spec.max_iter + 1):
            self.check_abort()
            slot = superstep % 2
            self.synchronous_round(slot)
            self.post_all()
            self.barrier()
            self.merge_ready()
            if self.global_converged(slot):
                return True
        return False

    # ------------------------------------------------------------------ ASAP
    def run_asap(self) -> bool:
        """Rounds without a global barrier, ended by a successful verification round."""
        in_degree = len(self.inboxes)
        fan_in = in_degree if self.spec.fan_in is None else min(self.spec.fan_in, in_degree)
        while True:
            self.check_abort()
            if self.ctl[VERIFY] > self.epoch:
                done = self.verify()
                if done is not None:
                    return done
                continue
            # Round 0 computes on the initial ghost values, which every worker already holds.
            required = self.sample_required(fan_in) if self.stats.rounds else []
            if not self.wait_for(required):
                continue  # a verification was requested while waiting
            self.merge_ready()
            for inbox in self.inboxes:
                if inbox.staleness:
                    self.stats.max_staleness = max(self.stats.max_staleness, inbox.staleness)
            change = self.compute_round(merge_between_chunks=True)
            for inbox in self.inboxes:
                inbox.staleness += 1
            self.post_all()
            self.update_quiet(change)

    def sample_required(self, fan_in: int) -> list[Inbox]:
        """Stochastic reduce: ``fan_in`` random in-neighbours, plus any at the staleness bound."""
        if fan_in >= len(self.inboxes):
            return list(self.inboxes)
        picked = set(self.rng.choice(len(self.inboxes), size=fan_in, replace=False).tolist())
        return [
            inbox for i, inbox in enumerate(self.inboxes)
            if i in picked or inbox.staleness >= self.spec.max_staleness
        ]

    def wait_for(self, required: list[Inbox]) -> bool:
        """Block on the doorbell until each required mailbox has a message; False on verify."""
        begin = time.perf_counter()
        try:
            while not all(inbox.ready() or self.sender_quiet(inbox) for inbox in required):
                self.check_abort()
                if self.ctl[VERIFY] > self.epoch:
                    return False
                self.flush_deferred()
                self.doorbell.acquire(timeout=WAKE_INTERVAL)
            return True
        finally:
            self.stats.wait += time.perf_counter() - begin

    def sender_quiet(self, inbox: Inbox) -> bool:
        """A quiet sender posts nothing new until it hears news: waiting for it is pointless."""
        return bool(self.quiet[inbox.edge.sender] == self.epoch + 1)

    def update_quiet(self, change: float) -> None:
        """Mark quiet or busy; the worker that completes the set requests a verification."""
        quiet = change <= self.threshold and not any(box.pending for box in self.outboxes)
        if self.stats.rounds >= self.spec.max_iter:
            self.ctl[GIVE_UP] = 1
            quiet = True
        with self.sync.quiet_lock:
            was_quiet = self.quiet[self.index] == self.epoch + 1
            self.quiet[self.index] = self.epoch + 1 if quiet else 0
            request = bool(np.all(self.quiet == self.epoch + 1)) or bool(self.ctl[GIVE_UP])
            if request and self.ctl[VERIFY] <= self.epoch:
                self.ctl[VERIFY] = self.epoch + 1
        if request:
            self.ring_all()
        elif quiet:
            if not was_quiet:  # receivers waiting on this worker can stop waiting
                for outbox in self.outboxes:
                    self.sync.doorbells[outbox.edge.receiver].release()
            self.idle_until_news()

    def idle_until_news(self) -> None:
        """A quiet worker recomputes only when a message arrives (or a verification starts)."""
        begin = time.perf_counter()
        while not any(inbox.ready() for inbox in self.inboxes):
            self.check_abort()
            if self.ctl[VERIFY] > self.epoch:
                break
            self.flush_deferred()
            self.doorbell.acquire(timeout=WAKE_INTERVAL)
        self.stats.idle += time.perf_counter() - begin

    def verify(self) -> bool | None:
        """One bulk-synchronous round with full exchange; True/False ends the run, None resumes."""
        self.stats.verifications += 1
        self.barrier()
        self.merge_ready()  # drain whatever the ASAP rounds left in the mailboxes
        self.barrier()
        self.post_all(full=True)
        self.barrier()
        self.merge_ready()
        self.synchronous_round(0)
        self.barrier()
        converged = self.global_converged(0)
        give_up = bool(self.ctl[GIVE_UP])
        self.epoch += 1
        if converged or give_up:
            return converged
        self.post_all()
        return None
