"""The loader's progress: byte counts while an edge list is read (plain, compressed, a stream,
the cache), the same graph and the same errors as an unwatched read, and the loading line the
command line's display draws from them."""

from __future__ import annotations

import bz2
import gzip
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import require_numba

from asapgraph import progress as progress_module
from asapgraph.algorithms import accelerate
from asapgraph.commands.display import describe
from asapgraph.errors import GraphFormatError
from asapgraph.io import edgelist, load_edgelist
from asapgraph.progress import LOAD, ProgressEvent

COMPRESS = {".txt": lambda data: data, ".gz": gzip.compress, ".bz2": bz2.compress}


@pytest.fixture
def fine_grained(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small pieces, small reads and no throttle: a small file gives many reports."""
    monkeypatch.setattr(edgelist, "WATCH_FROM", 0)
    monkeypatch.setattr(edgelist, "LOAD_PIECE", 8 << 10)
    monkeypatch.setattr(edgelist, "READ_AHEAD", 4 << 10)
    monkeypatch.setattr(progress_module, "REPORT_EVERY", 0.0)


def edge_text(edges: int = 20_000, weighted: bool = False) -> bytes:
    rng = np.random.default_rng(7)
    pairs = rng.integers(0, 5_000, size=(edges, 2))
    lines = [f"{u}\t{v}\t{(u % 7) / 2}" if weighted else f"{u}\t{v}" for u, v in pairs]
    return ("# Directed graph: progress\n# FromNodeId\tToNodeId\n" + "\n".join(lines)
            + "\n").encode()


def same_graph(one, other) -> bool:
    return (one.directed == other.directed and np.array_equal(one.ids, other.ids)
            and np.array_equal(one.indptr, other.indptr)
            and np.array_equal(one.indices, other.indices)
            and (one.weights is None) == (other.weights is None)
            and (one.weights is None or np.array_equal(one.weights, other.weights)))


@pytest.mark.parametrize("weighted", [False, True], ids=["pairs", "weighted"])
@pytest.mark.parametrize("suffix", [".txt", ".gz", ".bz2"])
def test_load_reports_growing_byte_counts_ending_at_the_file_size(
    tmp_path: Path, fine_grained: None, suffix: str, weighted: bool
) -> None:
    """Counts of the file on disk (compressed bytes for .gz/.bz2), rising to its size."""
    if suffix == ".txt" and not weighted:
        require_numba()  # a plain pair list is read in pieces only with the compiled parser
        if not accelerate.numba_enabled():
            pytest.skip(f"{accelerate.SWITCH}=0 turns the compiled parser off")
    path = tmp_path / f"graph{suffix}"
    path.write_bytes(COMPRESS[suffix](edge_text(weighted=weighted)))
    size = path.stat().st_size
    events: list[ProgressEvent] = []
    loaded = load_edgelist(path, cache=False, progress=events.append)
    assert {event.stage for event in events} == {LOAD}
    assert [event.finished for event in events] == [False] * (len(events) - 1) + [True]
    done = [event.done for event in events]
    if suffix != ".txt" or not weighted:  # a plain weighted file is parsed whole: no counts
        assert len(set(done)) >= 4, done  # start, several reads, the end
    assert done == sorted(done)
    assert done[0] == 0
    assert done[-1] == size
    assert all(event.total == size for event in events)
    assert all(event.label == path.name for event in events)
    assert [event.elapsed for event in events] == sorted(event.elapsed for event in events)
    assert loaded.source_bytes == size
    assert same_graph(loaded.graph, load_edgelist(path, cache=False).graph)


def test_a_stream_reports_its_bytes_without_a_size(tmp_path: Path, fine_grained: None) -> None:
    """A FIFO has no size: counts rise with no total, and the last one is what came through."""
    text = edge_text(30_000)  # several times a pipe's buffer: read in several parts
    fifo = tmp_path / "edges.pipe"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("wb") as handle:
            for start in range(0, len(text), 4096):
                handle.write(text[start:start + 4096])
                handle.flush()

    writer = threading.Thread(target=feed)
    writer.start()
    events: list[ProgressEvent] = []
    try:
        loaded = load_edgelist(fifo, progress=events.append)
    finally:
        writer.join(timeout=30)
    done = [event.done for event in events]
    assert len(set(done)) >= 3, done
    assert done == sorted(done)
    assert all(event.total is None for event in events[:-1])
    assert events[-1].finished
    assert events[-1].done == events[-1].total == len(text) == loaded.source_bytes
    plain = tmp_path / "edges.txt"
    plain.write_bytes(text)
    assert same_graph(loaded.graph, load_edgelist(plain, cache=False).graph)


def test_a_cached_load_says_it_reads_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "graph.txt"
    path.write_bytes(edge_text(2_000))
    load_edgelist(path, cache_dir=tmp_path / "cache")
    events: list[ProgressEvent] = []
    loaded = load_edgelist(path, cache_dir=tmp_path / "cache", progress=events.append)
    assert loaded.from_cache
    assert events[-1].finished
    assert events[-1].label == "graph.txt from cache"
    assert events[-1].done == path.stat().st_size


# Bad input, and whether a watched load parses it in pieces before the error shows: always
# (compressed), with numba (a plain pair list), or never (the header alone tells, or a plain
# weighted file, which numpy reads whole).
BAD_INPUT = {
    "bad-id.txt": (b"1 2\n2 x\n3 1\n", "numba"),
    "late-comment.txt": (b"1 2\n2 3\n3 1 extra\n", "numba"),
    "weight-then-none.txt": (b"1 2 0.5\n2 3\n", "never"),
    "nan-weight.gz": (gzip.compress(b"1 2 0.5\n2 3 nan\n"), "always"),
    "truncated.gz": (gzip.compress(edge_text(2_000))[:-300], "always"),
    "not-gzip.gz": (b"1 2\n2 3\n", "never"),
    "empty.txt": (b"# only a header\n", "never"),
}


@pytest.mark.parametrize("name", list(BAD_INPUT))
def test_a_watched_load_fails_as_an_unwatched_one(
    tmp_path: Path, fine_grained: None, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Read in pieces, bad input still names the same file and line with the same words."""
    path = tmp_path / name
    data, in_pieces = BAD_INPUT[name]
    path.write_bytes(data)
    with pytest.raises(GraphFormatError) as unwatched:
        load_edgelist(path, cache=False)
    pieces: list[bytes] = []
    add = edgelist.PieceParser.add
    monkeypatch.setattr(edgelist.PieceParser, "add",
                        lambda parser, piece: pieces.append(piece) or add(parser, piece))
    with pytest.raises(GraphFormatError) as watched:
        load_edgelist(path, cache=False, progress=lambda event: None)
    assert str(watched.value) == str(unwatched.value)
    assert bool(pieces) == (in_pieces == "always" or (in_pieces == "numba"
                                                     and accelerate.numba_enabled()))


def test_bad_line_far_into_a_file_is_numbered_across_pieces(
    tmp_path: Path, fine_grained: None
) -> None:
    text = edge_text(5_000)
    path = tmp_path / "late.gz"
    path.write_bytes(gzip.compress(text + b"12 oops\n"))
    with pytest.raises(GraphFormatError) as error:
        load_edgelist(path, cache=False, progress=lambda event: None)
    assert error.value.line == text.count(b"\n") + 1


@pytest.mark.parametrize(("event", "shown"), [
    (ProgressEvent(LOAD, 0.0, 0, 200e6, label="big.txt"), ("loading", "big.txt 200.0 MB")),
    (ProgressEvent(LOAD, 2.0, 50e6, 200e6, label="big.txt"),
     ("loading", "big.txt 50.0/200.0 MB 25% at 25.0 MB/s, 0:06 left")),
    (ProgressEvent(LOAD, 100.0, 100e6, 400e6, label="big.txt.gz"),
     ("loading", "big.txt.gz 100.0/400.0 MB 25% at 1.0 MB/s, 5:00 left")),
    (ProgressEvent(LOAD, 2.0, 3e6, None, label="pipe"), ("loading", "pipe 3.0 MB at 1.5 MB/s")),
    (ProgressEvent(LOAD, 3.0, 200e6, 200e6, label="big.txt"),
     ("loading", "big.txt 200.0 MB read, building the graph")),
    (ProgressEvent(LOAD, 4.0, 200e6, 200e6, label="big.txt", finished=True),
     ("loaded", "big.txt 200.0 MB at 50.0 MB/s")),
    (ProgressEvent(LOAD, 1.0, 0, 0, label="rmat:20", finished=True), ("loaded", "rmat:20")),
], ids=["start", "known-size", "compressed", "stream", "all-read", "finished", "generated"])
def test_the_loading_line_shows_bytes_rate_share_and_time_left(
    event: ProgressEvent, shown: tuple[str, str]
) -> None:
    assert describe(event) == shown
