"""The binary graph cache: hits, misses, invalidation, atomic writes, damage, speed."""

from __future__ import annotations

import gzip
import logging
import os
import time
from pathlib import Path

import numpy as np
import pytest

from asapgraph.graph import Graph
from asapgraph.io import load_edgelist, read_edgelist
from asapgraph.io.cache import (
    CacheEntry,
    cached_view,
    default_cache_dir,
    entry_folder,
    load_view,
    store_view,
)

TEXT = b"# Directed graph\r\n1 2\r\n2 3\r\n3 1\r\n3 3\r\n9007199254740993 1\r\n"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "g.txt"
    path.write_bytes(TEXT)
    return path


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache root, also the default one (nothing lands in ~/.cache)."""
    root = tmp_path / "cache"
    monkeypatch.setenv("ASAPGRAPH_CACHE", str(root))
    return root


def entries(root: Path) -> list[Path]:
    return sorted(root.iterdir()) if root.exists() else []


def same_graph(a: Graph, b: Graph) -> bool:
    arrays = [(a.indptr, b.indptr), (a.indices, b.indices), (a.ids, b.ids)]
    if a.weighted or b.weighted:
        arrays.append((a.weights, b.weights))
    return a.directed == b.directed and all(
        x.dtype == y.dtype and np.array_equal(x, y) for x, y in arrays
    )


def test_miss_then_hit(source: Path, cache_dir: Path) -> None:
    first = load_edgelist(source)
    assert not first.from_cache
    assert len(entries(cache_dir)) == 1
    second = load_edgelist(source)
    assert second.from_cache
    assert second.source_bytes == source.stat().st_size
    assert same_graph(first.graph, second.graph)
    assert same_graph(second.graph, read_edgelist(source, cache=False))
    assert second.graph.ids[-1] == 9007199254740993


def test_hit_arrays_are_memory_mapped_and_read_only(source: Path, cache_dir: Path) -> None:
    load_edgelist(source)
    graph = load_edgelist(source).graph
    for array in (graph.indptr, graph.indices, graph.ids):
        assert isinstance(array.base, np.memmap)
        assert not array.flags.writeable


def test_weights_and_direction_are_cached(tmp_path: Path, cache_dir: Path) -> None:
    path = tmp_path / "w.txt.gz"
    path.write_bytes(gzip.compress(b"# Undirected graph\n1 2 0.5\n2 3 1.5\n1 2 4.0\n"))
    first = read_edgelist(path)
    loaded = load_edgelist(path)
    assert loaded.from_cache
    assert not loaded.graph.directed
    assert same_graph(first, loaded.graph)
    assert loaded.graph.weights.tolist() == first.weights.tolist()


def test_options_are_part_of_the_key(source: Path, cache_dir: Path) -> None:
    default = load_edgelist(source)
    undirected = load_edgelist(source, directed=False)
    no_loops = load_edgelist(source, drop_self_loops=True)
    assert [default.from_cache, undirected.from_cache, no_loops.from_cache] == [False] * 3
    assert len(entries(cache_dir)) == 3
    assert load_edgelist(source, directed=False).graph.directed is False
    assert load_edgelist(source, drop_self_loops=True).graph.self_loops == 0
    assert load_edgelist(source).graph.self_loops == 1


def test_changed_source_misses_and_prunes_the_stale_entry(source: Path, cache_dir: Path) -> None:
    load_edgelist(source)
    before = entries(cache_dir)
    source.write_bytes(TEXT + b"4 5\r\n")
    changed = load_edgelist(source)
    assert not changed.from_cache
    assert 4 in changed.graph.ids.tolist()
    after = entries(cache_dir)
    assert len(after) == 1
    assert after != before
    assert load_edgelist(source).from_cache


def test_same_size_new_mtime_misses(source: Path, cache_dir: Path) -> None:
    load_edgelist(source)
    source.write_bytes(TEXT.replace(b"2 3", b"2 4"))
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    graph = load_edgelist(source)
    assert not graph.from_cache
    assert 4 in graph.graph.ids.tolist()


def test_no_cache_bypasses(source: Path, cache_dir: Path) -> None:
    assert not load_edgelist(source, cache=False).from_cache
    assert not cache_dir.exists()
    load_edgelist(source)
    assert not load_edgelist(source, cache=False).from_cache


def test_cache_dir_argument_and_default(source: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = tmp_path / "explicit"
    load_edgelist(source, cache_dir=explicit)
    assert load_edgelist(source, cache_dir=str(explicit)).from_cache
    monkeypatch.delenv("ASAPGRAPH_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "asapgraph" / "graphs"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "asapgraph" / "graphs"


def test_interrupted_write_leaves_no_entry(source: Path, cache_dir: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    real_save = np.save

    def save_then_die(file: Path, array: np.ndarray, **kwargs: object) -> None:
        real_save(file, array, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        load_edgelist(source)
    assert entries(cache_dir) == []  # neither an entry nor its temp folder
    monkeypatch.setattr(np, "save", real_save)
    assert not load_edgelist(source).from_cache
    assert load_edgelist(source).from_cache


def test_damaged_entry_is_rebuilt(source: Path, cache_dir: Path,
                                  caplog: pytest.LogCaptureFixture) -> None:
    load_edgelist(source)
    (indices,) = cache_dir.glob("*/indices.npy")
    indices.write_bytes(indices.read_bytes()[:-8])
    with caplog.at_level(logging.WARNING):
        again = load_edgelist(source)
    assert not again.from_cache
    assert "damaged graph cache" in caplog.text
    assert same_graph(again.graph, read_edgelist(source, cache=False))
    assert load_edgelist(source).from_cache


def test_unwritable_cache_still_loads(source: Path, tmp_path: Path,
                                      caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING):
        loaded = load_edgelist(source, cache_dir=blocker / "cache")
    assert loaded.graph.n == 4
    assert "could not write the graph cache" in caplog.text


def test_source_changed_while_reading_is_not_stored(source: Path, cache_dir: Path) -> None:
    entry = CacheEntry.for_source(source, {"directed": None, "drop_self_loops": False})
    graph = read_edgelist(source, cache=False)
    source.write_bytes(TEXT + b"7 8\n")
    entry.store(graph)
    assert entries(cache_dir) == []


def test_second_load_at_least_20x_faster(tmp_path: Path, cache_dir: Path) -> None:
    rng = np.random.default_rng(3)
    edges = rng.integers(0, 200_000, size=(600_000, 2))
    path = tmp_path / "big.txt"
    np.savetxt(path, edges, fmt="%d", delimiter="\t", header="Directed graph", newline="\r\n")
    began = time.perf_counter()
    first = load_edgelist(path)
    first_seconds = time.perf_counter() - began
    cached = []
    for _ in range(5):
        began = time.perf_counter()
        assert load_edgelist(path).from_cache
        cached.append(time.perf_counter() - began)
    assert first_seconds >= 20 * min(cached), (first_seconds, cached)
    assert same_graph(first.graph, load_edgelist(path).graph)


# ---------------------------------------------------------------- derived views (pull matrices)
WEIGHTED = b"# Directed graph\n1 2 0.5\n2 3 1.5\n3 1 2.0\n3 2 4.0\n4 4 1.0\n"


@pytest.fixture
def weighted_source(tmp_path: Path) -> Path:
    path = tmp_path / "w.txt"
    path.write_bytes(WEIGHTED)
    return path


@pytest.mark.parametrize("view", ["transpose", "symmetric"])
def test_view_is_built_once_then_mapped(weighted_source: Path, cache_dir: Path,
                                        view: str) -> None:
    read_edgelist(weighted_source)
    graph = read_edgelist(weighted_source)  # mapped from the entry
    assert entry_folder(graph) is not None
    first, how = cached_view(graph, view)
    assert how == "stored"
    assert view not in vars(graph)  # the built copy was not kept on the graph
    second, how = cached_view(graph, view)
    assert how == "cache"
    expected = getattr(read_edgelist(weighted_source, cache=False), view)
    for loaded in (first, second):
        assert same_graph(loaded, expected)
        assert loaded.weighted == expected.weighted
        assert isinstance(loaded.indices.base, np.memmap)
        assert not loaded.indices.flags.writeable


def test_one_stored_transpose_serves_weighted_and_unweighted(weighted_source: Path,
                                                             cache_dir: Path) -> None:
    read_edgelist(weighted_source)
    graph = read_edgelist(weighted_source)
    unweighted, how = cached_view(graph, "transpose", weighted=False)
    assert how == "stored"
    assert same_graph(unweighted, graph.unweighted.transpose)
    assert not unweighted.weighted
    weighted, how = cached_view(graph, "transpose")
    assert how == "cache"
    assert weighted.weights.tolist() == graph.transpose.weights.tolist()


def test_views_without_an_entry(weighted_source: Path, cache_dir: Path) -> None:
    """A graph built in memory has no entry: the view is built, as graph.transpose would."""
    graph = read_edgelist(weighted_source, cache=False)
    assert entry_folder(graph) is None
    matrix, how = cached_view(graph, "symmetric")
    assert how == "built"
    assert matrix is graph.symmetric
    undirected = Graph.from_edges([1, 2], [2, 3], directed=False)
    assert cached_view(undirected, "transpose") == (undirected, "graph")
    assert not entries(cache_dir)


def test_views_go_with_their_entry(weighted_source: Path, cache_dir: Path) -> None:
    read_edgelist(weighted_source)
    cached_view(read_edgelist(weighted_source), "transpose")
    (old,) = entries(cache_dir)
    assert (old / "views" / "transpose" / "indices.npy").exists()
    weighted_source.write_bytes(WEIGHTED + b"5 1 1.0\n")
    read_edgelist(weighted_source)
    (new,) = entries(cache_dir)
    assert new != old
    assert not old.exists()
    matrix, how = cached_view(read_edgelist(weighted_source), "transpose")
    assert how == "stored"  # the new version's transpose, not the old one's
    assert same_graph(matrix, read_edgelist(weighted_source, cache=False).transpose)


def test_concurrent_writers_keep_one_view(weighted_source: Path, cache_dir: Path) -> None:
    """A writer that loses the rename race succeeds without touching the winner's view."""
    read_edgelist(weighted_source)
    graph = read_edgelist(weighted_source)
    folder = entry_folder(graph)
    assert store_view(folder, "transpose", graph.transpose)
    winner = (folder / "views" / "transpose" / "indices.npy").stat().st_mtime_ns
    assert store_view(folder, "transpose", graph.transpose)  # the loser
    assert (folder / "views" / "transpose" / "indices.npy").stat().st_mtime_ns == winner
    assert [p.name for p in (folder / "views").iterdir()] == ["transpose"]  # no temp left
    assert same_graph(load_view(folder, "transpose"), graph.transpose)


def test_damaged_view_is_rebuilt(weighted_source: Path, cache_dir: Path,
                                 caplog: pytest.LogCaptureFixture) -> None:
    read_edgelist(weighted_source)
    graph = read_edgelist(weighted_source)
    cached_view(graph, "transpose")
    (entry_folder(graph) / "views" / "transpose" / "indices.npy").write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING):
        matrix, how = cached_view(graph, "transpose")
    assert how == "stored"
    assert "damaged view cache" in caplog.text
    assert same_graph(matrix, graph.transpose)
