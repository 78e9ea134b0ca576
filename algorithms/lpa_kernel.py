"""One round of label propagation over a chunk's rows: numpy, or numba when it is installed.

Both rounds give exactly the same states (``tests/test_lpa_kernel.py`` pins it), so a result does
not depend on whether the optional ``fast`` extra (numba) is installed. The numpy round counts each
row's neighbour labels by sorting them (scipy's ``sum_duplicates``): 6 to 25 ms a round on
email-Enron, too slow for 20x networkx. The numba round counts in O(degree) per row, in a scratch
array indexed by label that is cleared entry by entry after each row (1 to 2 ms a round), and
skips the counting for a settled row whose neighbours did not move.

``ASAPGRAPH_NUMBA`` picks the round (see ``accelerate.py``). Compiling the kernel for both index
widths takes about 3 s; numba's disk cache keeps it, so only the first process on a machine pays
that, and a later one imports numba and loads the kernel in about 0.3 s, once. :func:`load` does
it when a :class:`~asapgraph.algorithms.label_propagation.LabelPropagation` is made, which
``asapgraph.label_propagation`` does before it forks the engine's workers: they inherit the loaded
kernel and pay nothing. Workers of an ``Engine`` opened before (they serve many runs) load it from
the disk cache at their first round: under a second, once per worker process, never a compile.

A vertex's state packs, from the top bit down: its label, its label one round before, whether it
was settled (held a most frequent label) in its last round and in the round before, and its clock
(rounds done, modulo ``2**CLOCK_BITS``). A row reads a neighbour that is one round ahead (an
earlier chunk, or a faster worker) through the neighbour's previous label and flag, so every row
reads the labels of the round before, whatever the chunks, the partition or (in ASAP, up to
ghosts that lag) the timing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from asapgraph.graph import index_dtype

from . import accelerate

CLOCK_BITS = 9  # a neighbour up to 255 rounds ahead or behind is told apart; the coin's period
CLOCK_MASK = (1 << CLOCK_BITS) - 1
SETTLED = 1 << CLOCK_BITS  # held a most frequent label in its last round
WAS_SETTLED = SETTLED << 1  # ... and in the round before
PREV_SHIFT = CLOCK_BITS + 2
LABEL_BITS = 26  # two labels, two flags and the clock fill the 63 bits of an int64
LABEL_MASK = (1 << LABEL_BITS) - 1
LABEL_SHIFT = PREV_SHIFT + LABEL_BITS
MAX_VERTICES = 1 << LABEL_BITS
# A coin moves a vertex with probability ODDS[round] / 2**ODDS_BITS, the last entry from then on:
# 3/4 in the first round, 1/4 in the next three, then 1/2 (see LabelPropagation for why).
ODDS_BITS = 3
ODDS = np.array([6, 2, 2, 2, 4], dtype=np.int64)
_HALF = 1 << (CLOCK_BITS - 1)
_GOLDEN = 0x9E3779B97F4A7C15
# splitmix64's finaliser: z ^= z >> shift, z *= factor for each pair, then z ^= z >> _MIX_LAST
_MIX_STEPS = ((np.uint64(30), np.uint64(0xBF58476D1CE4E5B9)),
              (np.uint64(27), np.uint64(0x94D049BB133111EB)))
_MIX_LAST = np.uint64(31)


def initial_state(vertices: np.ndarray) -> np.ndarray:
    """Each vertex alone under its own dense id, at clock 0, not yet settled."""
    labels = vertices.astype(np.int64)
    return labels << LABEL_SHIFT | labels << PREV_SHIFT


def salt(seed: int) -> np.uint64:
    """What the seed adds to every id before mixing."""
    return np.uint64((seed + 1) * _GOLDEN % 2**64)


def mix(x: np.ndarray, seed: int) -> np.ndarray:
    """A seeded bijection of uint64 (splitmix64's finaliser): well-spread bits from any id."""
    z = np.asarray(x).astype(np.uint64) + salt(seed)
    for shift, factor in _MIX_STEPS:  # the numba kernel repeats these two lines per scalar
        z = (z ^ (z >> shift)) * factor
    return z ^ (z >> _MIX_LAST)


def coin(vertices: np.ndarray, clocks: np.ndarray, seed: int) -> np.ndarray:
    """A coin per (vertex, round), fixed by the seed, that moves with the round's ``ODDS``."""
    draw = mix(mix(vertices, seed) ^ clocks.astype(np.uint64), seed) >> np.uint64(64 - ODDS_BITS)
    return draw.astype(np.int64) < ODDS[np.minimum(clocks, ODDS.size - 1)]


def load() -> None:
    """Import and load (or compile) the numba kernel now, if it will be used; see module notes."""
    if accelerate.compiled(_kernel) is not None:
        _warm_up()


def label_round(values: np.ndarray, vertices: np.ndarray, indptr: np.ndarray,
                indices: np.ndarray, lo: int, seed: int, weights: np.ndarray | None = None) -> int:
    """Move rows ``lo:`` (``indptr``/``indices`` rebased) one round; returns how many count.

    A row with neighbours counts their labels of the round before, each neighbour by the weight
    of its entry (``weights``, aligned with ``indices``) or by 1. Weighted counts are float
    sums, so two labels tie exactly when their weights add up exactly (integers, halves...).
    If its own label is among the most frequent, it keeps it (settled). Otherwise it takes the
    most frequent label (ties: the largest) when every neighbour holding that label was settled
    in the round before, or when the row itself was settled in the two rounds before, or else
    on a coin (:func:`coin`). The count is the rows that were not settled, plus those that read
    a neighbour one round ahead whose label has changed since: a round that counts 0 has checked
    the labels it leaves behind.
    A row that read a lagging neighbour (a stale ghost) is not marked settled, since what it
    checked may be out of date. Rows without neighbours keep their state.
    """
    kernel = accelerate.compiled(_kernel)
    if kernel is None:
        return _numpy_round(values, vertices, indptr, indices, lo, seed, weights)
    return _numba_round(kernel, values, vertices, indptr, indices, lo, seed, weights)


def _numpy_round(values: np.ndarray, vertices: np.ndarray, indptr: np.ndarray,
                 indices: np.ndarray, lo: int, seed: int,
                 weights: np.ndarray | None = None) -> int:
    import scipy.sparse as sp  # imported where used: the command line starts without it

    degree = np.diff(indptr)
    present = np.flatnonzero(degree)  # rows with neighbours; the others keep their state
    if present.size == 0:
        return 0
    rows = lo + present
    state = values[rows]
    clock = state & CLOCK_MASK
    # Each neighbour's label and flag as of this row's clock (previous ones if it is ahead).
    seen = values[indices]
    gap = (seen & CLOCK_MASK) - np.repeat(values[lo : lo + degree.size] & CLOCK_MASK, degree)
    gap &= CLOCK_MASK
    ahead = (gap > 0) & (gap < _HALF)
    lagging = np.logical_or.reduceat(gap >= _HALF, indptr[present])
    current, previous = seen >> LABEL_SHIFT, (seen >> PREV_SHIFT) & LABEL_MASK
    label = np.where(ahead, previous, current)
    unsettled = np.where(ahead, seen & WAS_SETTLED, seen & SETTLED) == 0
    changed = np.logical_or.reduceat(ahead & (previous != current), indptr[present])
    # Count each row's labels: scipy sorts each row's labels and merges repeats, leaving one
    # entry per (row, label) holding weight + 1j·(holders not settled): both sums in one pass
    # (the imaginary part counts exactly, as does the real part of unit weights).
    n_labels = int(max(current.max(), previous.max())) + 1
    dtype = index_dtype(max(n_labels, indices.size + 1))
    weight = 1.0 if weights is None else weights
    counts = sp.csr_array((weight + 1j * unsettled, label.astype(dtype),
                           indptr.astype(dtype)),  # a copy: sum_duplicates rewrites indptr
                          (degree.size, n_labels))
    counts.sum_duplicates()
    run_label, count, unsettled = counts.indices, counts.data.real, counts.data.imag
    starts = counts.indptr[present]
    row_of_run = np.repeat(np.arange(present.size), np.diff(counts.indptr)[present])
    top = np.maximum.reduceat(count, starts)
    own = state >> LABEL_SHIFT
    mine = run_label == own[row_of_run]
    own_count = np.zeros(present.size, dtype=count.dtype)
    own_count[row_of_run[mine]] = count[mine]
    tied = np.where(count == top[row_of_run], run_label.astype(np.int64), -1)
    largest = np.maximum.reduceat(tied, starts)
    chosen = run_label == largest[row_of_run]
    holders_settled = np.ones(present.size, dtype=bool)
    holders_settled[row_of_run[chosen]] = unsettled[chosen] == 0
    improvable = own_count < top
    free = holders_settled | (state & (SETTLED | WAS_SETTLED) == SETTLED | WAS_SETTLED)
    move = improvable & (free | coin(vertices[rows], clock, seed))
    values[rows] = (np.where(move, largest, own) << LABEL_SHIFT | own << PREV_SHIFT
                    | np.where(improvable | lagging, 0, SETTLED) | (state & SETTLED) << 1
                    | (clock + 1) & CLOCK_MASK)
    return int(np.count_nonzero(improvable | changed))


def _numba_round(kernel: Callable[..., int], values: np.ndarray, vertices: np.ndarray,
                 indptr: np.ndarray, indices: np.ndarray, lo: int, seed: int,
                 weights: np.ndarray | None = None) -> int:
    indptr = indptr.astype(np.int64, copy=False)
    weighted = weights is not None
    weights = weights if weighted else _NO_WEIGHTS
    scratch = _SCRATCH
    while True:
        counted = kernel(indptr, indices, values, vertices, lo, salt(seed), ODDS, weights,
                         weighted, *scratch)
        if counted >= 0:
            return counted
        scratch = _grow_scratch(values, indptr)  # a label or a row past the scratch arrays


_NO_WEIGHTS = np.zeros(0)
# This process's scratch: weight by label and whether a holder of it was not settled (both zero
# between rows), one row's labels, the new states.
_SCRATCH = [np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64)]


def _grow_scratch(values: np.ndarray, indptr: np.ndarray) -> list[np.ndarray]:
    """Grow the scratch arrays to what this chunk needs (they never shrink).

    Labels are dense vertex ids, but a block does not know the number of vertices, so the count
    array is sized by the largest label in sight, and grown again if a merge brings a larger one.
    """
    counts, unsettled, row, out = _SCRATCH
    labels = max(counts.size, unsettled.size,
                 int(max(values.max() >> LABEL_SHIFT,
                         ((values >> PREV_SHIFT) & LABEL_MASK).max())) + 1)
    _SCRATCH[:] = [np.zeros(labels), np.zeros(labels, dtype=np.int64),
                   np.zeros(max(row.size, int(np.diff(indptr).max())), dtype=np.int64),
                   np.zeros(max(out.size, indptr.size - 1), dtype=np.int64)]
    return _SCRATCH


def _warm_up() -> None:
    """Call the kernel once on a triangle for each index width, so that both are loaded."""
    values = initial_state(np.arange(3))
    indptr = np.array([0, 2, 4, 6])
    for dtype in (np.int32, np.int64):
        label_round(values.copy(), np.arange(3), indptr, np.array([1, 2, 0, 2, 0, 1], dtype), 0, 0)
        label_round(values.copy(), np.arange(3), indptr, np.array([1, 2, 0, 2, 0, 1], dtype), 0, 0,
                    np.ones(6))


def _kernel(indptr, indices, values, vertices, lo, seed_salt, odds, weights, weighted, counts,
            unsettled_by_label, row_labels, out):
    """The numba round (compiled by ``accelerate``); -1 when the scratch is too small.

    The rules of :func:`label_round`, row by row. A row that was settled, whose neighbours are
    all at its clock and did not change label in their last round, stays settled without
    counting. Otherwise: count labels (``counts[label]`` sums the weights, or 1 per neighbour;
    ``unsettled_by_label[label]`` is 1 once a holder was not settled) while keeping the largest
    count (ties: the largest label), read the own label's count and the chosen label's flag,
    and clear both arrays.
    """
    size = counts.size
    rows = indptr.size - 1
    if out.size < rows:
        return -1
    counted = 0
    for i in range(rows):
        start, stop = indptr[i], indptr[i + 1]
        state = values[lo + i]
        out[i] = state
        if start == stop:
            continue
        if stop - start > row_labels.size:
            return -1
        clock = state & CLOCK_MASK
        own = state >> LABEL_SHIFT
        tick = (state & SETTLED) << 1 | (clock + 1) & CLOCK_MASK
        if state & SETTLED:
            stable = True
            for j in range(start, stop):
                seen = values[indices[j]]
                if (seen & CLOCK_MASK) != clock or (seen >> LABEL_SHIFT) != (
                        (seen >> PREV_SHIFT) & LABEL_MASK):
                    stable = False
                    break
            if stable:
                out[i] = own << LABEL_SHIFT | own << PREV_SHIFT | SETTLED | tick
                continue
        top = 0.0
        largest = -1
        changed = lagging = False
        for j in range(start, stop):
            seen = values[indices[j]]
            current, previous = seen >> LABEL_SHIFT, (seen >> PREV_SHIFT) & LABEL_MASK
            gap = ((seen & CLOCK_MASK) - clock) & CLOCK_MASK
            ahead = 0 < gap < _HALF
            lagging |= gap >= _HALF
            label = previous if ahead else current
            unsettled = (seen & (WAS_SETTLED if ahead else SETTLED)) == 0
            changed |= ahead and previous != current
            if label >= size:
                for k in range(j - start):
                    counts[row_labels[k]] = 0.0
                    unsettled_by_label[row_labels[k]] = 0
                return -1
            row_labels[j - start] = label
            count = counts[label] + (weights[j] if weighted else 1.0)
            counts[label] = count
            if unsettled:
                unsettled_by_label[label] = 1
            if largest < 0 or count > top or (count == top and label > largest):
                top, largest = count, label
        own_count = counts[own] if own < size else 0.0
        holders_settled = unsettled_by_label[largest] == 0
        for k in range(stop - start):
            counts[row_labels[k]] = 0.0
            unsettled_by_label[row_labels[k]] = 0
        if own_count >= top:
            out[i] = own << LABEL_SHIFT | own << PREV_SHIFT | (0 if lagging else SETTLED) | tick
            counted += changed
            continue
        move = holders_settled or (state & (SETTLED | WAS_SETTLED)) == SETTLED | WAS_SETTLED
        if not move:  # the coin: mix(mix(vertex) ^ clock) against the odds, as heads() does
            z = np.uint64(vertices[lo + i]) + seed_salt
            for twice in range(2):
                for step, factor in _MIX_STEPS:
                    z = (z ^ (z >> step)) * factor
                z = z ^ (z >> _MIX_LAST)
                if twice == 0:
                    z = (z ^ np.uint64(clock)) + seed_salt
            move = z >> np.uint64(64 - ODDS_BITS) < odds[min(clock, odds.size - 1)]
        out[i] = (largest if move else own) << LABEL_SHIFT | own << PREV_SHIFT | tick
        counted += 1
    values[lo : lo + rows] = out[:rows]
    return counted
