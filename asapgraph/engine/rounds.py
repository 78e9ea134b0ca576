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

Global scalars (``VertexProgram.scalars``, e.g. PageRank's dangling mass). BSP carries each
worker's partial scalars in the reduction of its stopping test, so the next superstep's step sees
the totals of this superstep's values; ASAP workers publish theirs after each chunk of a round
and read the sum of the latest published ones there (no waiting: a worker's entry may be stale;
measured on R-MAT 18, 4 workers, 3x straggler: 16-17 rounds against 18-21 when refreshed only at
round boundaries).
A run starts with one reduction of the initial partials, and the verification round reduces
fresh ones before its step, so the round that decides termination is exactly a BSP superstep.

Held-back increments (combine ``sum``, ``mailbox.py`` invariant 4a). A round computed on ghosts
that miss increments a sender kept back may look converged when it is not, so such a round never
ends a run: BSP stops only on a superstep whose inputs held nothing back — when the test passes
on inexact inputs, every worker flushes what it holds (a full post between two barriers) and the
next superstep decides; ASAP's verification posts in full anyway. A worker counts the mass it
holds back with its change when it decides whether it is quiet.

Mode ``auto`` (``auto.py``) runs BSP supersteps and ASAP rounds with the same code, and switches
between them at synchronous rounds, where every worker has the same table of measures (each
reduction carries them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from asapgraph import checks
from asapgraph.engine import auto
from asapgraph.engine.coordination import Aborted, SharedCoordinator
from asapgraph.engine.mailbox import POLICIES, SENT_BYTES, Inbox, Outbox
from asapgraph.program import Block, Figure, VertexProgram

WAKE_INTERVAL = 0.05  # seconds a blocked waiter sleeps before re-checking abort/verify
MODES = ("bsp", "asap", "auto")
DEFAULT_CHUNKS = 8  # merge points per ASAP round; also Gauss–Seidel blocks in a sweep
DEFAULT_MAX_STALENESS = 4  # rounds a neighbour may go unmerged before it is waited for


@dataclass(frozen=True)
class RunSpec:
    """Per-run settings every worker receives (small and picklable)."""

    mode: str
    policy: str
    fan_in: int | None  # None = all in-neighbours; mode auto chooses whom to wait for itself
    max_staleness: int
    sweeps: int
    chunks: int
    seed: int
    max_iter: int
    straggler: dict[int, float] = field(default_factory=dict)
    round_delay: dict[int, float] = field(default_factory=dict)


def make_spec(
    program: VertexProgram,
    workers: int,
    *,
    mode: str = "bsp",
    fan_in: int | None = None,
    max_staleness: int = DEFAULT_MAX_STALENESS,
    policy: str = "latest",
    sweeps: int = 1,
    chunks: int = DEFAULT_CHUNKS,
    seed: int = 0,
    straggler: dict[int, float] | None = None,
    round_delay: dict[int, float] | None = None,
) -> RunSpec:
    """Validate a run's settings once, alike for every transport (unknown names raise)."""
    checks.choice("mode", mode, MODES)
    checks.choice("policy", policy, POLICIES)
    if fan_in is not None:
        checks.positive_int("fan_in", fan_in)
    checks.positive_int("max_staleness", max_staleness)
    checks.positive_int("sweeps", sweeps)
    checks.positive_int("chunks", chunks)
    straggler = dict(straggler or {})
    for worker, factor in straggler.items():
        if not 0 <= worker < workers:
            raise ValueError(f"straggler worker {worker} is not in 0..{workers - 1}.")
        checks.positive(f"straggler factor of worker {worker}", factor)
    return RunSpec(mode=mode, policy=policy, fan_in=fan_in, max_staleness=max_staleness,
                   sweeps=sweeps, chunks=chunks, seed=seed, max_iter=program.max_iter,
                   straggler=straggler, round_delay=dict(round_delay or {}))


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
    phases: list[dict] = field(default_factory=list)  # mode auto: the path taken
    waited_for: dict[int, int] = field(default_factory=dict)  # ASAP rounds by neighbours waited
    traffic: list[int] = field(default_factory=list)  # bytes sent so far, after each round's post


class WorkerRun:
    """One worker's state for one run."""

    def __init__(self, index: int, program: VertexProgram, block: Block, values: np.ndarray,
                 inboxes: list[Inbox], outboxes: list[Outbox], coord: SharedCoordinator,
                 spec: RunSpec, start: float) -> None:
        self.index = index
        self.program, self.block, self.values = program, block, values
        self.inboxes, self.outboxes = inboxes, outboxes
        self.coord, self.spec, self.start = coord, spec, start
        self.chunks = block.chunks(program.chunks or spec.chunks)
        self.stats = WorkerStats()
        self.slowdown = spec.straggler.get(index, 1.0)
        self.delay = spec.round_delay.get(index, 0.0)
        self.rng = np.random.default_rng([spec.seed, index])
        self.epoch = 0
        # Mailboxes merged between chunks of the last round: what they brought is already as
        # fresh as a wait at the next round's start would get (see ``run_asap``).
        self.fresh: set[Inbox] = set()
        self.policy = auto.AutoPolicy(program.synchronous_by_design) \
            if spec.mode == "auto" else None
        self.measured = (0.0, 0.0, 0)  # busy, wait and rounds at the last reduction
        self.table = np.zeros((0, auto.FIXED))  # every worker's measures at the last reduction
        self.lagging: set[int] = set()  # mode auto: senders not waited for (from the table)
        self.phase_start: dict[Inbox, tuple[int, int]] = {}  # inbox -> (posted, own rounds)

    def run(self) -> bool:
        """The run in the spec's mode; whether it converged."""
        if self.spec.mode == "bsp":
            return bool(self.run_bsp())
        if self.spec.mode == "asap":
            return bool(self.run_asap())
        return self.run_auto()

    # ------------------------------------------------------------------ shared pieces
    def compute_round(self, *, merge_between_chunks: bool) -> Figure:
        """``sweeps`` passes of the program's step over the chunks; returns their summed change.

        Summed, not the last sweep's: the neighbours computed on this round's starting values,
        so the stopping test must count everything that moved since (a last sweep on fixed
        ghosts changes little while the ghosts are far off; it ended runs 4x past tolerance).
        """
        change = 0.0
        # ASAP publishes this worker's partials after every chunk: computed once per round, then
        # kept current from what each step adds to block.totals (Gauss–Seidel on the scalars),
        # not recomputed over every owned row after every chunk.
        own = self.partials() if merge_between_chunks and self.program.scalars else None
        for _ in range(self.spec.sweeps):
            for chunk in self.chunks:
                begin, cpu = time.perf_counter(), time.thread_time()
                before = None if own is None else np.array(self.block.totals, copy=True)
                change += self.program.step(self.block, self.values, chunk)
                if self.slowdown > 1.0:
                    # A slower machine: stretch the CPU work this chunk took (CPU time, not wall
                    # time, so that sharing this machine's cores does not stretch it twice).
                    time.sleep((self.slowdown - 1.0) * (time.thread_time() - cpu))
                self.stats.compute += time.perf_counter() - begin
                if merge_between_chunks:
                    self.fresh.update(self.merge_ready())
                    if own is not None:  # fresher scalars, both ways, at no wait
                        own += np.reshape(self.block.totals - before, own.shape)
                        self.coord.publish(own)
                        self.block.totals = self.coord.totals()
        if self.delay:
            time.sleep(self.rng.uniform(0.0, self.delay))
        self.stats.rounds += 1
        if self.program.scalars and self.spec.mode != "bsp" and not merge_between_chunks:
            # A verification round's or auto's superstep (an ASAP round publishes per chunk).
            self.coord.publish(self.partials())
        total = float(np.sum(change))  # the trace follows all columns of a vector state at once
        self.coord.record_change(total)
        self.stats.trace.append((time.perf_counter() - self.start, total))
        return change

    def merge_ready(self) -> list[Inbox]:
        """Merge every mailbox that holds an unread message (never waits); returns those."""
        begin = time.perf_counter()
        merged = [inbox for inbox in self.inboxes
                  if inbox.ready() and inbox.take(self.values, self.program.combine) >= 0]
        self.stats.merge += time.perf_counter() - begin
        return merged

    def post_all(self, *, full: bool = False) -> None:
        """Offer the newest boundary values to every out-neighbour (deferred where not ACKed);
        record the bytes sent so far (the traffic of each round, for the statistics)."""
        for outbox in self.outboxes:
            outbox.post(self.values, full=full)
        self.stats.traffic.append(int(sum(box.counters[SENT_BYTES] for box in self.outboxes)))

    def flush_deferred(self) -> None:
        """Post values held back under ``queue`` to the mailboxes ACKed since."""
        for outbox in self.outboxes:
            if outbox.pending and outbox.can_post():
                outbox.post(self.values)

    def check_abort(self) -> None:
        """Raise :class:`Aborted` once the parent has aborted the run."""
        if self.coord.aborted():
            raise Aborted

    def barrier(self) -> None:
        """Wait for every worker (time counted as waiting)."""
        begin = time.perf_counter()
        try:
            self.coord.barrier()
        finally:
            self.stats.wait += time.perf_counter() - begin

    def partials(self) -> np.ndarray:
        """This worker's shares of the program's global scalars, from its current values."""
        return np.asarray(self.program.partials(self.block, self.values), dtype=np.float64)

    def held(self) -> float:
        """Weighted mass of the increments this worker's last posts kept back (combine sum)."""
        return float(sum(outbox.held for outbox in self.outboxes))

    def measures(self, change: Figure) -> np.ndarray:
        """What this worker reports besides its figures (``auto``'s columns): busy and waiting
        time per round since the last reduction, rounds, mass held back, stopping share, change."""
        stats = self.stats
        busy = stats.compute + stats.merge
        last_busy, last_wait, last_rounds = self.measured
        per_round = max(1, stats.rounds - last_rounds)
        row = np.zeros(auto.FIXED)
        row[auto.BUSY] = (busy - last_busy) / per_round
        row[auto.WAIT] = (stats.wait - last_wait) / per_round
        row[auto.ROUNDS] = stats.rounds
        row[auto.HELD] = self.held()
        row[auto.THRESHOLD] = np.sum(self.program.local_threshold(self.block, self.values))
        row[auto.CHANGE] = np.sum(change)
        return row

    def reduce(self, change: Figure) -> tuple[Figure, Figure]:
        """Sum every worker's change, norm and partial scalars (a barrier); returns the first two.

        The summed partials become the scalars the next step sees (``block.totals``); every
        worker's measures land in ``self.table`` (what mode auto and the held-back rule read).
        """
        measures = self.measures(change)
        begin = time.perf_counter()
        try:
            total, norm, self.block.totals, self.table = self.coord.allreduce(
                change, self.program.norm(self.block, self.values), self.partials(), measures)
        finally:
            self.stats.wait += time.perf_counter() - begin
        stats = self.stats
        self.measured = (stats.compute + stats.merge, stats.wait, stats.rounds)
        return total, norm

    def reduce_scalars(self) -> None:
        """A barrier that also sums every worker's partial scalars of its current values.

        At the start of a run (so that the first step sees the initial values' scalars) and of a
        verification round (so that the deciding step sees fresh ones, as a BSP superstep does).
        In ASAP every worker first publishes its partials, so the published sums are exact too.
        """
        if not self.program.scalars:
            self.barrier()
            return
        if self.spec.mode != "bsp":
            self.coord.publish(self.partials())
        self.reduce(np.zeros(self.program.value_shape))

    def global_test(self, change: Figure) -> bool:
        """Reduce every worker's figures (a barrier) and apply the program's test."""
        total, norm = self.reduce(change)
        return self.program.converged(total, norm, self.block.n_total)

    def flush_held(self) -> None:
        """Post every increment held back, between barriers, so the next superstep's inputs are
        exact (nobody posts its next superstep before everyone has merged these)."""
        self.post_all(full=True)
        self.barrier()
        self.merge_ready()
        self.barrier()

    # ------------------------------------------------------------------ BSP
    def run_bsp(self) -> bool | None:
        """Supersteps: step, publish, barrier, merge all, global test. Returns converged.

        The merge sits between two barriers (the global test is one), so no worker posts its
        next superstep before every worker has merged this one: BSP does not depend on timing.
        Under mode ``auto`` it returns None when the policy switches to ASAP.
        """
        if self.program.scalars and not self.stats.rounds:
            self.reduce_scalars()
        if self.spec.max_iter == 0:
            return False
        exact = True  # this superstep computes on inputs nothing was held back from
        while True:
            self.check_abort()
            change = self.compute_round(merge_between_chunks=False)
            self.post_all()
            self.barrier()
            self.merge_ready()
            converged = self.global_test(change)
            if converged and exact:
                return True
            if self.table[:, auto.ROUNDS].min() >= self.spec.max_iter:
                return False  # alike everywhere, even after ASAP rounds of unequal counts
            exact = not self.table[:, auto.HELD].any()
            if converged and not exact:
                self.flush_held()
                exact = True
            if self.policy is not None and self.policy.after_superstep(
                    self.stats.rounds - 1, self.table) is not None:
                self.enter_asap()
                return None

    # ------------------------------------------------------------------ auto
    def run_auto(self) -> bool:
        """BSP and ASAP phases as the measurements decide (``auto.py``); records the path."""
        assert self.policy is not None
        self.policy.start()
        try:
            while True:
                outcome = self.run_bsp() if self.policy.phases[-1].mode == "bsp" \
                    else self.run_asap()
                if outcome is not None:
                    return outcome
        finally:
            self.stats.phases = self.policy.close(self.stats.rounds - 1)

    def enter_asap(self) -> None:
        """Start an ASAP phase: whom to wait for, first from the table, then by measured lag."""
        assert self.policy is not None
        self.lagging = self.policy.slow_workers(self.table[:, auto.BUSY], self.index)
        self.phase_start = {inbox: (inbox.posted(), self.stats.rounds) for inbox in self.inboxes}
        # The last superstep's posts were merged before its reduction: nothing to wait for now.
        self.fresh = set(self.inboxes)

    def back_to_bsp(self) -> bool:
        """Mode auto: whether the last verification switched the run back to BSP."""
        return self.policy is not None and self.policy.phases[-1].mode == "bsp"

    def keeps_up(self, inbox: Inbox) -> bool:
        """Mode auto: whether to wait for this in-neighbour, from its measured lag."""
        posted, rounds = self.phase_start[inbox]
        own = self.stats.rounds - rounds
        if own < auto.PROBE_SUPERSTEPS:
            return inbox.edge.sender not in self.lagging
        return not auto.lags(inbox.posted() - posted, own)

    # ------------------------------------------------------------------ ASAP
    def run_asap(self) -> bool | None:
        """Rounds without a global barrier, ended by a successful verification round.

        Under mode ``auto`` it returns None when the policy switches back to BSP.
        """
        in_degree = len(self.inboxes)
        fan_in = in_degree if self.spec.fan_in is None else min(self.spec.fan_in, in_degree)
        if self.program.scalars and not self.stats.rounds:
            self.reduce_scalars()
        while True:
            self.check_abort()
            if self.coord.verify_requested(self.epoch):
                done = self.verify()
                if done is not None or self.back_to_bsp():
                    return done
                continue
            # Round 0 computes on the initial ghost values, which every worker already holds. A
            # mailbox merged between the last round's chunks needs no new message: waiting for
            # one would let the two ends take turns (each consuming the other's post mid-round,
            # then idling a whole round for the next), measured as half the time spent waiting.
            required = self.sample_required(fan_in) if self.stats.rounds else []
            if not self.wait_for([inbox for inbox in required if inbox not in self.fresh]):
                continue  # a verification was requested while waiting
            waited = len(required)
            self.stats.waited_for[waited] = self.stats.waited_for.get(waited, 0) + 1
            self.fresh.clear()
            self.merge_ready()
            if self.program.scalars:
                self.block.totals = self.coord.totals()
            for inbox in self.inboxes:
                if inbox.staleness:
                    self.stats.max_staleness = max(self.stats.max_staleness, inbox.staleness)
            change = self.compute_round(merge_between_chunks=True)
            for inbox in self.inboxes:
                inbox.staleness += 1
            self.post_all()
            self.update_quiet(change)

    def sample_required(self, fan_in: int) -> list[Inbox]:
        """Stochastic reduce: ``fan_in`` random in-neighbours, plus any at the staleness bound.

        Mode auto: the in-neighbours that keep up, plus any at the staleness bound.
        """
        if self.policy is not None:
            return [inbox for inbox in self.inboxes
                    if self.keeps_up(inbox) or inbox.staleness >= self.spec.max_staleness]
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
                if self.coord.verify_requested(self.epoch):
                    return False
                self.flush_deferred()
                self.coord.wait(WAKE_INTERVAL)
            return True
        finally:
            self.stats.wait += time.perf_counter() - begin

    def sender_quiet(self, inbox: Inbox) -> bool:
        """A quiet sender posts nothing new until it hears news: waiting for it is pointless."""
        return self.coord.peer_quiet(inbox.edge.sender, self.epoch)

    def update_quiet(self, change: Figure) -> None:
        """Mark quiet or busy; the worker that completes the set requests a verification."""
        threshold = self.program.local_threshold(self.block, self.values)
        quiet = bool(np.all(change + self.held() <= threshold)) and not any(
            box.pending for box in self.outboxes)
        if self.stats.rounds >= self.spec.max_iter:
            self.coord.give_up()
            quiet = True
        request, was_quiet = self.coord.report_quiet(self.epoch, quiet)
        if request:
            self.coord.ring_all()
        elif quiet:
            if not was_quiet:  # receivers waiting on this worker can stop waiting
                for outbox in self.outboxes:
                    self.coord.ring(outbox.edge.receiver)
            self.idle_until_news()

    def idle_until_news(self) -> None:
        """A quiet worker recomputes only when a message arrives (or a verification starts)."""
        begin = time.perf_counter()
        while not any(inbox.ready() for inbox in self.inboxes):
            self.check_abort()
            if self.coord.verify_requested(self.epoch):
                break
            self.flush_deferred()
            self.coord.wait(WAKE_INTERVAL)
        self.stats.idle += time.perf_counter() - begin

    def verify(self) -> bool | None:
        """One bulk-synchronous round with full exchange; True/False ends the run, None resumes."""
        self.stats.verifications += 1
        self.fresh.clear()
        self.reduce_scalars()
        self.merge_ready()  # drain whatever the ASAP rounds left in the mailboxes
        self.barrier()
        self.post_all(full=True)
        self.barrier()
        self.merge_ready()
        converged = self.global_test(self.compute_round(merge_between_chunks=False))
        # Whether every worker has done max_iter rounds, from the table this round's reduction
        # gave everyone: the shared flags may change under a slow reader once a fast worker has
        # left this round (a fast worker resumed, reached max_iter, and a slow one then read
        # "all gave up" and ended the run alone: measured as a hang, LPA ca-HepPh, fan-in 1).
        give_up = bool(self.table[:, auto.ROUNDS].min() >= self.spec.max_iter)
        self.epoch += 1
        if converged or give_up:
            return converged
        if self.policy is not None and self.policy.after_verification(self.stats.rounds - 1,
                                                                      self.table) is not None:
            self.flush_held()  # BSP's first superstep computes on exact inputs
        else:
            self.post_all()
        return None
