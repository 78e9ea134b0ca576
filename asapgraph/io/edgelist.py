"""SNAP edge-list reader: numpy's C text parser on the common case, a line scan on the rest.

A line is ``source target [weight]``; ``#`` and ``%`` start comments; fields are separated by
whitespace. Lines end in LF, CRLF or CR (universal newlines, as numpy and Python's text mode
read them), so SNAP's CRLF files and ca-HepTh's stray ``\\r\\r\\n`` are plain line ends; error
messages number lines by LF, as editors do. The fast path gives the file to ``np.loadtxt`` with
comment handling off (it costs 2.5x) and the header lines skipped. Whatever that rejects (a
comment inside the data, or a real error) is retried on normalised bytes, and only if that fails
too is the text scanned line by line, which names the first bad line (or, for input that only
loadtxt dislikes, builds the edges itself). Ids are parsed as int64 text, never through float64,
so ids up to 2**63-1 stay exact.

When a ``progress`` callback listens, a file is read in pieces instead (``_read_in_pieces``), so
it can hear the bytes read (of the file on disk, compressed or not) while the parse goes on: the
pieces go through the compiled pair parser where numba is installed, else numpy's, and anything
unusual in them hands the file back to the whole-file path above, which names the bad line.
"""

from __future__ import annotations

import bz2
import gzip
import io
import re
import stat
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from asapgraph.algorithms import accelerate
from asapgraph.errors import GraphFormatError
from asapgraph.graph import Graph, remap_ids
from asapgraph.io.cache import CacheEntry
from asapgraph.io.pairs_kernel import parse_pairs
from asapgraph.io.pieces import CountingReader, line_pieces
from asapgraph.progress import LoadMeter, ProgressCallback

_DECOMPRESS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    ".gz": ("gzip", gzip.decompress),
    ".bz2": ("bzip2", bz2.decompress),
}
_DECOMPRESSING: dict[str, Callable[[BinaryIO], BinaryIO]] = {
    ".gz": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
    ".bz2": bz2.BZ2File,
}
# Text parsed at once while progress is reported (about 0.1 s of parsing), and the bytes read
# from the file at once below it (one count of the bytes read each).
LOAD_PIECE = 16 << 20
READ_AHEAD = 1 << 20
# Text (guessed, for a compressed file, at 4x its size) under which a watched file is read
# whole all the same: two pieces or less load in well under a second, the display's delay.
WATCH_FROM = 32 << 20
COMPRESSION_GUESS = 4
_WEIGHTED = np.dtype([("source", np.int64), ("target", np.int64), ("weight", np.float64)])
_COMMENT = re.compile(rb"[#%][^\n]*")
_INTEGER = re.compile(rb"[+-]?[0-9]+")
_FLOAT = re.compile(
    rb"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)", re.IGNORECASE
)
_INT64 = np.iinfo(np.int64)
MAX_ID_DIGITS = 19 + 20  # int64 has 19 digits; leading zeros allowed up to a point

Edges = tuple[np.ndarray, np.ndarray, np.ndarray | None]


@dataclass(frozen=True)
class _Header:
    """What the lines before the first edge say."""

    directed: bool | None  # None: no "Directed graph" / "Undirected graph" line
    lines: int  # lines before the first edge line
    columns: int  # fields on the first edge line (0: there is none)


def _lines(handle: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """(LF-counted line number, line) with a lone CR also ending a line."""
    for number, physical in enumerate(handle, 1):
        for line in physical.split(b"\r"):
            yield number, line


def _fields(line: bytes) -> list[bytes]:
    return _COMMENT.sub(b"", line).split()


def _read_header(handle: Iterable[bytes], path: Path) -> _Header:
    directed = None
    for number, line in _lines(handle):
        stripped = line.strip()
        if stripped[:1] in (b"#", b"%"):
            text = stripped.lower()
            if text.startswith(b"%%matrixmarket"):  # its size line would read as an edge
                raise GraphFormatError(path, "a MatrixMarket file, not an edge list "
                                       "(read it with scipy.io.mmread)", number)
            if directed is None and b"undirected graph" in text:
                directed = False
            elif directed is None and b"directed graph" in text:
                directed = True
        elif stripped:
            return _Header(directed, number - 1, len(_fields(line)))
    return _Header(directed, 0, 0)


def _decompressed(path: Path, raw: bytes | None = None) -> bytes | None:
    """The whole decompressed text of a .gz/.bz2 file (``raw``, or None, for plain text);
    ``raw`` holds the bytes already read from a stream (a FIFO can be read once only)."""
    if path.suffix not in _DECOMPRESS:
        return raw
    kind, decompress = _DECOMPRESS[path.suffix]
    try:
        return decompress(path.read_bytes() if raw is None else raw)
    except (OSError, EOFError, ValueError, zlib.error) as error:
        raise GraphFormatError(path, f"corrupt or truncated {kind} data ({error})") from None


def _loadtxt(source: Path | io.BytesIO, columns: int, skip: int) -> Edges:
    """Parse with numpy's C reader; ValueError on anything it cannot read exactly."""
    if columns == 3:
        rows = np.loadtxt(source, dtype=_WEIGHTED, comments=None, skiprows=skip,
                          encoding="latin-1", ndmin=1)
        return rows["source"], rows["target"], rows["weight"]
    rows = np.loadtxt(source, dtype=np.int64, comments=None, skiprows=skip,
                      encoding="latin-1", ndmin=2)
    if rows.shape[1] != 2:
        raise ValueError(f"{rows.shape[1]} columns")
    return rows[:, 0], rows[:, 1], None


def _normalised(raw: bytes) -> bytes:
    """LF line ends only, comments removed: the text loadtxt's fast settings accept."""
    text = raw.replace(b"\r", b"\n")
    if b"#" in text or b"%" in text:
        text = _COMMENT.sub(b"", text)
    return text


def _vertex(token: bytes, path: Path, line: int) -> int:
    if not _INTEGER.fullmatch(token):
        raise GraphFormatError(path, f"vertex id {_shown(token)} is not an integer", line)
    if len(token.lstrip(b"+-")) > MAX_ID_DIGITS:  # int() of a huge token is slow, then refused
        raise GraphFormatError(path, f"vertex id {_shown(token)} is outside the int64 range", line)
    value = int(token)
    if not _INT64.min <= value <= _INT64.max:
        raise GraphFormatError(path, f"vertex id {value} is outside the int64 range", line)
    return value


def _weight(token: bytes, path: Path, line: int) -> float:
    if not _FLOAT.fullmatch(token):
        raise GraphFormatError(path, f"weight {_shown(token)} is not a number", line)
    value = float(token)
    if not np.isfinite(value):
        raise GraphFormatError(path, f"weight {_shown(token)} is not a finite number", line)
    return value


def _shown(token: bytes) -> str:
    text = token.decode("latin-1")
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _scan(raw: bytes, path: Path, columns: int = 0) -> Edges:
    """The reference parser, line by line: the edges, or an error at the first bad line.

    ``columns`` is what earlier lines had (a piece of a file read in parallel); 0 for a file's
    start. A piece without edges is then empty; a whole file without any is an error.
    """
    src: list[int] = []
    dst: list[int] = []
    weights: list[float] = []
    for number, line in _lines(io.BytesIO(raw)):
        fields = _fields(line)
        if not fields:
            continue
        if len(fields) not in (2, 3):
            raise GraphFormatError(path, "expected 2 or 3 fields (source target [weight]), "
                                   f"found {len(fields)}", number)
        if columns and len(fields) != columns:
            raise GraphFormatError(path, f"{len(fields)} fields after lines of {columns} "
                                   "(a weight goes on every line or on none)", number)
        columns = len(fields)
        src.append(_vertex(fields[0], path, number))
        dst.append(_vertex(fields[1], path, number))
        if columns == 3:
            weights.append(_weight(fields[2], path, number))
    if not columns:
        raise GraphFormatError(path, "no edges (the file is empty or only comments)")
    return (np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64),
            np.array(weights, dtype=np.float64) if columns == 3 else None)


def parse_piece(path: Path, piece: bytes, columns: int) -> Edges:
    """Edges of ``piece``, whole lines of ``path`` after lines of ``columns`` fields.

    Errors number lines from the piece's start (the caller adds the lines before it).
    """
    skip = 0
    if piece[:1] in (b"#", b"%"):  # a header: loadtxt's fast settings would reject it
        skip = _read_header(io.BytesIO(piece), path).lines
    return _parse(path, piece, _Header(None, skip, columns))


class PieceParser:
    """Accumulates the edges of a file's pieces, in order; stops at the first bad line, noting
    where it was (its line counted from the file's or the range's start). With ``non_negative``
    a negative weight is a bad line too (PageRank follows links in proportion to weights)."""

    def __init__(self, path: Path, columns: int, non_negative: bool = False) -> None:
        self.path, self.columns, self.non_negative = path, columns, non_negative
        self.src: list[np.ndarray] = []
        self.dst: list[np.ndarray] = []
        self.weights: list[np.ndarray] = []
        self.lines = 0  # newlines in the pieces read so far
        self.error: GraphFormatError | None = None

    def add(self, piece: bytes) -> bool:
        """Parse one piece; False once a bad line was met."""
        pairs = parse_pairs(piece) if self.columns == 2 else None
        try:
            src, dst, weights = (*pairs, None) if pairs is not None else parse_piece(
                self.path, piece, self.columns)
            negative = (self.non_negative and weights is not None and weights.size
                        and weights.min() < 0)
            if negative and (error := negative_weight_error(self.path, piece)) is not None:
                raise error
        except GraphFormatError as error:
            line = None if error.line is None else self.lines + error.line
            self.error = GraphFormatError(error.path, error.reason, line)
            return False
        self.src.append(src)
        self.dst.append(dst)
        if weights is not None:
            self.weights.append(weights)
        self.lines += piece.count(b"\n")
        return True

    def count(self) -> int:
        return sum(part.size for part in self.src)


def _parse(path: Path, text: bytes | None, header: _Header) -> Edges:
    """Edges of the file, whose weights are finite; else the error naming the first bad line."""
    src, dst, weights = _parse_text(path, text, header)
    if weights is not None and not np.isfinite(weights).all():  # the fast path let it through
        _scan(path.read_bytes() if text is None else text, path, header.columns)  # names it
    return src, dst, weights


def _parse_text(path: Path, text: bytes | None, header: _Header) -> Edges:
    """Edges of the file: fast path, then a normalised retry, then the line scan."""
    if header.columns in (2, 3):
        try:
            source = path if text is None else io.BytesIO(text)
            return _loadtxt(source, header.columns, header.lines)
        except ValueError:
            pass
    raw = path.read_bytes() if text is None else text
    if header.columns in (2, 3):
        try:
            return _loadtxt(io.BytesIO(_normalised(raw)), header.columns, 0)
        except ValueError:
            pass
    return _scan(raw, path, header.columns)


def file_header(path: Path, text: bytes | None = None) -> _Header:
    """What the lines of ``path`` (or its decompressed ``text``) before the first edge say."""
    if text is None:
        with path.open("rb") as handle, _decompressing(path, handle) as text_stream:
            return _read_header(text_stream, path)
    return _read_header(io.BytesIO(text), path)


def _decompressing(path: Path, handle: BinaryIO) -> BinaryIO:
    """The text of ``handle`` as it is read: decompressed on the fly for a .gz/.bz2 ``path``."""
    opener = _DECOMPRESSING.get(path.suffix)
    return handle if opener is None else opener(handle)


def whole_text(path: Path) -> bytes:
    """The text of ``path``, decompressed if it is a .gz/.bz2 file."""
    text = _decompressed(path)
    return path.read_bytes() if text is None else text


def _read_in_pieces(path: Path, on_bytes: Callable[[int], None]) -> tuple[_Header, Edges] | None:
    """The header and edges of ``path``, parsed a piece at a time while ``on_bytes`` hears the
    bytes of the file read so far; None where the whole-file path should read it instead: a bad
    line (it names it), damaged compressed data (it says so), a small file, or a plain file that
    numpy parses faster whole (without numba, or with weights)."""
    compressed = path.suffix in _DECOMPRESS
    if path.stat().st_size * (COMPRESSION_GUESS if compressed else 1) <= WATCH_FROM:
        return None
    try:
        header = file_header(path)
        if header.columns not in (2, 3) or not (
                compressed or (header.columns == 2 and accelerate.numba_enabled())):
            return None
        parser = PieceParser(path, header.columns)
        with path.open("rb") as handle, _decompressing(
                path, io.BufferedReader(CountingReader(handle, on_bytes), READ_AHEAD)) as text:
            for piece in line_pieces(text, size=LOAD_PIECE):
                if not parser.add(piece):
                    return None
    except (OSError, EOFError, zlib.error):
        return None
    if not parser.count() or (parser.weights and not all(np.isfinite(w).all()
                                                     for w in parser.weights)):
        return None
    weights = np.concatenate(parser.weights) if header.columns == 3 else None
    return header, (np.concatenate(parser.src), np.concatenate(parser.dst), weights)


def _read(path: Path, directed: bool | None, drop_self_loops: bool,
          raw: bytes | None = None, on_bytes: Callable[[int], None] | None = None) -> Graph:
    pieces = None if raw is not None or on_bytes is None else _read_in_pieces(path, on_bytes)
    if pieces is not None:
        header, (src, dst, weights) = pieces
    else:
        text = _decompressed(path, raw)
        header = file_header(path, text)
        src, dst, weights = _parse(path, text, header)
    if directed is None:
        directed = header.directed is not False
    ids, src, dst = remap_ids(src, dst)  # reads loadtxt's strided columns; from_edges copies
    return Graph.from_dense_edges(src, dst, ids, weights, directed=directed,
                                  drop_self_loops=drop_self_loops)


def negative_weight_error(path: Path, raw: bytes | None = None) -> GraphFormatError | None:
    """The error naming the first negative weight of the text (``raw``, else the file read
    again: an error path), or None. PageRank follows links in proportion to their weights, so
    it refuses negative ones; the graph alone cannot say on which line they were."""
    if raw is None:
        raw = _decompressed(path) or path.read_bytes()
    for number, line in _lines(io.BytesIO(raw)):
        fields = _fields(line)
        if len(fields) == 3 and fields[2].startswith(b"-") and float(fields[2]) < 0:
            return GraphFormatError(path, f"weight {_shown(fields[2])} is negative; PageRank "
                                    "follows links in proportion to their weights, which must "
                                    "be >= 0", number)
    return None


@dataclass
class LoadedGraph:
    """A graph read from a file, with how it was read (for ``asapgraph info`` and run stats)."""

    graph: Graph
    path: Path
    seconds: float
    from_cache: bool
    source_bytes: int


def load_edgelist(
    path: str | Path,
    *,
    directed: bool | None = None,
    drop_self_loops: bool = False,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    progress: ProgressCallback | None = None,
) -> LoadedGraph:
    """Read a SNAP edge list (.gz/.bz2 too), through the binary cache unless ``cache=False``.

    ``directed=None`` follows the SNAP header ("Undirected graph" -> undirected, else directed).
    Raises :class:`GraphFormatError` naming the file and line of the first bad input (weights
    must be finite numbers). A FIFO or other non-regular file is read once as a stream, without
    the cache. ``progress`` receives :class:`~asapgraph.progress.ProgressEvent` s of stage
    ``load`` while the file is read: bytes read so far (``done``; of a compressed file, its
    compressed bytes) against the file's size (``total``; None for a stream), a few per second,
    then one ``finished``.
    """
    path = Path(path)
    start = time.perf_counter()
    info = path.stat()
    stream = not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode)
    meter = None if progress is None else LoadMeter(progress, path.name,
                                                    None if stream else info.st_size)
    raw = None
    if stream:  # a FIFO or device: read once, as a stream
        raw, cache = _read_stream(path, meter), False
    size = info.st_size if raw is None else len(raw)
    options = {"directed": directed, "drop_self_loops": drop_self_loops}
    entry = CacheEntry.for_source(path, options, cache_dir) if cache else None
    if entry is not None and not entry.trusted():
        entry = None
    cached = meter is not None and entry is not None and entry.folder.exists()
    if cached:
        meter.relabel(f"{path.name} from cache")
    graph = entry.load() if entry is not None else None
    from_cache = graph is not None
    if graph is None:
        if cached:  # a damaged entry: the file is read after all
            meter.relabel(path.name)
        graph = _read(path, directed, drop_self_loops, raw, meter)
        if entry is not None:
            entry.store(graph)
            # Mapped from the entry just written: the parsed arrays are freed, and the run can
            # use the views and partitions cached beside it from this first load on.
            graph = entry.load() or graph
    if meter is not None:
        meter.finish(size)
    return LoadedGraph(graph, path, time.perf_counter() - start, from_cache, size)


def _read_stream(path: Path, on_bytes: Callable[[int], None] | None) -> bytes:
    """All the bytes of a FIFO or device, ``on_bytes`` told the count after every read."""
    if on_bytes is None:
        return path.read_bytes()
    with path.open("rb", buffering=0) as handle:
        counted = CountingReader(handle, on_bytes)
        return b"".join(iter(lambda: counted.read(1 << 20), b""))


def read_edgelist(
    path: str | Path,
    *,
    directed: bool | None = None,
    drop_self_loops: bool = False,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    progress: ProgressCallback | None = None,
) -> Graph:
    """Read a SNAP edge list into a :class:`Graph` (see :func:`load_edgelist`)."""
    return load_edgelist(path, directed=directed, drop_self_loops=drop_self_loops,
                         cache=cache, cache_dir=cache_dir, progress=progress).graph
