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
5. Every post rings p's doorbell and every take rings q's: a waiter blocks on its doorbell
   semaphore (with a timeout to notice aborts), never spins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from asapgraph.program import merge_into

NOTIFY, ACK, WRITE, READY, READ, READY_FULL, TAKEN = range(7)
HEADER_FIELDS = 8
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


class Sender:
    """What every transport's sending end shares: NOTIFY-ACK deferral around ``send``.

    Subclasses provide ``pack``, ``counters``, ``can_post`` and ``send(current, full)``.
    """

    pending = False  # values changed since the last post (or a deferred post)

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
                 initial: np.ndarray, lock, doorbell, policy: str) -> None:
        super().__init__(edge, shared, lock, doorbell)
        self.pack = pack  # sender-local indices of the values the receiver needs
        self.policy = policy
        self.snapshots: dict[int, np.ndarray] = {0: initial[pack].copy()}
        self.masks: dict[int, np.ndarray] = {}
        self.version = 0

    def can_post(self) -> bool:
        """``latest`` always can; ``queue`` only once the last version is ACKed."""
        return self.policy == "latest" or self.header[ACK] == self.header[NOTIFY]

    def send(self, current: np.ndarray, full: bool) -> None:
        """Write the values that differ from what the receiver may hold, and NOTIFY."""
        taken = int(self.header[TAKEN])
        for old in [v for v in self.snapshots if v < taken]:
            del self.snapshots[old]
            self.masks.pop(old, None)
        mask = changed_rows(current, self.snapshots[taken])
        for version, sent in self.masks.items():
            if version > taken:
                mask |= sent
        self._write(current, mask, full)

    def _write(self, current: np.ndarray, mask: np.ndarray, full: bool) -> None:
        slot = int(self.header[WRITE])
        changed = np.flatnonzero(mask)
        row = row_bytes(current)
        if dense_is_smaller(changed.size, len(current), row, full):
            self.values[slot, :] = current
            count, nbytes = DENSE, current.nbytes
        else:
            self.values[slot, : changed.size] = current[changed]
            self.positions[slot, : changed.size] = changed
            count, nbytes = changed.size, changed.size * (row + POSITION.itemsize)
        self.version += 1
        self.meta[slot, 0], self.meta[slot, 1] = self.version, count
        self.snapshots[self.version] = current
        self.masks[self.version] = mask
        with self.lock:
            superseded = bool(self.header[READY_FULL])
            self.header[WRITE], self.header[READY] = self.header[READY], slot
            self.header[READY_FULL] = 1
            self.header[NOTIFY] = self.version
        if superseded:
            # The unread message can never be taken now; its changes are in this one.
            self.counters[SUPERSEDED] += 1
            self.snapshots.pop(self.version - 1, None)
            self.masks.pop(self.version - 1, None)
        self.counters[SENT_MSGS] += 1
        self.counters[SENT_BYTES] += nbytes
        self.doorbell.release()


class Inbox(MailboxEnd):
    """The receiver's end of one mailbox."""

    def __init__(self, edge: Edge, shared: dict[str, np.ndarray], slots: np.ndarray,
                 lock, doorbell) -> None:
        super().__init__(edge, shared, lock, doorbell)
        self.slots = slots  # receiver-local ghost indices, in pack order
        self.staleness = 0  # rounds since this mailbox was last merged

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
            version = int(self.meta[slot, 0])
            self.header[TAKEN] = version
        count = int(self.meta[slot, 1])
        if count == DENSE:
            targets, incoming = self.slots, self.values[slot]
            nbytes = incoming.nbytes
        else:
            targets = self.slots[self.positions[slot, :count]]
            incoming = self.values[slot, :count]
            nbytes = count * (row_bytes(incoming) + POSITION.itemsize)
        merge_into(combine, values, targets, incoming)
        self.header[ACK] = version
        self.counters[RECV_MSGS] += 1
        self.counters[RECV_BYTES] += nbytes
        self.staleness = 0
        self.doorbell.release()
        return count if count != DENSE else self.slots.size
