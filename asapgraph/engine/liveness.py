"""Whether a run's workers still make progress, seen from the parent: warn on a stall, end on a
timeout, and stop workers whatever state they are in.

A worker that stops making rounds (SIGSTOPped, swapped out, blocked on a lock a stopped peer
holds) would otherwise stall the run with no word to the user. The parent samples each worker's
round counter; after ``stall_after`` seconds without a new round it says which worker, since when
and in what state, once per stall; past ``timeout`` seconds the run fails.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Sequence

import numpy as np

from asapgraph.errors import AsapGraphError

DEFAULT_STALL_AFTER = 30.0  # seconds without a round before the parent says so
BARRIER_ABORT_WAIT = 0.5  # seconds the abort gives the barrier's lock before moving on
PROCESS_STATES = {"T": "stopped", "t": "stopped by a debugger", "D": "blocked in the kernel",
                  "Z": "exited"}

log = logging.getLogger("asapgraph.engine")


class RunTimeoutError(AsapGraphError):
    """A run outlived its ``timeout``."""


class ProgressWatch:
    """Each worker's last new round, as the parent sees it between its other duties."""

    def __init__(self, rounds: np.ndarray, pids: Sequence[int], began: float, *,
                 stall_after: float = DEFAULT_STALL_AFTER, timeout: float | None = None) -> None:
        self.rounds = rounds  # the arena's per-worker round counters
        self.pids = list(pids)
        self.began = began
        self.stall_after = stall_after
        self.timeout = timeout
        self.seen = rounds.copy()
        self.since = [began] * len(self.pids)
        self.warned = [False] * len(self.pids)

    def check(self, now: float) -> None:
        """Note new rounds, warn about workers stalled since the last one, enforce the timeout."""
        for worker, done in enumerate(self.rounds.tolist()):
            if done != self.seen[worker]:
                self.seen[worker], self.since[worker], self.warned[worker] = done, now, False
            elif not self.warned[worker] and now - self.since[worker] >= self.stall_after:
                self.warned[worker] = True
                log.warning("worker %d has made no progress for %.0f s (since %s, after %d "
                            "rounds)%s", worker, now - self.since[worker],
                            self._clock(self.since[worker], now), done,
                            state_note(self.pids[worker]))
        if self.timeout is not None and now - self.began > self.timeout:
            slowest = int(np.argmin(self.seen))
            raise RunTimeoutError(
                f"the run did not finish within --timeout {self.timeout:g} s (worker {slowest} "
                f"had done {int(self.seen[slowest])} rounds{state_note(self.pids[slowest])}); "
                "allow more time or look at that worker"
            )

    @staticmethod
    def _clock(at: float, now: float) -> str:
        return time.strftime("%H:%M:%S", time.localtime(time.time() - (now - at)))


def state_note(pid: int) -> str:
    """`` (stopped)``-style note on a process's state from /proc, or nothing."""
    with contextlib.suppress(OSError, IndexError):
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rpartition(")")[2].split()[0]
        if state in PROCESS_STATES:
            return f", {PROCESS_STATES[state]}"
    return ""


def resume(pids: Sequence[int]) -> None:
    """SIGCONT every worker: a stopped one can then see the abort, release its locks, or die."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


def abort_barrier(barrier) -> None:
    """Break the barrier, waiting at most ``BARRIER_ABORT_WAIT`` for its lock.

    A worker stopped or killed while holding the barrier's lock would block ``abort()`` for ever;
    the workers are killed anyway a moment later, so a barrier left unbroken costs nothing.
    """
    breaker = threading.Thread(target=barrier.abort, name="asapgraph-barrier-abort", daemon=True)
    breaker.start()
    breaker.join(BARRIER_ABORT_WAIT)
