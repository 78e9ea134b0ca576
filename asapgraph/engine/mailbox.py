"""Mailboxes with NOTIFY-ACK: how boundary values travel from partition q to partition p.

One mailbox per ordered pair q → p of the partition dependency graph, in shared memory, written
only by q and read only by p. It has three slots (triple buffering) and a header of counters:

- ``NOTIFY``: the newest version q has made ready (written by q).
- ``ACK``: the newest version p has finished merging (written by p).
- ``WRITE`` / ``READY`` / ``READ``: which slot q is filling, which holds the ready message, which
  p is reading; ``READY_FULL`` says whether the ready slot holds an unread message; ``TAKEN``
  is the version p last moved from ready to read.

Invariants (what the tests and the termination argument rely on):

1. Slot ownership: q writes only the WRITE slot, p reads only the READ slot; the two swaps
   (q: WRITE↔READY on post, p: READ↔READY on take) happen under p's lock, so p never reads a
   half-written message and q never overwrites the slot p is reading.
2. Versions only grow: ``ACK <= TAKEN <= NOTIFY``, each monotone.
3. Policy ``queue`` (the paper's strict NOTIFY-ACK): q posts version v+1 only when ``ACK == NOTIFY``
   (p has merged v); until then q *defers* — it keeps computing and posts its newest values when
   the ACK comes. It never blocks.
   Policy ``latest``: q always posts; a message still unread in READY is superseded by the newer
   one (counted), so p always merges the freshest complete values.
4. Nothing is lost by deltas: a message carries the current values of every entry that differs
   from the last version q knows p took, plus every entry of any message posted since; so whichever
   messages p ends up taking, its ghost copy equals q's values as of the last one it took. An empty
   message (nothing changed) still NOTIFYs, so a receiver never waits for nothing. An entry is a
   vertex: with a vector state (``width`` > 1) it carries the vertex's whole row, and a row is
   resent when any of its values changed.
   message (nothing changed) still NOTIFYs, so a receiver never waits for nothing.
4a. Accumulative messages (combine ``sum``, see :class:`Accumulate`): a message carries
   *increments*, which p adds to its ghost slots. q keeps ``known``, what p holds once it has
   merged every message posted so far, and sends ``current - known`` (every nonzero increment, or
   all but the smallest ones, see *hold-back*). A message is never superseded: posting while an
   unread one waits in READY first *retracts* it under p's lock (READY_FULL 1 → 0, counted as
   superseded) and restores ``known`` to the copy kept from before that message, so the new message
   re-sends its increments. Hence each increment is merged exactly once: p's ghosts always equal
   ``known`` as of the last message p took, bit for bit (the same additions in the same order),
   and ``current - known`` is what is still owed. Under ``queue`` the READY slot is always empty at
   a post, so nothing is retracted.
   Hold-back: q may keep the smallest increments (their weighted mass adding up to at most a share
   of the total owed) for a later message; they stay owed, not lost, and a ``full`` post sends
   every nonzero increment. ``held`` reports the weighted mass kept back by the last post.
5. Every post rings p's doorbell and every take rings q's: a waiter blocks on its doorbell
   semaphore (with a timeout to notice aborts), never spins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from asapgraph.program import Block, VertexProgram, merge_into

NOTIFY, ACK, WRITE, READY, READ, READY_FULL, TAKEN = range(7)
HEADER_FIELDS = 8
VERSION, COUNT, SCALE = range(3)  # a slot's metadata: version, entries (or DENSE), scale bits
META_FIELDS = 3
SLOTS = 3
DENSE = -1  # a slot's count when it carries every boundary value, in pack order
POSITION = np.dtype(np.int32)  # a delta entry's position in the pack list

# Per-mailbox counters (sender fields, then receiver fields).
SENT_MSGS, SENT_BYTES, DEFERRED, SUPERSEDED, RECV_MSGS, RECV_BYTES = range(6)
COUNTER_FIELDS = 6
POLICIES = ("latest", "queue")


@dataclass(frozen=True)
class Edge:
    """Mailbox q → p: its index, endpoints, and where its ``size`` slots' entries start."""

    index: int
    sender: int
    receiver: int
    offset: int
    size: int


def header_init(header: np.ndarray) -> None:
    """Slots start as WRITE=0, READY=1, READ=2, nothing ready, version 0 everywhere."""
    header[:] = 0
    header[:, WRITE], header[:, READY], header[:, READ] = 0, 1, 2


def dense_is_smaller(changed: int, size: int, row_bytes: int, full: bool) -> bool:
    """Send every row when asked, or when (row, position) pairs would cost more than half."""
    return full or 2 * changed * (row_bytes + POSITION.itemsize) > size * row_bytes


def row_bytes(values: np.ndarray) -> int:
    """Bytes of one vertex's state: one value, or a row of ``width`` values."""
    return values.itemsize * int(np.prod(values.shape[1:], dtype=np.int64))


def changed_rows(current: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """One flag per boundary vertex: whether any of its values differs."""
    unequal = current != previous
    return unequal if unequal.ndim == 1 else unequal.any(axis=1)


@dataclass(frozen=True)
class Accumulate:
    """How a sender of increments (combine ``sum``) encodes them.

    ``weights`` (one per packed entry) turn an increment into its effect on the receiver (for
    PageRank, the out-weight: an increment of rank/out-weight moves the receivers' ranks by that
    rank); they measure the mass a post holds back. ``quantise``: send each increment as a 16-bit
    multiple of the message's largest increment / ``CODE_MAX`` (see :func:`encode_increments`).
    """

    weights: np.ndarray
    quantise: bool = True


CODE = np.dtype(np.int16)  # a quantised increment's code
CODE_MAX = int(np.iinfo(CODE).max)


@dataclass
class Increments:
    """One accumulative message: ``payload`` holds values, or codes times ``scale`` (> 0).

    ``positions`` (pack order) name the entries carried; None: every entry, in pack order.
    """

    payload: np.ndarray
    positions: np.ndarray | None
    scale: float = 0.0

    @property
    def nbytes(self) -> int:
        """Bytes on the wire: payload, positions, and the scale of a quantised message."""
        extra = 0 if self.positions is None else self.positions.size * POSITION.itemsize
        return self.payload.nbytes + extra + (8 if self.scale else 0)


def accumulate_rule(program: VertexProgram, block: Block, pack: np.ndarray) -> Accumulate | None:
    """The increment rule of an outbox packing ``pack``, or None unless the combine is ``sum``."""
    if program.combine != "sum":
        return None
    if program.width != 1:
        raise ValueError("Accumulative messages (combine 'sum') need one value per vertex.")
    return Accumulate(program.increment_weights(block)[pack], program.quantise)


def encode_increments(current: np.ndarray, known: np.ndarray, rule: Accumulate,
                      full: bool) -> tuple[Increments, np.ndarray, float]:
    """The message to send now, what it adds to ``known``, and the weighted mass held back.

    Largest first: a quantised message carries each increment owed rounded to a multiple of
    ``scale`` = (largest increment) / ``CODE_MAX``, in 16 bits; increments below half a step
    round to nothing and are *held back*, and every rounding remainder stays owed (``known``
    grows by exactly what the receiver adds), so nothing is lost: it goes out with a later
    message. A ``full`` post (verification, flush) sends every owed increment exactly.
    """
    owed = current - known
    if full or not rule.quantise:
        changed = np.flatnonzero(owed)
        dense = dense_is_smaller(changed.size, owed.size, owed.itemsize, full)
        message = Increments(owed if dense else owed[changed], None if dense else changed)
        return message, owed, 0.0
    largest = float(np.abs(owed).max()) if owed.size else 0.0
    scale = largest / CODE_MAX
    if scale == 0 or not np.isfinite(scale):
        return Increments(owed[:0], np.zeros(0, dtype=POSITION)), np.zeros_like(owed), 0.0
    codes = np.rint(owed / scale).astype(CODE)
    sent = codes * scale
    held = float((np.abs(owed - sent) * rule.weights).sum())
    changed = np.flatnonzero(codes)
    if dense_is_smaller(changed.size, owed.size, CODE.itemsize, full=False):
        return Increments(codes, None, scale), sent, held
    return Increments(codes[changed], changed.astype(POSITION), scale), sent, held


def decode_increments(payload: np.ndarray, scale: float) -> np.ndarray:
    """The increments a message carries (``payload`` as values, or codes times ``scale``)."""
    return payload * scale if scale else payload


class Sender:
    """What every transport's sending end shares: NOTIFY-ACK deferral around ``send``.

    Subclasses provide ``pack``, ``counters``, ``can_post`` and ``send(current, full)``.
    """

    pending = False  # values changed since the last post (or a deferred post)
    held = 0.0  # weighted mass of the increments the last post kept back (combine ``sum``)

    def post(self, values: np.ndarray, *, full: bool = False) -> bool:
        """Post the newest boundary values, or defer while the policy forbids it."""
        if not self.can_post():
            self.pending = True
            self.counters[DEFERRED] += 1
            return False
        self.send(values[self.pack], full)
        self.pending = False
        return True


class MailboxEnd:
    """Views of one mailbox's header, slot metadata, slots and counters in the arena."""

    def __init__(self, edge: Edge, shared: dict[str, np.ndarray], lock, doorbell) -> None:
        self.edge = edge
        self.header = shared["mb_header"][edge.index]
        self.meta = shared["mb_meta"][edge.index]
        base, size = SLOTS * edge.offset, SLOTS * edge.size
        slots = shared["mb_values"]  # one row per entry: (entries,) or (entries, width)
        self.values = slots[base : base + size].reshape(SLOTS, edge.size, *slots.shape[1:])
        self.positions = shared["mb_positions"][base : base + size].reshape(SLOTS, -1)
        self.counters = shared["mb_counters"][edge.index]
        self.lock, self.doorbell = lock, doorbell


class Outbox(MailboxEnd, Sender):
    """The sender's end of one mailbox."""

    def __init__(self, edge: Edge, shared: dict[str, np.ndarray], pack: np.ndarray,
                 initial: np.ndarray, lock, doorbell, policy: str,
                 accumulate: Accumulate | None = None) -> None:
        super().__init__(edge, shared, lock, doorbell)
        self.pack = pack  # sender-local indices of the values the receiver needs
        self.policy = policy
        self.accumulate = accumulate
        self.snapshots: dict[int, np.ndarray] = {0: initial[pack].copy()}
        self.masks: dict[int, np.ndarray] = {}
        self.known = self.snapshots[0]  # combine ``sum``: p's ghosts once it merged every post
        self.known_before = self.known  # ... before the newest post (restored on a retraction)
        self.version = 0

    def can_post(self) -> bool:
        """``latest`` always can; ``queue`` only once the last version is ACKed."""
        return self.policy == "latest" or self.header[ACK] == self.header[NOTIFY]

    def send(self, current: np.ndarray, full: bool) -> None:
        """Write the values that differ from what the receiver may hold, and NOTIFY."""
        if self.accumulate is not None:
            self._send_increments(current, full)
            return
        taken = int(self.header[TAKEN])
        for old in [v for v in self.snapshots if v < taken]:
            del self.snapshots[old]
            self.masks.pop(old, None)
        mask = changed_rows(current, self.snapshots[taken])
        for version, sent in self.masks.items():
            if version > taken:
                mask |= sent
        self._write(current, mask, full)

    def _send_increments(self, current: np.ndarray, full: bool) -> None:
        """Retract an unread message (invariant 4a), then send what is owed, largest first."""
        with self.lock:
            retracted = bool(self.header[READY_FULL])
            self.header[READY_FULL] = 0
        if retracted:
            self.counters[SUPERSEDED] += 1
            self.known = self.known_before
        message, sent, self.held = encode_increments(current, self.known, self.accumulate, full)
        self.known_before, self.known = self.known, self.known + sent
        slot = int(self.header[WRITE])
        payload = self.values[slot].view(message.payload.dtype)
        payload[: message.payload.size] = message.payload
        if message.positions is not None:
            self.positions[slot, : message.positions.size] = message.positions
        count = DENSE if message.positions is None else message.positions.size
        self._stamp(slot, count, message.nbytes, message.scale)
        self._notify(slot)

    def _write(self, current: np.ndarray, mask: np.ndarray, full: bool) -> None:
        slot = self._fill(current, np.flatnonzero(mask), full)
        self.snapshots[self.version] = current
        self.masks[self.version] = mask
        if self._notify(slot):
            # The unread message can never be taken now; its changes are in this one.
            self.counters[SUPERSEDED] += 1
            self.snapshots.pop(self.version - 1, None)
            self.masks.pop(self.version - 1, None)

    def _fill(self, current: np.ndarray, changed: np.ndarray, full: bool) -> int:
        """Write ``current`` (dense) or its ``changed`` entries into the WRITE slot; its index."""
        slot = int(self.header[WRITE])
        row = row_bytes(current)
        if dense_is_smaller(changed.size, len(current), row, full):
            self.values[slot, :] = current
            count, nbytes = DENSE, current.nbytes
        else:
            self.values[slot, : changed.size] = current[changed]
            self.positions[slot, : changed.size] = changed
            count, nbytes = changed.size, changed.size * (row + POSITION.itemsize)
        self._stamp(slot, count, nbytes)
        return slot

    def _stamp(self, slot: int, count: int, nbytes: int, scale: float = 0.0) -> None:
        """Give the written slot the next version, its count and scale; count the message."""
        self.version += 1
        self.meta[slot, VERSION], self.meta[slot, COUNT] = self.version, count
        self.meta[slot, SCALE] = np.float64(scale).view(np.int64)
        self.counters[SENT_MSGS] += 1
        self.counters[SENT_BYTES] += nbytes

    def _notify(self, slot: int) -> bool:
        """Make ``slot`` the ready message and ring p; whether an unread one was superseded."""
        with self.lock:
            superseded = bool(self.header[READY_FULL])
            self.header[WRITE], self.header[READY] = self.header[READY], slot
            self.header[READY_FULL] = 1
            self.header[NOTIFY] = self.version
        self.doorbell.release()
        return superseded


class Inbox(MailboxEnd):
    """The receiver's end of one mailbox."""

    def __init__(self, edge: Edge, shared: dict[str, np.ndarray], slots: np.ndarray,
                 lock, doorbell) -> None:
        super().__init__(edge, shared, lock, doorbell)
        self.slots = slots  # receiver-local ghost indices, in pack order
        self.staleness = 0  # rounds since this mailbox was last merged

    def posted(self) -> int:
        """How many messages the sender has posted so far (a racy peek: a lag estimate)."""
        return int(self.header[NOTIFY])

    def ready(self) -> bool:
        """Whether an unread message waits (a racy peek; ``take`` decides under the lock)."""
        return bool(self.header[READY_FULL])

    def take(self, values: np.ndarray, combine: str) -> int:
        """Merge the ready message into the ghost slots and ACK it; returns values changed."""
        with self.lock:
            if not self.header[READY_FULL]:
                return -1
            self.header[READ], self.header[READY] = self.header[READY], self.header[READ]
            self.header[READY_FULL] = 0
            slot = int(self.header[READ])
            version = int(self.meta[slot, VERSION])
            self.header[TAKEN] = version
        count = int(self.meta[slot, COUNT])
        scale = float(self.meta[slot, SCALE : SCALE + 1].view(np.float64)[0])
        payload = self.values[slot].view(CODE) if scale else self.values[slot]
        if count == DENSE:
            targets, payload = self.slots, payload[: self.slots.size]
            nbytes = payload.nbytes
        else:
            targets = self.slots[self.positions[slot, :count]]
            payload = payload[:count]
            nbytes = count * (row_bytes(payload) + POSITION.itemsize)
        incoming = decode_increments(payload, scale)
        nbytes += 8 if scale else 0
        merge_into(combine, values, targets, incoming)
        self.header[ACK] = version
        self.counters[RECV_MSGS] += 1
        self.counters[RECV_BYTES] += nbytes
        self.staleness = 0
        self.doorbell.release()
        return count if count != DENSE else self.slots.size
