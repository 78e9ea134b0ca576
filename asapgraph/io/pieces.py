"""Text read a piece at a time: whole lines per piece, and a count of the bytes read so far.

The parallel ingest's ranks parse their share in pieces (``engine/mpi_read.py``), and the loader
parses a file in pieces when someone watches its progress (``io/edgelist.py``): both cut the
text here, so a line is never split between two pieces.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import BinaryIO

# Bytes of text parsed at once (a piece ends at a line end): the parallel ingest's text buffer.
PIECE = 64 << 20


def line_pieces(handle: BinaryIO, limit: int | None = None,
                size: int = PIECE) -> Iterator[bytes]:
    """The next ``limit`` bytes of ``handle`` (all of it: None) in pieces of about ``size``
    bytes, each but the last ending at a line end."""
    carry, left = b"", limit
    while left is None or left > 0:
        chunk = handle.read(size if left is None else min(size, left))
        if not chunk:
            break
        if left is not None:
            left -= len(chunk)
        text = carry + chunk
        cut = text.rfind(b"\n") + 1 if left is None or left > 0 else len(text)
        carry = text[cut:]
        if cut:
            yield text[:cut]
    if carry:
        yield carry


class CountingReader(io.RawIOBase):
    """A binary file that tells ``on_bytes`` how many bytes it has given out, after each read.

    Under a decompressor it counts the compressed bytes: the position in the file on disk.
    """

    def __init__(self, handle: BinaryIO, on_bytes: Callable[[int], None]) -> None:
        super().__init__()
        self._handle, self._on_bytes = handle, on_bytes
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = self._handle.readinto(buffer)
        self.position += count or 0
        self._on_bytes(self.position)
        return count
