"""One shared-memory segment per run, holding every array the workers share.

The parent creates the segment in /dev/shm under an unguessable name (128 random bits), with mode
0600 so other users cannot read it, lays out named numpy arrays in it, and hands workers a small
picklable :class:`ArenaLayout`. Workers map the file by path; once every worker has mapped it the
parent unlinks the name, so from then on nothing is left in /dev/shm whatever happens to the run:
the memory lives until the last process unmaps it. ``multiprocessing.shared_memory`` is avoided on
purpose: on Python < 3.13 every process that attaches registers the segment with a resource
tracker that may unlink it or report leaks at exit (bpo-39959, DESIGN §8).
"""

from __future__ import annotations

import contextlib
import mmap
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SHM_DIR = Path("/dev/shm")
NAME_PREFIX = "asapgraph-"
ALIGNMENT = 64  # a cache line: no two arrays share one, so writers do not false-share


@dataclass(frozen=True)
class ArenaLayout:
    """Where each array lives in the segment: name -> (offset, dtype string, shape)."""

    path: str
    size: int
    arrays: dict[str, tuple[int, str, tuple[int, ...]]] = field(default_factory=dict)


def plan(path: str, specs: dict[str, tuple[np.dtype | type, tuple[int, ...]]]) -> ArenaLayout:
    """Assign aligned offsets to each named (dtype, shape)."""
    offset = 0
    arrays: dict[str, tuple[int, str, tuple[int, ...]]] = {}
    for name, (dtype, shape) in specs.items():
        dtype = np.dtype(dtype)
        arrays[name] = (offset, dtype.str, tuple(int(s) for s in shape))
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        offset += -(-max(nbytes, 1) // ALIGNMENT) * ALIGNMENT
    return ArenaLayout(path, max(offset, ALIGNMENT), arrays)


class Arena:
    """A mapped segment and numpy views of its arrays."""

    def __init__(self, layout: ArenaLayout, mapping: mmap.mmap, owner: bool) -> None:
        self.layout = layout
        self._mapping = mapping
        self._owner = owner
        # frombuffer keeps a buffer export per view, so the mapping cannot be unmapped under a
        # live view (np.ndarray(buffer=mmap) keeps none: close() unmapped it, and a later read
        # of the view crashed the process).
        self.arrays: dict[str, np.ndarray] = {
            name: np.frombuffer(mapping, dtype=np.dtype(dtype), offset=offset,
                                count=int(np.prod(shape, dtype=np.int64))).reshape(shape)
            for name, (offset, dtype, shape) in layout.arrays.items()
        }

    @classmethod
    def create(
        cls,
        specs: dict[str, tuple[np.dtype | type, tuple[int, ...]]],
        contents: dict[str, np.ndarray] | None = None,
    ) -> Arena:
        """Create a fresh segment (parent side): zero-filled, then ``contents`` written in.

        The contents are written through the file, one copy per array made by the kernel, not
        through the mapping: that would take a page fault per 4 KiB of /dev/shm, and cost
        about twice as long for the hundreds of MB of a large graph's blocks.
        """
        path = str(SHM_DIR / f"{NAME_PREFIX}{os.getpid()}-{secrets.token_hex(16)}")
        layout = plan(path, specs)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.ftruncate(fd, layout.size)
            for name, array in (contents or {}).items():
                _write(fd, layout, name, array)
            mapping = mmap.mmap(fd, layout.size)
        except BaseException:
            os.close(fd)
            os.unlink(path)
            raise
        os.close(fd)
        return cls(layout, mapping, owner=True)

    @classmethod
    def attach(cls, layout: ArenaLayout) -> Arena:
        """Map an existing segment (worker side)."""
        fd = os.open(layout.path, os.O_RDWR)
        try:
            mapping = mmap.mmap(fd, layout.size)
        finally:
            os.close(fd)
        return cls(layout, mapping, owner=False)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def unlink(self) -> None:
        """Remove the name from /dev/shm (idempotent); mappings stay valid."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.layout.path)

    def close(self) -> None:
        """Drop the views and unmap; the owner also unlinks."""
        self.arrays.clear()
        if self._owner:
            self.unlink()
        # Views handed out earlier may still be alive; the mapping then goes with them.
        with contextlib.suppress(BufferError):
            self._mapping.close()


def _write(fd: int, layout: ArenaLayout, name: str, array: np.ndarray) -> None:
    """Write ``array`` (cast to the layout's dtype) where ``name`` lives in the segment."""
    offset, dtype, shape = layout.arrays[name]
    source = np.ascontiguousarray(array, dtype=dtype)
    if source.shape != shape:
        raise ValueError(f"Array {name!r} has shape {source.shape} where the layout has {shape}.")
    raw = source.reshape(-1).view(np.uint8)
    done = 0
    while done < raw.size:  # a write may stop short (Linux: at about 2 GiB)
        done += os.pwrite(fd, raw[done:], offset + done)
