"""One shared-memory segment per run, holding every array the workers share.

The segment is an anonymous memory file (``memfd_create``): it has no name in /dev/shm or
anywhere else, so no signal, not even SIGKILL at any instant, can leave it behind; the kernel
frees it when the last descriptor and mapping are gone. The parent lays out named numpy arrays in
it and hands workers a small picklable :class:`ArenaLayout` whose path is the parent's descriptor
under ``/proc/<pid>/fd`` (only the same user can open it). Once every worker has mapped it the
parent closes that descriptor (:meth:`Arena.unlink`), and nobody new can open it; ``attach``
checks the file's identity, so a descriptor number reused meanwhile is never mistaken for it.
``multiprocessing.shared_memory`` is avoided on purpose: on Python < 3.13 every process that
attaches registers the segment with a resource tracker that may unlink it or report leaks at exit
(bpo-39959, DESIGN §8).

A partition stored in the graph cache is laid out the same way in a regular file
(:func:`write_file`), which the parent and the workers map read-only (:func:`map_file`).
"""

from __future__ import annotations

import contextlib
import mmap
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

NAME_PREFIX = "asapgraph-"
ALIGNMENT = 64  # a cache line: no two arrays share one, so writers do not false-share


@dataclass(frozen=True)
class ArenaLayout:
    """Where each array lives in the segment: name -> (offset, dtype string, shape).

    ``identity`` is the segment's (device, inode): what ``path`` must still lead to.
    ``readonly``: a file mapped for reading only (a partition stored in the graph cache, see
    ``layout.py``), never written by the engine.
    """

    path: str
    size: int
    arrays: dict[str, tuple[int, str, tuple[int, ...]]] = field(default_factory=dict)
    identity: tuple[int, int] = (0, 0)
    readonly: bool = False


def plan(path: str, specs: dict[str, tuple[np.dtype | type, tuple[int, ...]]],
         readonly: bool = False) -> ArenaLayout:
    """Assign aligned offsets to each named (dtype, shape)."""
    offset = 0
    arrays: dict[str, tuple[int, str, tuple[int, ...]]] = {}
    for name, (dtype, shape) in specs.items():
        dtype = np.dtype(dtype)
        arrays[name] = (offset, dtype.str, tuple(int(s) for s in shape))
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        offset += -(-max(nbytes, 1) // ALIGNMENT) * ALIGNMENT
    return ArenaLayout(path, max(offset, ALIGNMENT), arrays, readonly)


class Arena:
    """A mapped segment and numpy views of its arrays."""

    def __init__(self, layout: ArenaLayout, mapping: mmap.mmap, fd: int | None) -> None:
        self.layout = layout
        self._mapping = mapping
        self._fd = fd  # the owner's descriptor: the segment's only way in until unlink()
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
        fd = os.memfd_create(f"{NAME_PREFIX}{os.getpid()}", os.MFD_CLOEXEC)
        try:
            info = os.fstat(fd)
            layout = plan(f"/proc/{os.getpid()}/fd/{fd}", specs)
            layout = ArenaLayout(layout.path, layout.size, layout.arrays,
                                 (info.st_dev, info.st_ino))
            os.ftruncate(fd, layout.size)
            for name, array in (contents or {}).items():
                _write(fd, layout, name, array)
            mapping = mmap.mmap(fd, layout.size)
        except BaseException:
            os.close(fd)
            raise
        return cls(layout, mapping, fd)

    @classmethod
    def attach(cls, layout: ArenaLayout) -> Arena:
        """Map an existing segment or file (worker side; read-only views if the layout says
        so); FileNotFoundError once the owner unlinked it or the path leads to another file."""
        flags, access = ((os.O_RDONLY, mmap.ACCESS_READ) if layout.readonly
                         else (os.O_RDWR, mmap.ACCESS_WRITE))
        fd = os.open(layout.path, flags)
        try:
            info = os.fstat(fd)
            if (info.st_dev, info.st_ino) != layout.identity:
                raise FileNotFoundError(f"the arena {layout.path} is gone")
            mapping = mmap.mmap(fd, layout.size, access=access)
        finally:
            os.close(fd)
        return cls(layout, mapping, None)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def unlink(self) -> None:
        """Close the owner's descriptor, the segment's only way in (idempotent); mappings stay."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def close(self) -> None:
        """Drop the views and unmap; the owner also unlinks."""
        self.arrays.clear()
        self.unlink()
        # Views handed out earlier may still be alive; the mapping then goes with them.
        with contextlib.suppress(BufferError):
            self._mapping.close()


def write_file(
    path: Path, specs: dict[str, tuple[np.dtype | type, tuple[int, ...]]],
    contents: dict[str, np.ndarray],
) -> ArenaLayout:
    """Lay ``contents`` out in a new regular file, as :meth:`Arena.create` lays out a segment,
    readable and writable by this user alone (a cache writes it once, many processes map it);
    :func:`map_file` maps it read-only."""
    layout = plan(str(path), specs, readonly=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.ftruncate(fd, layout.size)
        for name, array in contents.items():
            _write(fd, layout, name, array)
    finally:
        os.close(fd)
    return layout


def map_file(
    path: Path, size: int, arrays: dict[str, tuple[int, str, tuple[int, ...]]]
) -> Arena:
    """Map a file written by :func:`write_file`, read-only; its layout carries the file's
    identity, so a worker attaching it maps this very file even if the path is replaced."""
    info = os.stat(path)
    return Arena.attach(ArenaLayout(str(path), size, arrays, (info.st_dev, info.st_ino),
                                    readonly=True))


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
