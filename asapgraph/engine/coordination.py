"""The run-wide coordination a worker needs besides its mailboxes, over shared memory.

Together with the mailbox ends (``Inbox``/``Outbox``) this is the seam a transport implements:
the round loops in ``rounds.py`` only call the methods below, so another transport (MPI) can
run the same programs and modes by providing the same methods.

- ``aborted`` / ``barrier``: the parent's abort word; a global barrier that raises
  :class:`Aborted` once the run is aborted.
- ``allreduce(change, norm, partials, measures)``: everyone's figures summed (column by column for
  a program whose figures are vectors), after everyone has published them (so it is also a
  barrier); successive calls alternate two slots, which is safe because a worker can only reuse a
  slot after passing the next barrier, which the slow readers must reach. The program's partial
  scalars (``VertexProgram.partials``) are summed in the same reduction, and every worker's
  *measures* (mode auto's busy and waiting time, ``auto.py``) come back as a table, one row per
  worker, alike everywhere.
- ``publish(partials)`` / ``totals()``: ASAP's global scalars without a barrier — each worker
  writes its latest partial scalars into its own row of a shared array, and a reader sums the
  rows as they are (a row may be a round old, or even half-updated: a stale scalar, which the
  program must tolerate; the verification round reduces fresh ones).
- quiescence for ASAP termination: ``report_quiet`` (under one lock, so two workers cannot miss
  each other's flags), ``verify_requested``, ``peer_quiet``, ``give_up``/``gave_up``.
- doorbells: ``ring(worker)``, ``ring_all()``, ``wait(timeout)`` — a semaphore per worker.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from asapgraph.program import Figure

# Global control words (``ctl`` array).
ABORT, VERIFY = range(2)
CONTROL_FIELDS = 8


def summed(figures: np.ndarray) -> Figure:
    """Sum a table of per-worker figures (rows) in worker order: a float, or one per column."""
    total = figures.sum(axis=0)
    return float(total) if total.ndim == 0 else total


def in_order(rows: np.ndarray) -> np.ndarray:
    """Sum per-worker rows one after another, worker 0 first: the same bits on every transport
    and whatever the rows' memory layout (numpy's reductions may pair them up differently)."""
    total = np.zeros(rows.shape[1:])
    for row in rows:
        total += row
    return total


class Aborted(Exception):  # noqa: N818 (a signal to unwind, not an error)
    """The parent aborted the run (another worker failed, or the user interrupted)."""


@dataclass
class Sync:
    """The cross-process primitives: a barrier, and per worker a lock and a doorbell."""

    barrier: threading.Barrier
    locks: list
    doorbells: list
    quiet_lock: object


class SharedCoordinator:
    """Coordination words in the run's arena plus the engine's semaphores and barrier."""

    def __init__(self, index: int, shared: dict[str, np.ndarray], sync: Sync) -> None:
        self.index = index
        self.sync = sync
        self.ctl = shared["ctl"]
        self.change = shared["w_change"]
        self.norm = shared["w_norm"]
        self.sums = shared["w_sums"]  # (2 slots, workers, *scalars shape): reduced partials
        self.measures = shared["w_measures"]  # (2 slots, workers, auto.FIXED)
        self.published = shared["w_partials"]  # (workers, *scalars shape): latest partials
        self.quiet = shared["w_quiet"]
        self.spent = shared["w_spent"]  # 1 where a worker has done max_iter rounds
        self.last_change = shared["w_last_change"]
        self.rounds = shared["w_rounds"]  # rounds done: the parent's sign of progress
        self.reductions = 0

    def aborted(self) -> bool:
        """Whether the parent has aborted the run."""
        return bool(self.ctl[ABORT])

    def barrier(self) -> None:
        """Wait for every worker; an aborted barrier means the run is over."""
        try:
            self.sync.barrier.wait()
        except threading.BrokenBarrierError as error:
            raise Aborted from error
        if self.aborted():
            raise Aborted

    def allreduce(self, change: Figure, norm: Figure, partials: np.ndarray,
                  measures: np.ndarray) -> tuple[Figure, Figure, np.ndarray, np.ndarray]:
        """Sum every worker's (change, norm, partial scalars), and table its measures; every
        worker gets the same sums and table."""
        slot = self.reductions % 2
        self.reductions += 1
        self.change[slot, self.index] = change
        self.norm[slot, self.index] = norm
        self.sums[slot, self.index] = partials
        self.measures[slot, self.index] = measures
        self.barrier()
        return (summed(self.change[slot]), summed(self.norm[slot]), in_order(self.sums[slot]),
                self.measures[slot].copy())

    def publish(self, partials: np.ndarray) -> None:
        """Make this worker's latest partial scalars visible to every worker (no waiting)."""
        self.published[self.index] = partials

    def totals(self) -> np.ndarray:
        """The sum of every worker's latest published partial scalars."""
        return in_order(self.published)

    def record_change(self, change: float) -> None:
        """Publish this worker's latest round change and count the round (the parent's trace
        and liveness watch read them)."""
        self.last_change[self.index] = change
        self.rounds[self.index] += 1

    def verify_requested(self, epoch: int) -> bool:
        """Whether a verification beyond ``epoch`` has been requested."""
        return bool(self.ctl[VERIFY] > epoch)

    def report_quiet(self, epoch: int, quiet: bool) -> tuple[bool, bool]:
        """Set this worker's flag; returns (request verification now, was quiet before)."""
        with self.sync.quiet_lock:
            was_quiet = bool(self.quiet[self.index] == epoch + 1)
            self.quiet[self.index] = epoch + 1 if quiet else 0
            request = bool(np.all(self.quiet == epoch + 1)) or self.gave_up()
            if request and self.ctl[VERIFY] <= epoch:
                self.ctl[VERIFY] = epoch + 1
        return request, was_quiet

    def peer_quiet(self, worker: int, epoch: int) -> bool:
        """Whether ``worker`` is quiet in this epoch (it will post nothing new unprompted)."""
        return bool(self.quiet[worker] == epoch + 1)

    def give_up(self) -> None:
        """Say that this worker has done ``max_iter`` rounds."""
        self.spent[self.index] = 1

    def gave_up(self) -> bool:
        """Whether every worker has done ``max_iter`` rounds: the run then ends at a verification.

        Every, not some: under ASAP fast workers run ahead of a straggler, and ``max_iter`` bounds
        the rounds of the slowest, as it bounds BSP's supersteps.
        """
        return bool(np.all(self.spent))

    def ring(self, worker: int) -> None:
        """Wake ``worker`` if it waits on its doorbell."""
        self.sync.doorbells[worker].release()

    def ring_all(self) -> None:
        """Wake every worker (a verification request)."""
        for doorbell in self.sync.doorbells:
            doorbell.release()

    def wait(self, timeout: float) -> None:
        """Block on this worker's doorbell for at most ``timeout`` seconds."""
        self.sync.doorbells[self.index].acquire(timeout=timeout)
