"""Mailboxes over MPI: NOTIFY and ACK as non-blocking point-to-point messages between ranks.

The same two ends as the shared-memory mailboxes (``mailbox.py``), so ``rounds.py`` runs on them
unchanged: an :class:`MpiOutbox` (``can_post``, ``post``, ``pending``, ``edge``) on rank q and an
:class:`MpiInbox` (``ready``, ``take``, ``staleness``, ``edge``) on rank p, for each ordered pair
q → p of the partition dependency graph. Every message goes through the rank's :class:`Pump`.

- **NOTIFY** (tag ``NOTIFY``): one ``Isend`` of one byte buffer — a header ``(version, count)``
  of int64 and a float64 scale (0, or that of quantised increments: ``mailbox.py``), then the
  values or codes, then (for a delta) their int32 positions in pack order. Uppercase
  buffer API: numpy memory goes to MPI as it is, nothing is pickled.
- **ACK** (tag ``ACK``): the version p has merged, sent back when p takes a message under policy
  ``queue`` (the only policy that waits for it).
- Deltas: a message carries every boundary value that changed since the sender's previous
  message. MPI delivers the messages of one sender in order and none is dropped, so a receiver
  that applies each one in turn holds exactly the sender's values as of the last it applied.
  Accumulative messages (combine ``sum``, ``mailbox.py`` invariant 4a) carry increments chosen
  by the same rule; none is ever dropped or retracted here, so ``known`` only grows by what was
  sent, and what a post holds back stays owed.
- ``queue`` (the paper's strict NOTIFY-ACK): q posts version v + 1 only once the ACK for v has
  come back; until then it defers (keeps ``pending``) and posts its newest values later.
  ``latest``: q always posts; when p takes, it drains every message that has arrived and applies
  them in order, counting all but the last as *superseded* (with shared memory those are never
  read; here they were already on the wire, so they are applied — the result is the same).
- Doorbell: nothing rings. :meth:`Pump.poll` receives whatever has arrived (``Improbe`` then
  ``Imrecv``: never blocks) and routes it by tag; a waiter polls and sleeps ``POLL_INTERVAL``
  between polls. MPI has no receive with a timeout, and a blocking ``Probe`` spins inside MPI,
  stealing the core of the rank it waits for when ranks outnumber cores (DESIGN §3).
- Flushing: the pump counts messages sent to and received from every rank, so a collective can
  exchange the counts and then wait until everything sent before it has been received — the
  visibility a shared-memory barrier gives for free (see ``mpi_coordination.py``).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

import numpy as np
from mpi4py import MPI

from asapgraph.engine.mailbox import (
    CODE,
    COUNTER_FIELDS,
    DENSE,
    POSITION,
    RECV_BYTES,
    RECV_MSGS,
    SENT_BYTES,
    SENT_MSGS,
    SUPERSEDED,
    Accumulate,
    Edge,
    Increments,
    Sender,
    changed_rows,
    decode_increments,
    dense_is_smaller,
    encode_increments,
    row_bytes,
)
from asapgraph.program import merge_into

NOTIFY, ACK, STATE, VERIFY, PARTIALS = range(5)  # message tags
TAG_NAMES = ("notify", "ack", "state", "verify", "partials")
HEADER_BYTES = 24  # int64 version, int64 count (DENSE: every boundary value), float64 scale
POLL_INTERVAL = 100e-6  # seconds a waiter sleeps between two polls (never a hot spin)

Handler = Callable[[int, MPI.Request, np.ndarray], None]


class Pump:
    """This rank's message endpoint: counted non-blocking sends, and a poll that routes arrivals.

    ``sent[r]`` / ``received[r]`` count the messages sent to / received from rank r (all tags);
    ``by_tag`` counts this rank's sends per tag for the statistics.
    """

    def __init__(self, comm: MPI.Comm) -> None:
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.sent = np.zeros(self.size, dtype=np.int64)
        self.received = np.zeros(self.size, dtype=np.int64)
        self.by_tag = dict.fromkeys(TAG_NAMES, 0)
        self.handlers: dict[int, Handler] = {}
        self.sending: list[tuple[MPI.Request, np.ndarray]] = []
        self.receiving: list[MPI.Request] = []
        self.status = MPI.Status()

    def send(self, dest: int, tag: int, payload: np.ndarray) -> None:
        """``Isend`` the bytes of ``payload``; the buffer is kept alive until the send completes."""
        data = payload.view(np.uint8)
        self.sending.append((self.comm.Isend([data, MPI.BYTE], dest, tag), data))
        self.sent[dest] += 1
        self.by_tag[TAG_NAMES[tag]] += 1

    def poll(self) -> int:
        """Receive every message that has arrived, hand each to its tag's handler; how many."""
        count = 0
        while (message := self.comm.Improbe(MPI.ANY_SOURCE, MPI.ANY_TAG, self.status)) is not None:
            source, tag = self.status.Get_source(), self.status.Get_tag()
            buffer = np.empty(self.status.Get_count(MPI.BYTE), dtype=np.uint8)
            request = message.Irecv([buffer, MPI.BYTE])
            self.receiving.append(request)
            self.received[source] += 1
            self.handlers[tag](source, request, buffer)
            count += 1
        if self.sending:
            self.sending = [(r, b) for r, b in self.sending if not r.Test()]
        if self.receiving:
            self.receiving = [r for r in self.receiving if not r.Test()]
        return count

    def wait(self, timeout: float) -> None:
        """Poll until something arrives or ``timeout`` seconds pass, sleeping between polls."""
        deadline = time.perf_counter() + timeout
        while not self.poll() and time.perf_counter() < deadline:
            time.sleep(POLL_INTERVAL)

    def settle(self, request: MPI.Request) -> None:
        """Complete a non-blocking collective while polling (and sleeping) — never inside MPI."""
        while not request.Test():
            self.poll()
            time.sleep(POLL_INTERVAL)

    def flush(self, expected: np.ndarray) -> None:
        """Poll (sleeping between polls) until ``expected[r]`` messages from each rank r are in.

        Messages from one rank arrive in the order they were sent, so once the count from r is
        reached, everything r sent before it reported the count has been received in full.
        """
        while True:
            self.poll()
            if np.all(self.received >= expected) and not self.receiving:
                return
            time.sleep(POLL_INTERVAL)

    def finish(self) -> None:
        """Wait for this rank's own sends to complete (their receivers have them by now)."""
        while self.sending:
            self.poll()
            if self.sending:
                time.sleep(POLL_INTERVAL)


def control(request: MPI.Request, buffer: np.ndarray) -> np.ndarray:
    """The int64 words of a small control message (an eager message: already here once matched)."""
    request.Wait()
    return buffer.view(np.int64)


class MpiOutbox(Sender):
    """The sender's end of mailbox q → p on rank q."""

    def __init__(self, edge: Edge, pack: np.ndarray, initial: np.ndarray, pump: Pump,
                 policy: str, accumulate: Accumulate | None = None) -> None:
        self.edge = edge
        self.pack = pack  # sender-local indices of the values the receiver needs
        self.pump, self.policy = pump, policy
        self.accumulate = accumulate
        self.last = initial[pack].copy()  # what the receiver holds once it has applied every post
        self.counters = np.zeros(COUNTER_FIELDS, dtype=np.int64)
        self.version = 0
        self.acked = 0

    def acknowledge(self, version: int) -> None:
        """The receiver has merged ``version``."""
        self.acked = max(self.acked, version)

    def can_post(self) -> bool:
        """``latest`` always can; ``queue`` only once the last version is ACKed."""
        if self.policy == "latest":
            return True
        if self.acked < self.version:
            self.pump.poll()
        return self.acked == self.version

    def send(self, current: np.ndarray, full: bool) -> None:
        """Send the boundary values that changed (or all of them) as one NOTIFY message.

        With ``accumulate`` the message carries the increments owed instead (``last`` is then
        what the receiver holds once it has merged every message sent).
        """
        if self.accumulate is not None:
            message, sent, self.held = encode_increments(current, self.last, self.accumulate,
                                                         full)
            self.last = self.last + sent
        else:
            changed = np.flatnonzero(changed_rows(current, self.last))
            dense = dense_is_smaller(changed.size, len(current), row_bytes(current), full)
            message = Increments(current if dense else current[changed],
                                 None if dense else changed.astype(POSITION))
            self.last = current
        self.version += 1
        count = DENSE if message.positions is None else message.positions.size
        parts = [np.array([self.version, count], dtype=np.int64),
                 np.array([message.scale]), message.payload]
        if message.positions is not None:
            parts.append(message.positions)
        self.pump.send(self.edge.receiver, NOTIFY,
                       np.concatenate([part.reshape(-1).view(np.uint8) for part in parts]))
        self.counters[SENT_MSGS] += 1
        self.counters[SENT_BYTES] += message.nbytes


class MpiInbox:
    """The receiver's end of mailbox q → p on rank p: the messages received, oldest first."""

    def __init__(self, edge: Edge, slots: np.ndarray, dtype: np.dtype, pump: Pump,
                 policy: str, shape: tuple[int, ...] = ()) -> None:
        self.edge = edge
        self.slots = slots  # receiver-local ghost indices, in pack order
        self.dtype = np.dtype(dtype)
        self.shape = shape  # a vertex's trailing state shape: () or (width,)
        self.row_bytes = self.dtype.itemsize * int(np.prod(shape, dtype=np.int64))
        self.pump, self.policy = pump, policy
        self.queue: deque[tuple[MPI.Request, np.ndarray]] = deque()
        self.counters = np.zeros(COUNTER_FIELDS, dtype=np.int64)
        self.staleness = 0  # rounds since this mailbox was last merged
        self.arrived = 0  # NOTIFYs received so far

    def arrive(self, request: MPI.Request, buffer: np.ndarray) -> None:
        """A NOTIFY from the sender is being received into ``buffer``."""
        self.queue.append((request, buffer))
        self.arrived += 1

    def posted(self) -> int:
        """How many messages the sender has posted that reached this rank (a lag estimate)."""
        self.pump.poll()
        return self.arrived

    def ready(self) -> bool:
        """Whether a message has arrived in full and waits to be merged."""
        self.pump.poll()
        return bool(self.queue) and self.queue[0][0].Test()

    def take(self, values: np.ndarray, combine: str) -> int:
        """Merge the oldest message (``queue``) or every arrived one in order (``latest``).

        Returns how many values were merged, or -1 when nothing was ready; ACKs under ``queue``.
        """
        if not self.ready():
            return -1
        merged, taken, version = 0, 0, 0
        while self.queue and self.queue[0][0].Test():
            _, message = self.queue.popleft()
            version, count = (int(word) for word in message[:16].view(np.int64))
            scale = float(message[16:HEADER_BYTES].view(np.float64)[0])
            body = message[HEADER_BYTES:]
            dtype = CODE if scale else self.dtype
            if count == DENSE:
                targets, payload = self.slots, body.view(dtype)
            else:
                split = count * (dtype.itemsize if scale else self.row_bytes)
                payload = body[:split].view(dtype)
                targets = self.slots[body[split:].view(POSITION)]
            incoming = decode_increments(payload, scale)
            merge_into(combine, values, targets, incoming.reshape(-1, *self.shape))
            merged += targets.size
            taken += 1
            self.counters[RECV_BYTES] += body.size + (8 if scale else 0)
            if self.policy == "queue":
                break
        if self.policy == "queue":
            self.pump.send(self.edge.sender, ACK, np.array([version], dtype=np.int64))
        self.counters[RECV_MSGS] += taken
        self.counters[SUPERSEDED] += taken - 1
        self.staleness = 0
        return merged
