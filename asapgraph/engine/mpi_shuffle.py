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

    Equal keys end on one rank. Within equal keys the order is by sending rank, then by the
    order on that rank (a stable sort), so a payload recording input order survives.
    """
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    payloads = tuple(payload[order] for payload in payloads)
    del order
    if comm.Get_size() == 1:
        return keys, list(payloads)
    counts = bucket_counts(keys, splitters(comm, keys))
    keys, _ = alltoallv(comm, keys, counts)
    moved = [alltoallv(comm, payload, counts)[0] for payload in payloads]
    order = np.argsort(keys, kind="stable")  # a merge of P sorted runs
    return keys[order], [payload[order] for payload in moved]


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each value's index among them (faster than ``np.unique``)."""
    distinct = np.sort(values)
    if distinct.size:
        keep = np.empty(distinct.size, dtype=bool)
        keep[0] = True
        np.not_equal(distinct[1:], distinct[:-1], out=keep[1:])
        distinct = distinct[keep]
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
