"""The ASAP round loop on stub mailboxes, and the coordination words: without processes."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pytest

from asapgraph.engine.auto import FIXED
from asapgraph.engine.coordination import CONTROL_FIELDS, SharedCoordinator, Sync
from asapgraph.engine.rounds import WorkerRun, make_spec
from asapgraph.program import Block, RowChunk, VertexProgram


class Busy(VertexProgram):
    """Never settles: every step reports a change, so the worker never goes quiet."""

    name = "busy"
    dtype = np.float64

    def matrix(self, graph: object) -> object:  # never called: no graph here
        raise NotImplementedError

    def init(self, block: Block) -> np.ndarray:
        return np.zeros(block.n_total)

    def step(self, block: Block, values: np.ndarray, chunk: RowChunk) -> float:
        return 1.0

    def converged(self, total_change: float, total_norm: float, n_total: int) -> bool:
        return False


class WaitedError(Exception):
    """Raised by the stub coordinator the first time the worker blocks on its doorbell."""


@dataclass(eq=False)  # hashed by identity, as the engine's mailboxes are
class ScriptedInbox:
    """A mailbox whose messages arrive on a script: ``arrivals[k]`` = checks until message k."""

    arrivals: list[int]
    checks: int = 0
    taken: int = 0
    staleness: int = 0
    edge: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(sender=1))

    def ready(self) -> bool:
        self.checks += 1
        return self.taken < len(self.arrivals) and self.checks >= self.arrivals[self.taken]

    def take(self, values: np.ndarray, combine: str) -> int:
        if not self.ready():
            return -1
        self.taken += 1
        self.checks = 0
        self.staleness = 0
        return 0


class StubCoordinator:
    """Enough of SharedCoordinator for ASAP rounds that never go quiet and never verify."""

    def aborted(self) -> bool:
        return False

    def verify_requested(self, epoch: int) -> bool:
        return False

    def record_change(self, change: float) -> None:
        pass

    def report_quiet(self, epoch: int, quiet: bool) -> tuple[bool, bool]:
        assert not quiet
        return False, False

    def peer_quiet(self, worker: int, epoch: int) -> bool:
        return False

    def wait(self, timeout: float) -> None:
        raise WaitedError


def worker(inbox: ScriptedInbox) -> WorkerRun:
    """A worker with one row (one chunk) that reads one ghost from ``inbox``."""
    block = Block(index=0, n_local=1, n_ghost=1, n_total=2, indptr=np.array([0, 1]),
                  indices=np.array([1], dtype=np.int32), weights=None, vertices=np.arange(2),
                  data={})
    program = Busy()
    spec = make_spec(program, 1, mode="asap", chunks=1)
    return WorkerRun(0, program, block, program.init(block), [inbox], [], StubCoordinator(),
                     spec, start=0.0)


def rounds_before_first_wait(inbox: ScriptedInbox) -> int:
    run = worker(inbox)
    with pytest.raises(WaitedError):
        run.run_asap()
    return run.stats.rounds


# Readiness checks of round 0: 1 at its start, 2 after its chunk; round 1's wait checks at 3.


def test_a_message_merged_mid_round_spares_the_next_rounds_wait() -> None:
    # One message, merged after round 0's chunk: round 1 has what it needs (waiting for a newer
    # one made two equal workers take turns, each idle half the time); round 2 waits.
    assert rounds_before_first_wait(ScriptedInbox(arrivals=[2])) == 2


def test_without_a_message_the_next_round_waits() -> None:
    assert rounds_before_first_wait(ScriptedInbox(arrivals=[])) == 1


def test_a_message_merged_at_round_start_does_not_count_for_the_round_after() -> None:
    # Round 1's wait finds the message and merges it before computing; round 2 needs a newer
    # one, so it waits.
    assert rounds_before_first_wait(ScriptedInbox(arrivals=[3])) == 2


def coordinators(workers: int) -> list[SharedCoordinator]:
    """Every worker's coordinator over one set of words (threads' primitives stand in)."""
    shared = {"ctl": np.zeros(CONTROL_FIELDS, dtype=np.int64),
              "w_change": np.zeros((2, workers)), "w_norm": np.zeros((2, workers)),
              "w_sums": np.zeros((2, workers, 0)), "w_partials": np.zeros((workers, 0)),
              "w_measures": np.zeros((2, workers, FIXED)),
              "w_quiet": np.zeros(workers, dtype=np.int64),
              "w_spent": np.zeros(workers, dtype=np.int64),
              "w_last_change": np.zeros(workers), "w_rounds": np.zeros(workers, dtype=np.int64)}
    sync = Sync(barrier=threading.Barrier(workers), locks=[threading.Lock()] * workers,
                doorbells=[threading.Semaphore(0) for _ in range(workers)],
                quiet_lock=threading.Lock())
    return [SharedCoordinator(index, shared, sync) for index in range(workers)]


def test_max_iter_ends_a_run_only_once_every_worker_has_done_it() -> None:
    # A fast worker that runs ahead of a straggler reaches max_iter first; it goes quiet, but
    # the run goes on until the slowest has done max_iter rounds too (as BSP's supersteps).
    fast, slow = coordinators(2)
    fast.give_up()
    assert not fast.gave_up()
    assert fast.report_quiet(0, quiet=True) == (False, False)
    assert slow.report_quiet(0, quiet=False) == (False, False)
    slow.give_up()
    assert fast.gave_up()
    assert slow.gave_up()
    request, _ = slow.report_quiet(0, quiet=True)
    assert request
