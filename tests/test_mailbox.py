"""The NOTIFY-ACK mailbox protocol in one process: policies, deltas, combine, counters."""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asapgraph.engine import mailbox as mb
from asapgraph.engine.mailbox import (
    ACK,
    COUNTER_FIELDS,
    DEFERRED,
    DENSE,
    HEADER_FIELDS,
    META_FIELDS,
    NOTIFY,
    READ,
    READY,
    READY_FULL,
    RECV_BYTES,
    RECV_MSGS,
    SENT_BYTES,
    SENT_MSGS,
    SLOTS,
    SUPERSEDED,
    TAKEN,
    WRITE,
    Edge,
    Inbox,
    Outbox,
    header_init,
)

OWNED = 2  # the receiver's own vertices come before its ghost slots
OWN_VALUE = -7.0  # never touched by a merge


class HookLock:
    """The receiver's lock as the sender sees it: runs ``before`` once, just before acquiring."""

    def __init__(self, lock: threading.Lock) -> None:
        self.lock = lock
        self.before = None

    def __enter__(self) -> HookLock:
        hook, self.before = self.before, None
        if hook is not None:
            hook()
        self.lock.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.lock.release()


@dataclass
class Pair:
    """Sender q and receiver p joined by one mailbox, laid out as the engine lays it out."""

    outbox: Outbox
    inbox: Inbox
    sender: np.ndarray  # q's local values
    receiver: np.ndarray  # p's local values: owned, then ghosts
    pack: np.ndarray
    slots: np.ndarray
    shared: dict[str, np.ndarray]
    sender_bell: threading.Semaphore
    receiver_bell: threading.Semaphore
    combine: str = "replace"
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def header(self) -> np.ndarray:
        return self.shared["mb_header"][1]

    @property
    def counters(self) -> np.ndarray:
        return self.shared["mb_counters"][1]

    def meta(self, slot: int) -> np.ndarray:
        return self.shared["mb_meta"][1, slot]

    def neighbour_untouched(self) -> bool:
        """Mailbox 0, laid out before this one, still holds what it was given."""
        size = self.pack.size
        return bool((self.shared["mb_values"][: SLOTS * size] == 99).all()
                    and (self.shared["mb_positions"][: SLOTS * size] == -5).all()
                    and (self.shared["mb_header"][0] == [0, 0, 0, 1, 2, 0, 0, 0]).all()
                    and (self.shared["mb_counters"][0] == 0).all()
                    and (self.shared["mb_meta"][0] == 0).all())

    @property
    def ghosts(self) -> np.ndarray:
        return self.receiver[self.slots]

    def post(self, *, full: bool = False) -> bool:
        """Post q's values; remember what each version carried."""
        posted = self.outbox.post(self.sender, full=full)
        if posted:
            self.snapshots[self.outbox.version] = self.sender[self.pack].copy()
        return posted

    def take(self) -> int:
        return self.inbox.take(self.receiver, self.combine)


def make_pair(size: int, policy: str, *, extra: int = 3, seed: int = 0,
              dtype: type = np.float64, combine: str = "replace") -> Pair:
    """A mailbox of ``size`` entries; the sender owns ``size + extra`` values."""
    rng = np.random.default_rng(seed)
    # Mailbox 1 of two, both of ``size`` entries: its writes must stay inside its own slots.
    shared = {
        "mb_header": np.zeros((2, HEADER_FIELDS), dtype=np.int64),
        "mb_meta": np.zeros((2, SLOTS, META_FIELDS), dtype=np.int64),
        "mb_values": np.full(SLOTS * 2 * size, 99, dtype=dtype),
        "mb_positions": np.full(SLOTS * 2 * size, -5, dtype=np.int32),
        "mb_counters": np.zeros((2, COUNTER_FIELDS), dtype=np.int64),
    }
    header_init(shared["mb_header"])
    sender = rng.integers(0, 4, size + extra).astype(dtype)
    pack = rng.permutation(size + extra)[:size].astype(np.int64)
    slots = (OWNED + rng.permutation(size)).astype(np.int64)
    receiver = np.full(OWNED + size, OWN_VALUE, dtype=dtype)
    receiver[slots] = sender[pack]  # both ends start from the program's initial values
    lock = threading.Lock()
    sender_bell, receiver_bell = threading.Semaphore(0), threading.Semaphore(0)
    edge = Edge(index=1, sender=0, receiver=1, offset=size, size=size)
    outbox = Outbox(edge, shared, pack, sender, HookLock(lock), receiver_bell, policy)
    inbox = Inbox(edge, shared, slots, lock, sender_bell)
    pair = Pair(outbox, inbox, sender, receiver, pack, slots, shared, sender_bell,
                receiver_bell, combine)
    pair.snapshots[0] = sender[pack].copy()
    return pair


def rang(bell: threading.Semaphore) -> bool:
    """Whether a doorbell was rung (consumes one ring)."""
    return bell.acquire(blocking=False)


def test_latest_supersedes_an_unread_message() -> None:
    pair = make_pair(6, "latest")
    pair.sender[pair.pack[0]] = 10.0
    assert pair.post()
    pair.sender[pair.pack[1]] = 11.0
    assert pair.post()
    assert pair.header[NOTIFY] == 2
    assert pair.counters[SUPERSEDED] == 1
    assert pair.counters[SENT_MSGS] == 2
    assert pair.take() >= 0
    assert pair.header[TAKEN] == pair.header[ACK] == 2
    np.testing.assert_array_equal(pair.ghosts, pair.sender[pair.pack])  # both changes arrived
    assert pair.counters[RECV_MSGS] == 1
    assert pair.take() == -1  # nothing left: the superseded message is gone for good
    assert pair.counters[RECV_MSGS] == 1


def test_queue_defers_until_ack_then_posts() -> None:
    pair = make_pair(6, "queue")
    pair.sender[pair.pack[0]] = 10.0
    assert pair.post()
    pair.sender[pair.pack[1]] = 11.0
    assert not pair.outbox.can_post()
    assert not pair.post()  # deferred, not blocked, not superseding
    assert pair.outbox.pending
    assert pair.counters[DEFERRED] == 1
    assert pair.header[NOTIFY] == 1
    assert pair.take() >= 0
    np.testing.assert_array_equal(pair.ghosts, pair.snapshots[1])  # version 1 only
    assert pair.ghosts[1] != 11.0
    assert pair.header[ACK] == 1
    assert pair.outbox.can_post()
    assert pair.post()  # the flush after the ACK carries the newest values
    assert not pair.outbox.pending
    assert pair.take() >= 0
    np.testing.assert_array_equal(pair.ghosts, pair.sender[pair.pack])
    assert pair.counters[SUPERSEDED] == 0


def test_doorbells_ring_the_other_end() -> None:
    pair = make_pair(4, "latest")
    assert pair.post()
    assert rang(pair.receiver_bell)
    assert not rang(pair.sender_bell)
    assert pair.take() >= 0
    assert rang(pair.sender_bell)
    assert not rang(pair.receiver_bell)


def test_empty_message_still_notifies() -> None:
    pair = make_pair(5, "queue")
    assert pair.post()  # nothing changed since the initial values
    slot = int(pair.header[READY])
    assert pair.header[NOTIFY] == 1
    assert pair.meta(slot)[1] == 0
    assert pair.counters[SENT_MSGS] == 1
    assert pair.counters[SENT_BYTES] == 0
    assert rang(pair.receiver_bell)
    before = pair.receiver.copy()
    assert pair.take() == 0
    assert pair.header[ACK] == 1
    assert pair.counters[RECV_MSGS] == 1
    np.testing.assert_array_equal(pair.receiver, before)


def test_byte_counters_sparse_and_dense() -> None:
    size = 12
    pair = make_pair(size, "latest")
    item = pair.sender.itemsize
    pair.sender[pair.pack[3]] += 1.0
    assert pair.post()
    slot = int(pair.header[READY])
    assert pair.meta(slot)[1] == 1  # one changed entry: value plus position
    assert pair.counters[SENT_BYTES] == item + 4
    assert pair.take() == 1
    assert pair.counters[RECV_BYTES] == item + 4
    pair.sender[pair.pack] += 1.0  # everything changed: the dense form is smaller
    assert pair.post()
    slot = int(pair.header[READY])
    assert pair.meta(slot)[1] == DENSE
    assert pair.counters[SENT_BYTES] == item + 4 + size * item
    pair.sender[pair.pack[0]] += 1.0
    assert pair.post(full=True)  # full: every value, whatever changed
    assert pair.counters[SENT_BYTES] == item + 4 + 2 * size * item
    assert pair.take() == size
    # The superseded dense message was written but never merged.
    assert pair.counters[RECV_BYTES] == item + 4 + size * item
    assert pair.counters[SUPERSEDED] == 1
    np.testing.assert_array_equal(pair.ghosts, pair.sender[pair.pack])


def test_min_combine_keeps_the_smaller_value() -> None:
    pair = make_pair(6, "latest", dtype=np.int64, combine="min")
    pair.sender[pair.pack] = np.arange(10, 16)
    pair.receiver[pair.slots] = np.arange(10, 16)
    pair.outbox.snapshots[0] = pair.sender[pair.pack].copy()
    pair.sender[pair.pack[:3]] = [4, 20, 9]  # lower, higher, lower
    pair.receiver[pair.slots[2]] = 1  # the receiver already knows a smaller label
    assert pair.post()
    assert pair.take() >= 0
    np.testing.assert_array_equal(pair.ghosts, [4, 11, 1, 13, 14, 15])
    np.testing.assert_array_equal(pair.receiver[:OWNED], [OWN_VALUE] * OWNED)


def test_take_with_nothing_ready_changes_nothing() -> None:
    pair = make_pair(4, "latest")
    header, receiver = pair.header.copy(), pair.receiver.copy()
    assert pair.take() == -1
    np.testing.assert_array_equal(pair.header, header)
    np.testing.assert_array_equal(pair.receiver, receiver)
    assert not rang(pair.sender_bell)


def test_initial_header() -> None:
    header = np.full((3, HEADER_FIELDS), 5, dtype=np.int64)
    header_init(header)
    assert (header[:, [WRITE, READY, READ]] == [0, 1, 2]).all()
    assert (header[:, [NOTIFY, ACK, READY_FULL, TAKEN]] == 0).all()


def test_change_undone_while_its_message_is_taken() -> None:
    """The race deltas must survive: q computes a delta against the version p took last, p then
    takes q's previous message, and q's next message must still carry the entry that message
    changed, although q's value is back to what p had before."""
    pair = make_pair(9, "latest")
    entry = pair.pack[4]
    before = pair.sender[entry]
    pair.sender[entry] = before + 1.0
    assert pair.post()  # version 1 changes the entry
    pair.sender[entry] = before  # undone: equal to version 0, which p took last
    taken: list[int] = []
    pair.outbox.lock.before = lambda: taken.append(pair.take())
    assert pair.post()  # version 2; p takes version 1 just before it is swapped in
    assert taken == [1]
    assert pair.ghosts[4] == before + 1.0
    assert pair.take() >= 0
    assert pair.header[TAKEN] == 2
    np.testing.assert_array_equal(pair.ghosts, pair.sender[pair.pack])


# ---------------------------------------------------------------- random interleavings
# Few entries and values, so that changes often hit an entry in flight or undo themselves.
OPS = st.one_of(
    st.tuples(st.just("toggle"), st.integers(0, 2)),  # flip a boundary value between 0 and 1
    st.tuples(st.just("set_other"), st.integers(0, 20), st.sampled_from([0.0, 1.0, 2.0])),
    st.tuples(st.just("post"), st.booleans()),
    st.tuples(st.just("take")),
    st.tuples(st.just("flush")),
    st.tuples(st.just("take_inside_post")),  # p takes after q computed its delta, before the swap
    st.tuples(st.just("post_inside_take")),  # q posts after p swapped, before p merged and ACKed
)


def check_invariants(pair: Pair, policy: str, takes: int) -> None:
    h, c = pair.header, pair.counters
    assert h[ACK] <= h[TAKEN] <= h[NOTIFY] == pair.outbox.version == c[SENT_MSGS]
    assert sorted(h[[WRITE, READY, READ]].tolist()) == [0, 1, 2]
    assert c[RECV_MSGS] == takes
    # Every message posted is merged, superseded, or still waiting in READY.
    assert c[SENT_MSGS] == c[RECV_MSGS] + c[SUPERSEDED] + h[READY_FULL]
    if policy == "queue":
        assert c[SUPERSEDED] == 0
        assert h[NOTIFY] - h[ACK] <= 1
    np.testing.assert_array_equal(pair.receiver[:OWNED], [OWN_VALUE] * OWNED)
    assert pair.neighbour_untouched()


class Takes:
    """p's takes in a random schedule: each checked to leave the ghosts at a whole version (the
    one it took), and counted (``count``) for :func:`check_invariants`."""

    def __init__(self, pair: Pair) -> None:
        self.pair, self.count = pair, 0

    def __call__(self) -> None:
        pair = self.pair
        if pair.take() >= 0:
            self.count += 1
            np.testing.assert_array_equal(pair.ghosts, pair.snapshots[int(pair.header[TAKEN])])


def play_exchange(pair: Pair, op: tuple, take: Takes, post: Callable[..., bool]) -> None:
    """One exchange step of a random schedule (the ops both schedules share): q posts (``post``,
    full or not), p takes, q flushes a pending change, p takes inside q's post, or q posts
    inside p's take, between the swap and the merge."""
    if op[0] == "post":
        post(full=op[1])
    elif op[0] == "take":
        take()
    elif op[0] == "flush":
        if pair.outbox.pending and pair.outbox.can_post():
            assert post()
    elif op[0] == "take_inside_post":
        pair.outbox.lock.before = take
        post()
        pair.outbox.lock.before = None
    elif op[0] == "post_inside_take":
        original = mb.merge_into

        def merge_late(*args, original=original) -> None:
            post()
            original(*args)

        with mock.patch.object(mb, "merge_into", merge_late):
            take()
    else:
        raise AssertionError(f"unknown op {op!r}")


@settings(max_examples=400, deadline=None)
@given(
    size=st.integers(1, 12),
    extra=st.integers(0, 3),
    policy=st.sampled_from(["latest", "queue"]),
    seed=st.integers(0, 2**16),
    ops=st.lists(OPS, min_size=10, max_size=60),
)
def test_ghosts_equal_the_last_version_taken(size, extra, policy, seed, ops) -> None:
    pair = make_pair(size, policy, extra=extra, seed=seed)
    pair.sender[:] = 0.0
    pair.receiver[pair.slots] = 0.0
    pair.outbox.snapshots[0] = pair.snapshots[0] = pair.sender[pair.pack].copy()
    take = Takes(pair)
    for op in ops:
        if op[0] == "toggle":
            pair.sender[pair.pack[op[1] % size]] = 1.0 - pair.sender[pair.pack[op[1] % size]]
        elif op[0] == "set_other":
            pair.sender[op[1] % pair.sender.size] = op[2]
        else:
            play_exchange(pair, op, take, pair.post)
        check_invariants(pair, policy, take.count)

    # Drain: whatever happened, one more exchange brings the ghosts up to date.
    take()
    assert pair.post()
    take()
    np.testing.assert_array_equal(pair.ghosts, pair.sender[pair.pack])
    check_invariants(pair, policy, take.count)


@pytest.mark.parametrize("policy", ["latest", "queue"])
def test_two_threads(policy: str) -> None:
    """Real interleavings: q changes and posts while p takes; every take is a whole version."""
    pair = make_pair(32, policy, seed=7)
    rng = np.random.default_rng(1)
    seen: list[tuple[int, np.ndarray]] = []
    done = threading.Event()

    def sender() -> None:
        for _ in range(3000):
            changed = rng.integers(0, pair.sender.size, int(rng.integers(0, 6)))
            pair.sender[changed] = rng.integers(0, 4, changed.size)
            pair.post()
        while pair.outbox.pending:  # deferred values go out once the receiver ACKs
            if pair.outbox.can_post():
                pair.post()
            else:
                pair.sender_bell.acquire(timeout=0.01)
        done.set()
        pair.receiver_bell.release()

    def receiver() -> None:
        while not (done.is_set() and not pair.inbox.ready()):
            if pair.take() >= 0:
                seen.append((int(pair.header[TAKEN]), pair.ghosts.copy()))
            else:
                pair.receiver_bell.acquire(timeout=0.01)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=sender), threading.Thread(target=receiver)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(interval)
    assert not any(thread.is_alive() for thread in threads)
    assert len(seen) > 10
    versions = [version for version, _ in seen]
    assert versions == sorted(set(versions))  # versions only grow, none is taken twice
    for version, ghosts in seen:
        np.testing.assert_array_equal(ghosts, pair.snapshots[version])
    assert versions[-1] == pair.outbox.version  # the newest version arrived
    np.testing.assert_array_equal(pair.ghosts, pair.sender[pair.pack])
    counters = pair.counters
    assert counters[SENT_MSGS] == counters[RECV_MSGS] + counters[SUPERSEDED]
    if policy == "queue":
        assert counters[SUPERSEDED] == 0
        assert counters[DEFERRED] > 0


# ---------------------------------------------------------------- accumulative messages (sum)
def make_sum_pair(size: int, policy: str, *, seed: int = 0, quantise: bool = True) -> Pair:
    """A mailbox carrying increments: the receiver adds them to its ghost slots."""
    pair = make_pair(size, policy, seed=seed, combine="sum")
    pair.outbox.accumulate = mb.Accumulate(np.ones(size), quantise=quantise)
    pair.snapshots[0] = pair.outbox.known.copy()
    return pair


def post_sum(pair: Pair, *, full: bool = False) -> bool:
    """Post q's values; remember what the receiver holds once it has merged this version."""
    posted = pair.outbox.post(pair.sender, full=full)
    if posted:
        pair.snapshots[pair.outbox.version] = pair.outbox.known.copy()
    return posted


def test_sum_retracts_an_unread_message_and_resends_its_increments() -> None:
    pair = make_sum_pair(6, "latest", quantise=False)
    start = pair.ghosts.copy()
    pair.sender[pair.pack[0]] += 10.0
    assert post_sum(pair)
    pair.sender[pair.pack[1]] += 11.0
    assert post_sum(pair)  # version 1 is unread: retracted, its increment goes again with 2
    assert pair.counters[SUPERSEDED] == 1
    assert pair.take() >= 0
    assert pair.header[TAKEN] == 2
    np.testing.assert_array_equal(pair.ghosts - start, [10.0, 11.0, 0, 0, 0, 0])
    assert pair.take() == -1  # the retracted message is gone, and was never added
    assert pair.counters[SENT_MSGS] == pair.counters[RECV_MSGS] + pair.counters[SUPERSEDED]


def test_sum_quantised_message_costs_two_bytes_an_entry_and_owes_the_rest() -> None:
    size = 12
    pair = make_sum_pair(size, "queue")
    pair.sender[pair.pack] += np.linspace(1.0, 2.0, size)
    pair.sender[pair.pack[0]] += 1e-9  # far below a 16-bit step of the largest increment
    assert post_sum(pair)
    slot = int(pair.header[READY])
    assert pair.meta(slot)[1] == DENSE
    assert pair.counters[SENT_BYTES] == 2 * size + 8
    assert pair.take() >= 0
    owed = pair.sender[pair.pack] - pair.ghosts
    assert 0 < np.abs(owed).max() <= 2.0 / 32767  # remainders, owed, not lost
    assert pair.outbox.held == pytest.approx(np.abs(owed).sum())
    assert post_sum(pair, full=True)  # a full post sends every owed increment exactly
    assert pair.take() >= 0
    assert pair.outbox.held == 0
    np.testing.assert_allclose(pair.ghosts, pair.sender[pair.pack], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(pair.ghosts, pair.outbox.known)


SUM_OPS = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 11), st.floats(-4.0, 4.0)),
    st.tuples(st.just("post"), st.booleans()),
    st.tuples(st.just("take")),
    st.tuples(st.just("flush")),
    st.tuples(st.just("take_inside_post")),
    st.tuples(st.just("post_inside_take")),
)


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(1, 12),
    policy=st.sampled_from(["latest", "queue"]),
    quantise=st.booleans(),
    seed=st.integers(0, 2**16),
    ops=st.lists(SUM_OPS, min_size=10, max_size=60),
)
def test_sum_no_increment_lost_or_counted_twice(size, policy, quantise, seed, ops) -> None:
    """Whatever the interleaving, p's ghosts equal what q knows p holds as of the version p took
    last (every increment of it merged once, none of a retracted message), and one full
    exchange at the end brings them to q's values."""
    pair = make_sum_pair(size, policy, seed=seed, quantise=quantise)
    take = Takes(pair)
    for op in ops:
        if op[0] == "add":
            pair.sender[pair.pack[op[1] % size]] += op[2]
        else:
            play_exchange(pair, op, take, functools.partial(post_sum, pair))
        check_invariants(pair, policy, take.count)

    take()
    assert post_sum(pair, full=True)
    take()
    np.testing.assert_array_equal(pair.ghosts, pair.outbox.known)
    np.testing.assert_allclose(pair.ghosts, pair.sender[pair.pack], rtol=0, atol=1e-12)
    check_invariants(pair, policy, take.count)
