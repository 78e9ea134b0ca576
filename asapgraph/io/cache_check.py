"""Whether a graph cache entry can be trusted: who can write it, and whether its arrays are intact.

A memory-mapped entry is used without being parsed, so damage (a flipped byte, swapped values)
would give a silently wrong answer or, with an index out of range, crash inside scipy. Each entry
therefore records a CRC-32 of every array when it is written; loading checks the checksums and
the CSR structure (dtypes, shapes, ``indptr`` monotone from 0 to m, indices in ``[0, n)``, weights
finite) in one pass over the arrays: about 3% of a warm load plus one PageRank solve of R-MAT 20
(``bench/bench_cache_validation.py``). And like ssh and pip, the cache refuses folders and files
that another user owns or can write: an entry planted in a shared folder would poison answers.
"""

from __future__ import annotations

import os
import stat
import zlib
from pathlib import Path

import numpy as np

from asapgraph.graph import index_dtype

CHUNK = 1 << 26  # bytes per CRC call: bounded temporaries, and zlib's 32-bit length is never hit


class DamagedEntryError(ValueError):
    """A cache entry's arrays disagree with what was written."""


def untrusted_reason(path: Path, *, root: bool = False) -> str | None:
    """Why ``path`` may hold what another user wrote; None if it cannot (or does not exist).

    An entry and its files must be ours, not links, and writable by us alone. The cache ``root``
    (followed if a link) may also be root's, and group- or world-writable if sticky (``/tmp``
    style: others may add entries there, but not replace ours; each entry is checked on its own).
    """
    try:
        info = path.stat() if root else path.lstat()
    except (FileNotFoundError, NotADirectoryError):  # nothing there to trust or distrust
        return None
    if stat.S_ISLNK(info.st_mode):
        return f"{path} is a symbolic link"
    if info.st_uid not in ((os.geteuid(), 0) if root else (os.geteuid(),)):
        return f"{path} is owned by another user (uid {info.st_uid})"
    shared = root and stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_ISVTX
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not shared:
        return f"{path} is writable by other users (chmod go-w {path})"
    return None


def untrusted_entry(folder: Path) -> str | None:
    """Why the entry ``folder`` or a file in it cannot be trusted (None: all is ours alone)."""
    for path in (folder, *sorted(folder.iterdir())):
        reason = untrusted_reason(path)
        if reason is not None:
            return reason
    return None


def checksum(array: np.ndarray) -> int:
    """CRC-32 of the array's bytes in memory order (the fastest of crc32, adler32, blake2b here)."""
    raw = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
    crc = 0
    for start in range(0, raw.size, CHUNK):
        crc = zlib.crc32(raw[start : start + CHUNK], crc)
    return crc


def checksums(arrays: dict[str, np.ndarray | None]) -> dict[str, int]:
    """The checksum of each present array, as stored in an entry's meta.json."""
    return {name: checksum(array) for name, array in arrays.items() if array is not None}


def check_checksums(arrays: dict[str, np.ndarray], expected: dict[str, int]) -> None:
    """Raise :class:`DamagedEntryError` unless each array matches the checksum written with it."""
    for name, array in arrays.items():
        if name not in expected or checksum(array) != expected[name]:
            raise DamagedEntryError(f"{name} does not match its checksum")


def check_arrays(arrays: dict[str, np.ndarray], expected: dict[str, int], n: int, nnz: int) -> None:
    """Raise :class:`DamagedEntryError` unless ``arrays`` form the CSR graph that was stored.

    ``arrays`` holds ``indptr``, ``indices``, optionally ``weights`` and ``ids`` (an entry) or not
    (a view); ``expected`` the checksums written with them.
    """
    indptr, indices = arrays["indptr"], arrays["indices"]
    shapes = {"indptr": (n + 1,), "indices": (nnz,), "weights": (nnz,), "ids": (n,)}
    dtypes = {"indptr": np.dtype(np.int64), "indices": index_dtype(n),
              "weights": np.dtype(np.float64), "ids": np.dtype(np.int64)}
    for name, array in arrays.items():
        if array.shape != shapes[name] or array.dtype != dtypes[name]:
            raise DamagedEntryError(f"{name} is {array.dtype}{list(array.shape)}, expected "
                                    f"{dtypes[name]}{list(shapes[name])}")
    check_checksums(arrays, expected)
    if indptr[0] != 0 or indptr[-1] != nnz or (n and np.diff(indptr).min() < 0):
        raise DamagedEntryError("indptr is not monotone from 0 to the edge count")
    if nnz and (indices.min() < 0 or indices.max() >= n):
        raise DamagedEntryError("an index lies outside the vertex range")
    if "weights" in arrays and not np.isfinite(arrays["weights"]).all():
        raise DamagedEntryError("a weight is not finite")
