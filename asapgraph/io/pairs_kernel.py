"""A compiled parser for the common edge-list piece: two integer fields a line, nothing exotic.

The parallel ingest parses its text in pieces (``engine/mpi_read.py``); numpy's ``loadtxt``
(``io/edgelist.py``) is its numpy twin. With numba (the ``fast`` extra,
``asapgraph.algorithms.accelerate``) this one byte loop takes a piece of ``source target`` lines,
with the reader's rules (spaces or tabs; LF, CRLF or a lone CR ends a line; ``#`` and ``%``
start a comment), and gives up, returning -1, at the first thing it does not handle exactly
(a third field, a non-digit, an id of more than 18 digits): the caller then parses the piece
with the reference path, which names the bad line or reads what is only unusual. So the result
never depends on which parser ran.
"""

from __future__ import annotations

import numpy as np

from asapgraph.algorithms import accelerate

_MAX_DIGITS = 18  # below int64's 19: no overflow check needed in the loop


def _parse_pairs(data, src, dst):  # numba kernel: arrays in, count out
    """Fill ``src``/``dst`` from ``data`` (uint8); the edge count, or -1 to give up."""
    size = data.size
    at = 0
    count = 0
    while at < size:
        fields = 0
        while True:
            while at < size and (data[at] == 32 or data[at] == 9 or data[at] == 11
                                 or data[at] == 12):
                at += 1
            if at >= size or data[at] == 10 or data[at] == 13:
                break
            c = data[at]
            if c == 35 or c == 37:  # a comment runs to the line end
                while at < size and data[at] != 10 and data[at] != 13:
                    at += 1
                break
            negative = c == 45
            if c == 43 or c == 45:
                at += 1
            digits = 0
            value = 0
            while at < size and 48 <= data[at] <= 57:
                if digits == _MAX_DIGITS:
                    return -1
                value = value * 10 + (data[at] - 48)
                digits += 1
                at += 1
            if digits == 0:
                return -1
            if at < size:
                c = data[at]
                if not (c == 32 or c == 9 or c == 11 or c == 12 or c == 10 or c == 13
                        or c == 35 or c == 37):
                    return -1
            if negative:
                value = -value
            if fields == 0:
                src[count] = value
            elif fields == 1:
                dst[count] = value
            else:
                return -1
            fields += 1
        if fields == 1:
            return -1
        if fields == 2:
            count += 1
        at += 1  # past the line end
    return count


def parse_pairs(piece: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """(src, dst) of a two-column piece with numba; None without it, or when it gave up."""
    kernel = accelerate.compiled(_parse_pairs)
    if kernel is None:
        return None
    lines = piece.count(b"\n") + piece.count(b"\r") + 1
    src = np.empty(lines, dtype=np.int64)
    dst = np.empty(lines, dtype=np.int64)
    count = kernel(np.frombuffer(piece, dtype=np.uint8), src, dst)
    if count < 0:
        return None
    return src[:count], dst[:count]
