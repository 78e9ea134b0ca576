"""Each rank parses its own share of the text: a byte range of one file, or whole part files.

A plain edge-list file is cut into P byte ranges moved forward to line starts, so every line is
parsed by exactly one rank; a rank reads its range in pieces of ``PIECE`` bytes (its text buffer)
with the single-node reader's rules (``parse_piece``: comments, tabs or spaces, CRLF, weights;
two-column pieces through the compiled ``parse_pairs`` when numba is installed).
A folder holds part files (as Spark or Hadoop write them; .gz/.bz2 too), dealt to the ranks
largest first, round-robin. The header (directed or not, 2 or 3 columns) is what the file, or the
first part by name, says before its first edge.

Bad input: a rank that meets a bad line stops reading; then every rank learns, in one collective,
the first error in input order, and raises it, so the job ends with one line naming the file
and line (numbered by LF across the whole file: each rank counts its range's newlines, and an
exscan gives the lines before it). No rank is left waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from mpi4py import MPI

from asapgraph.engine.mpi_shuffle import exscan
from asapgraph.errors import GraphFormatError
from asapgraph.io.edgelist import PieceParser, file_header, whole_text
from asapgraph.io.pieces import PIECE, line_pieces

# Sequence numbers of a folder's edges: part index above this many bits, line order below.
PART_SHIFT = 40
COMPRESSED = (".gz", ".bz2")


@dataclass
class LocalEdges:
    """The edges this rank parsed, in original ids, and what the input's header says."""

    src: np.ndarray  # int64
    dst: np.ndarray  # int64
    weights: np.ndarray | None
    order: np.ndarray | None  # input order of each edge (weighted only: the last weight wins)
    directed: bool | None  # None: the header does not say
    text_bytes: int  # bytes of text this rank read


def part_files(folder: Path) -> list[Path]:
    """The part files of ``folder`` by name, without markers (``_SUCCESS``) or hidden files."""
    return sorted(path for path in folder.iterdir()
                  if path.is_file() and not path.name.startswith(("_", ".")))


def deal_parts(sizes: list[int], ranks: int) -> list[list[int]]:
    """Part indices for each rank: largest first, round-robin, each rank's in name order."""
    dealt: list[list[int]] = [[] for _ in range(ranks)]
    for turn, index in enumerate(sorted(range(len(sizes)), key=lambda i: (-sizes[i], i))):
        dealt[turn % ranks].append(index)
    return [sorted(indices) for indices in dealt]


def line_start(handle: BinaryIO, position: int, total: int) -> int:
    """The first line start at or after ``position`` (``total`` if none)."""
    if position <= 0 or position >= total:
        return min(max(position, 0), total)
    handle.seek(position - 1)
    scanned = position - 1
    while True:
        block = handle.read(1 << 16)
        if not block:
            return total
        found = block.find(b"\n")
        if found >= 0:
            return scanned + found + 1
        scanned += len(block)


def byte_range(path: Path, rank: int, size: int) -> tuple[int, int]:
    """Rank ``rank``'s share ``[begin, end)`` of ``path``, both at line starts."""
    total = path.stat().st_size
    with path.open("rb") as handle:
        begin = line_start(handle, rank * total // size, total)
        end = line_start(handle, (rank + 1) * total // size, total)
    return begin, end


def _pieces(path: Path, begin: int, end: int) -> Iterator[bytes]:
    """``[begin, end)`` of ``path`` in pieces of at most about ``PIECE`` bytes, whole lines."""
    with path.open("rb") as handle:
        handle.seek(begin)
        yield from line_pieces(handle, end - begin)


def _text_pieces(text: bytes) -> Iterator[bytes]:
    """An in-memory text in pieces of about ``PIECE`` bytes, each ending at a line end."""
    start = 0
    while start < len(text):
        stop = start + PIECE
        cut = len(text) if stop >= len(text) else text.rfind(b"\n", start, stop) + 1
        cut = cut if cut > start else len(text)
        yield text[start:cut]
        start = cut


def _header(comm: MPI.Comm, files: list[Path]) -> tuple[bool | None, int]:
    """Rank 0 reads what the input says before its first edge; every rank gets it."""
    found: tuple[bool | None, int] | GraphFormatError = (None, 0)
    if comm.Get_rank() == 0:
        try:
            for path in files:
                header = file_header(path, whole_text(path) if path.suffix in COMPRESSED
                                     else None)
                found = (header.directed if found[0] is None else found[0], header.columns)
                if header.columns:
                    break
        except GraphFormatError as error:
            found = error
    found = comm.bcast(found, root=0)
    if isinstance(found, GraphFormatError):
        raise found
    return found


def first_error(comm: MPI.Comm, error: GraphFormatError | None, before: int = 0) -> None:
    """Raise, on every rank, the first error any rank met (in rank order); else return.

    ``before`` is the lines of the file before this rank's range, added to its error's line.
    """
    mine = None
    if error is not None:
        line = None if error.line is None else before + error.line
        mine = (error.path, error.reason, line)
    errors = comm.allgather(mine)
    for found in errors:
        if found is not None:
            raise GraphFormatError(*found)


def read_local_edges(comm: MPI.Comm, source: Path, non_negative: bool = False) -> LocalEdges:
    """This rank's edges of ``source`` (an edge-list file or a folder of part files);
    ``non_negative``: a negative weight is refused like a bad line."""
    rank, size = comm.Get_rank(), comm.Get_size()
    folder = source.is_dir()
    files = part_files(source) if folder else [source]
    if not files:
        raise GraphFormatError(source, "no part files in the folder")
    directed, columns = _header(comm, files)
    if columns == 0:
        raise GraphFormatError(source, "no edges (the file is empty or only comments)")
    if folder or source.suffix in COMPRESSED:
        parsed, text_bytes, parts = _read_parts(comm, files, columns, non_negative)
        first_error(comm, parsed.error if parsed is not None else None)
    else:
        begin, end = byte_range(source, rank, size)
        parsed = PieceParser(source, columns, non_negative)
        for piece in _pieces(source, begin, end):
            if not parsed.add(piece):
                break
        text_bytes, parts = end - begin, [(0, parsed.count())]
        first_error(comm, parsed.error, exscan(comm, parsed.lines))
    if comm.allreduce(parsed.count() if parsed is not None else 0) == 0:
        raise GraphFormatError(source, "no edges (the file is empty or only comments)")
    return _edges(comm, parsed, directed, columns, text_bytes, parts, folder)


def _read_parts(comm: MPI.Comm, files: list[Path], columns: int,
                non_negative: bool) -> tuple[PieceParser | None, int, list[tuple[int, int]]]:
    """Parse the part files dealt to this rank; (parsed, text bytes, (part, edges) list)."""
    sizes = [path.stat().st_size for path in files]
    mine = deal_parts(sizes, comm.Get_size())[comm.Get_rank()]
    parsed_all: PieceParser | None = None
    text_bytes, parts = 0, []
    for index in mine:
        parsed = PieceParser(files[index], columns, non_negative)
        try:
            text = whole_text(files[index])
        except GraphFormatError as error:
            parsed.error = error
            return parsed, text_bytes, parts
        text_bytes += len(text)
        for piece in _text_pieces(text):
            if not parsed.add(piece):
                return parsed, text_bytes, parts
        del text
        parts.append((index, parsed.count()))
        if parsed_all is None:
            parsed_all = parsed
        else:
            parsed_all.src += parsed.src
            parsed_all.dst += parsed.dst
            parsed_all.weights += parsed.weights
    if parsed_all is None:
        parsed_all = PieceParser(files[0], columns)
    return parsed_all, text_bytes, parts


def _edges(comm: MPI.Comm, parsed: PieceParser, directed: bool | None, columns: int,
           text_bytes: int, parts: list[tuple[int, int]], folder: bool) -> LocalEdges:
    """Concatenate the pieces; number the edges in input order when weights are read."""
    src = np.concatenate(parsed.src) if parsed.src else np.empty(0, dtype=np.int64)
    dst = np.concatenate(parsed.dst) if parsed.dst else np.empty(0, dtype=np.int64)
    parsed.src = parsed.dst = []
    weights = order = None
    if columns == 3:
        weights = np.concatenate(parsed.weights) if parsed.weights else np.empty(0)
        if folder:
            order = np.concatenate([(index << PART_SHIFT) + np.arange(count, dtype=np.int64)
                                    for index, count in parts] or [np.empty(0, np.int64)])
        else:
            order = exscan(comm, src.size) + np.arange(src.size, dtype=np.int64)
    return LocalEdges(src, dst, weights, order, directed, text_bytes)
