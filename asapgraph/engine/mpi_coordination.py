"""The run-wide coordination of ``coordination.py``, over MPI messages and collectives.

:class:`MpiCoordinator` has the methods of ``SharedCoordinator`` (``coordination.py``), so
``rounds.py`` runs BSP and ASAP on it unchanged. What the shared words do, messages do here:

- ``barrier`` / ``allreduce``: one non-blocking ``Iallgather`` of a small record per rank — its
  figures (change, norm, the program's partial scalars, mode auto's measures, gave-up flag) and how
  many messages it has sent to each rank — then polling until every message addressed to this rank
  before the collective has been received. With shared memory a barrier also makes every earlier
  post visible; MPI promises no such thing for point-to-point messages, and BSP's "merge all after
  the barrier" and the verification round rely on it. Every rank sums the same gathered table in
  the same order, so all take the same convergence decision bit for bit (an MPI ``Allreduce`` may
  round differently on each rank).
- quiescence: a rank sends its quiet flag (``epoch + 1`` when quiet in ``epoch``, else 0, as in
  the shared array) to rank 0 and to the ranks it feeds whenever it changes. Rank 0 keeps every
  rank's flag and, once all are quiet in its epoch (or one gave up), sends ``VERIFY(epoch + 1)``
  to everyone; the verification round itself is the same code in ``rounds.py``. A flag may be
  stale when read: that only changes *when* a verification happens (or whom a rank waits for),
  never whether the run may stop, which only the verification decides.
- ``publish`` / ``totals`` (ASAP's global scalars, no collective): a rank sends its latest
  partial scalars to every other rank (tag ``PARTIALS``, a few float64) after each round; a
  reader sums the latest it has received from each rank (stale by the messages still in flight).
- doorbells: every message that arrives is a ring — a rank waiting in :meth:`wait` polls and
  returns at the first arrival — so ``ring``/``ring_all`` have nothing left to do.
- aborts: a failed rank ends the whole job (``MPI_Abort``, or the launcher reaping a dead rank),
  so there is never a run to unwind and ``aborted`` is always False.
"""

from __future__ import annotations

import numpy as np

from asapgraph.engine.coordination import in_order, summed
from asapgraph.engine.mpi_transport import PARTIALS, STATE, VERIFY, Pump, control
from asapgraph.program import Figure

ROOT = 0


class MpiCoordinator:
    """One rank's view of the run: quiet flags heard, verification requests, collectives.

    Parameters
    ----------
    pump : Pump
        This rank's message endpoint.
    feeds : list of int
        The ranks this rank sends boundary values to: they may wait on it, so they hear its flag.
    """

    def __init__(self, pump: Pump, feeds: list[int]) -> None:
        self.pump = pump
        self.rank, self.size = pump.rank, pump.size
        self.listeners = sorted((set(feeds) | {ROOT}) - {self.rank})
        self.quiet = np.zeros(self.size, dtype=np.int64)  # each rank's flag, as last heard
        self.requested = 0  # the newest verification epoch requested
        self.epoch = 0  # this rank's epoch, as last told by the round loop
        self.giving_up = False  # this rank reached max_iter
        self.announced = False  # ... and has told rank 0
        self.spent = np.zeros(self.size, dtype=bool)  # (rank 0) ranks that did max_iter rounds
        self.everyone_gave_up = False  # every rank had given up at the last collective
        self.collectives = 0
        self.published: np.ndarray | None = None  # each rank's partial scalars, as last heard
        pump.handlers[STATE] = self._on_state
        pump.handlers[VERIFY] = self._on_verify
        pump.handlers[PARTIALS] = self._on_partials

    # ------------------------------------------------------------------ collectives
    def aborted(self) -> bool:
        """Never: a failing rank takes the whole MPI job down with it."""
        return False

    def barrier(self) -> None:
        """Wait for every rank, and for every message sent to this rank before they arrived."""
        self._collective(np.empty(0))

    def allreduce(self, change: Figure, norm: Figure, partials: np.ndarray,
                  measures: np.ndarray) -> tuple[Figure, Figure, np.ndarray, np.ndarray]:
        """Sum every rank's (change, norm, partial scalars), and table its measures (mode
        auto's, one row per rank); all ranks get the same sums and table.

        Vector figures (one per state column) travel flat and are summed column by column.
        """
        shape = np.shape(change)
        norm = np.broadcast_to(norm, shape)  # a program may keep one norm for every column
        width = int(np.prod(shape, dtype=np.int64))
        scalars = 2 * width + int(np.size(partials))
        table = self._collective(np.concatenate([np.ravel(change), np.ravel(norm),
                                                 np.ravel(partials), np.ravel(measures)]))
        return (summed(table[:, :width].reshape(-1, *shape)),
                summed(table[:, width : 2 * width].reshape(-1, *shape)),
                in_order(table[:, 2 * width : scalars]).reshape(np.shape(partials)),
                table[:, scalars:])

    def publish(self, partials: np.ndarray) -> None:
        """Send this rank's latest partial scalars to every other rank (no waiting)."""
        self._published(self.rank, partials)
        for rank in range(self.size):
            if rank != self.rank:
                self.pump.send(rank, PARTIALS, np.array(partials, dtype=np.float64).ravel())

    def totals(self) -> np.ndarray:
        """The sum of every rank's latest partial scalars received so far (polls first)."""
        self.pump.poll()
        assert self.published is not None, "totals() before this rank's first publish()"
        return in_order(self.published)

    def _on_partials(self, source: int, request, buffer: np.ndarray) -> None:
        request.Wait()  # a few bytes: an eager message, already here once matched
        self._published(source, buffer.view(np.float64))

    def _published(self, rank: int, partials: np.ndarray) -> None:
        if self.published is None:  # sized by the first partials, this rank's or a peer's
            self.published = np.zeros((self.size, *np.shape(partials)))
        self.published[rank] = np.reshape(partials, self.published.shape[1:])

    def _collective(self, figures: np.ndarray) -> np.ndarray:
        """Gather every rank's figures, then wait until everything sent to this rank is here."""
        record = np.concatenate([figures, [float(self.giving_up)], self.pump.sent])
        table = np.empty((self.size, record.size))
        self.pump.settle(self.pump.comm.Iallgather(record, table))
        self.collectives += 1
        self.everyone_gave_up = bool(table[:, figures.size].all())
        self.pump.flush(table[:, figures.size + 1 + self.rank].astype(np.int64))
        return table[:, : figures.size]

    # ------------------------------------------------------------------ quiescence
    def record_change(self, change: float) -> None:
        """Nothing to publish: each rank's trace travels with its statistics at the end."""

    def verify_requested(self, epoch: int) -> bool:
        """Whether a verification beyond ``epoch`` has been requested (polls for the request)."""
        self.epoch = epoch
        self.pump.poll()
        return self.requested > epoch

    def report_quiet(self, epoch: int, quiet: bool) -> tuple[bool, bool]:
        """Set and announce this rank's flag; returns (verification requested, was quiet before).

        Only rank 0 decides on a verification; elsewhere the first value is False, and the
        request arrives as a message that the idle loop's poll picks up.
        """
        self.epoch = epoch
        flag = epoch + 1 if quiet else 0
        was_quiet = bool(self.quiet[self.rank] == epoch + 1)
        if flag != self.quiet[self.rank] or self.giving_up != self.announced:
            self.quiet[self.rank] = flag
            self.announced = self.giving_up
            word = np.array([flag, int(self.giving_up)], dtype=np.int64)
            for rank in self.listeners:
                self.pump.send(rank, STATE, word)
        if self.rank == ROOT:
            self.spent[ROOT] = self.giving_up
            self._decide()
        return self.requested > epoch, was_quiet

    def peer_quiet(self, worker: int, epoch: int) -> bool:
        """Whether ``worker`` was quiet in this epoch when it last said so."""
        return bool(self.quiet[worker] == epoch + 1)

    def give_up(self) -> None:
        """This rank reached ``max_iter``: its next flag asks rank 0 for the final verification."""
        self.giving_up = True

    def gave_up(self) -> bool:
        """Whether every rank had done ``max_iter`` rounds at the last barrier (alike everywhere).

        Every, not some: fast ranks run ahead of a straggler, and ``max_iter`` bounds the rounds
        of the slowest, as it bounds BSP's supersteps.
        """
        return self.everyone_gave_up

    def _on_state(self, source: int, request, buffer: np.ndarray) -> None:
        flag, giving_up = control(request, buffer)
        self.quiet[source] = flag
        if self.rank == ROOT:
            self.spent[source] = bool(giving_up)
            self._decide()

    def _on_verify(self, source: int, request, buffer: np.ndarray) -> None:
        self.requested = max(self.requested, int(control(request, buffer)[0]))

    def _decide(self) -> None:
        """(rank 0) Request a verification once all are quiet in this epoch, or all gave up."""
        if self.requested > self.epoch:
            return
        if bool(np.all(self.spent)) or bool(np.all(self.quiet == self.epoch + 1)):
            self.requested = self.epoch + 1
            word = np.array([self.requested], dtype=np.int64)
            for rank in range(1, self.size):
                self.pump.send(rank, VERIFY, word)

    # ------------------------------------------------------------------ doorbells
    def ring(self, worker: int) -> None:
        """Nothing to do: the flag message :meth:`report_quiet` sent is what wakes ``worker``."""

    def ring_all(self) -> None:
        """Nothing to do: rank 0's ``VERIFY`` messages are what wake everyone."""

    def wait(self, timeout: float) -> None:
        """Poll until a message arrives or ``timeout`` seconds pass (sleeping between polls)."""
        self.pump.wait(timeout)
