"""Collective data movement for the parallel ingest: all-to-all of numpy buffers, never pickled.

The ingest never gathers O(n) or O(m) data on one rank. Its three moves are a sample sort
(every rank ends with one contiguous, balanced slice of the globally sorted keys, equal keys on
one rank), a request/reply to the rank that owns a key (the reply comes back in request order),
and sending contiguous slices of sorted data to the ranks owning their ranges. Each is built on
:func:`alltoallv`, which moves one typed numpy array per call with MPI's own datatypes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from mpi4py import MPI

from asapgraph.graph import DENSE_REMAP_FACTOR, index_dtype

# Regular samples per rank for the sample sort's splitters: the heaviest bucket then exceeds its
# share by about 1/SAMPLES of the total (Shi & Schaeffer's regular sampling bound).
SAMPLES = 128
# MPI counts are C ints.
MAX_COUNT = 2**31 - 1


def exscan(comm: MPI.Comm, value: int) -> int:
    """The sum of ``value`` over the ranks before this one (0 on rank 0)."""
    before = comm.exscan(int(value))
    return 0 if before is None else int(before)


def alltoallv(comm: MPI.Comm, send: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """Send ``send[...]`` in consecutive runs of ``counts[q]`` entries to rank q.

    Returns what arrived (the runs from ranks 0, 1, ... in order) and how many came from each.
    """
    send = np.ascontiguousarray(send)
    counts = np.asarray(counts, dtype=np.int64)
    arrived = np.empty_like(counts)
    comm.Alltoall(counts, arrived)
    if max(int(counts.max(initial=0)), int(arrived.max(initial=0))) > MAX_COUNT:
        raise ValueError("a single all-to-all message exceeds MPI's 2**31 - 1 entries; "
                         "run with more ranks")
    recv = np.empty(int(arrived.sum()), dtype=send.dtype)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    recv_offsets = np.concatenate([[0], np.cumsum(arrived)[:-1]])
    kind = MPI._typedict[send.dtype.char]  # mpi4py's numpy → MPI type table
    comm.Alltoallv([send, (counts.astype(np.int32), offsets.astype(np.int64)), kind],
                   [recv, (arrived.astype(np.int32), recv_offsets.astype(np.int64)), kind])
    return recv, arrived


def splitters(comm: MPI.Comm, ordered: np.ndarray) -> np.ndarray:
    """P - 1 keys cutting the union of every rank's sorted ``ordered`` into about equal slices."""
    size = comm.Get_size()
    picks = np.linspace(0, ordered.size, SAMPLES, endpoint=False).astype(np.int64)
    samples = ordered[picks] if ordered.size else ordered[:0]
    counts = np.array(comm.allgather(samples.size), dtype=np.int64)
    everyone = np.empty(int(counts.sum()), dtype=ordered.dtype)
    comm.Allgatherv(np.ascontiguousarray(samples), [everyone, counts.astype(np.int32)])
    everyone.sort()
    if everyone.size == 0:
        return np.zeros(size - 1, dtype=ordered.dtype)
    return everyone[(np.arange(1, size) * everyone.size) // size]


def bucket_counts(ordered: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Entries of sorted ``ordered`` for each bucket: keys ≤ cuts[0], then ≤ cuts[1], ..."""
    ends = np.searchsorted(ordered, cuts, side="right")
    return np.diff(np.concatenate([[0], ends, [ordered.size]])).astype(np.int64)


def range_counts(ordered: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Entries of sorted ``ordered`` in each range ``bounds[q]:bounds[q+1]``."""
    ends = np.searchsorted(ordered, bounds[1:-1], side="left")
    return np.diff(np.concatenate([[0], ends, [ordered.size]])).astype(np.int64)


def sample_sort(comm: MPI.Comm, keys: np.ndarray,
                payloads: tuple[np.ndarray, ...] = ()) -> tuple[np.ndarray, list[np.ndarray]]:
    """This rank's slice of all ranks' ``keys`` sorted, with the payloads moved alongside.

    ``keys`` is handed over: without payloads it is sorted in place.

    Equal keys end on one rank. With payloads, within equal keys the order is by sending rank,
    then by the order on that rank (a stable sort), so a payload recording input order survives;
    without, the keys alone are sorted (several times faster than a stable argsort).
    """
    keys, payloads = _sorted(keys, payloads)
    if comm.Get_size() == 1:
        return keys, list(payloads)
    counts = bucket_counts(keys, splitters(comm, keys))
    keys, _ = alltoallv(comm, keys, counts)
    moved = tuple(alltoallv(comm, payload, counts)[0] for payload in payloads)
    keys, moved = _sorted(keys, moved)  # a merge of P sorted runs
    return keys, list(moved)


def _sorted(keys: np.ndarray,
            payloads: tuple[np.ndarray, ...]) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    if not payloads:
        keys.sort()  # in place: the caller hands its keys over
        return keys, ()
    order = np.argsort(keys, kind="stable")
    return keys[order], tuple(payload[order] for payload in payloads)


def runs(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of sorted ``ordered`` and how many times each occurs."""
    if ordered.size == 0:
        return ordered, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    return ordered[starts], np.diff(np.append(starts, ordered.size))


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each value's index among them (faster than ``np.unique``).

    Values spanning a range not much larger than their count go through a lookup table (as
    ``graph.remap_ids`` does); others through a sort and a binary search.
    """
    if values.size == 0:
        return values.copy(), np.zeros(0, dtype=np.int64)
    lo, hi = int(values.min()), int(values.max())
    if hi - lo < DENSE_REMAP_FACTOR * values.size + 1024:
        present = np.zeros(hi - lo + 1, dtype=bool)
        present[values - lo] = True
        distinct = np.flatnonzero(present)
        del present
        table = np.zeros(hi - lo + 1, dtype=index_dtype(distinct.size))
        table[distinct] = np.arange(distinct.size)
        return (distinct + lo).astype(values.dtype), table[values - lo if lo else values]
    distinct, _ = runs(np.sort(values))
    return distinct, np.searchsorted(distinct, values)


def ask_owners(comm: MPI.Comm, requests: np.ndarray, counts: np.ndarray,
               answer: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Send runs of ``requests`` to their owners; each answers its arrived requests in order.

    Returns the replies aligned with ``requests``.
    """
    arrived, from_each = alltoallv(comm, requests, counts)
    replies = np.asarray(answer(arrived))
    back, _ = alltoallv(comm, replies, from_each)
    return back
