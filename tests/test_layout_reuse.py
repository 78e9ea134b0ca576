"""Setup once, reuse many times: an engine keeps its partition between runs on one graph, and a
graph from the binary cache keeps its partitions beside it (``asapgraph/engine/layout.py``).

Asserted on counters and on where a layout came from (``RunStats.layout``), never on time.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from helpers_engine import assert_same_partitioning, banded_graph, shm_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asapgraph import Engine, read_edgelist
from asapgraph.algorithms.components import ConnectedComponents
from asapgraph.algorithms.label_propagation import LabelPropagation
from asapgraph.algorithms.pagerank import PageRank
from asapgraph.engine.layout import lay_out_static
from asapgraph.errors import WorkerError
from asapgraph.partition import partition

TOL = 1e-10


def write_edges(path: Path, src, dst, weights=None) -> Path:
    """An edge list file, one ``u v [w]`` line per edge."""
    columns = [src, dst] if weights is None else [src, dst, weights]
    lines = ("\t".join(str(value) for value in row) for row in zip(*columns, strict=True))
    path.write_text("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------- one engine, several runs
def test_engine_reuses_its_layout_and_gives_the_fresh_layouts_result() -> None:
    graph = banded_graph(2000)
    with Engine(2) as engine:
        first = engine.run(PageRank(tol=TOL), graph)
        again = engine.run(PageRank(tol=TOL), graph)
        assert engine.layouts_made == 1
        assert (first.stats.layout, again.stats.layout) == ("built", "engine")
        # Another view of the same graph (CC pulls the symmetrised graph): a new layout.
        components = engine.run(ConnectedComponents(), graph)
        assert components.stats.layout == "built"
        assert engine.layouts_made == 2
    with Engine(2) as fresh:
        expected = fresh.run(PageRank(tol=TOL), graph)
    np.testing.assert_array_equal(again.state, expected.state)  # BSP: the same supersteps
    np.testing.assert_array_equal(first.state, expected.state)
    assert shm_files() == []


def test_reuse_follows_graph_order_and_mode() -> None:
    graph, other = banded_graph(1500, seed=1), banded_graph(1500, seed=2)
    with Engine(3) as engine:
        engine.run(LabelPropagation(seed=3), graph, seed=3)
        engine.run(LabelPropagation(seed=3), graph, seed=3, mode="asap")
        assert engine.layouts_made == 1  # the mode is not part of the layout
        engine.run(LabelPropagation(seed=3), graph, seed=3, order="degree")
        assert engine.layouts_made == 2
        engine.run(LabelPropagation(seed=3), other, seed=3, order="degree")
        assert engine.layouts_made == 3
        given = partition(graph.symmetric, 3)
        engine.run(ConnectedComponents(), graph, partitioning=given)
        engine.run(ConnectedComponents(), graph, partitioning=given)
        assert engine.layouts_made == 4
        engine.run(ConnectedComponents(), graph, partitioning=partition(graph.symmetric, 3))
        assert engine.layouts_made == 5
    assert shm_files() == []


class FailingPageRank(PageRank):
    """PageRank whose step raises on worker 1 (module level: programs are pickled)."""

    def step(self, block, values, chunk):
        if block.index == 1:
            raise RuntimeError("injected failure")
        return super().step(block, values, chunk)


def memfds(pid: int) -> set[int]:
    """The anonymous memory files (arenas) process ``pid`` holds open, by inode (Python's mmap
    keeps a descriptor of its own beside the owner's)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd).startswith("/memfd:asapgraph-"):
                inodes.add(fd.stat().st_ino)
        except FileNotFoundError:  # closed meanwhile
            continue
    return inodes


def mapped_memfds(pid: int) -> set[int]:
    """The arenas process ``pid`` has mapped, by inode."""
    lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
    return {int(line.split()[4]) for line in lines if "/memfd:asapgraph-" in line}


def test_a_failed_run_keeps_the_layout_only_when_nothing_was_laid_out() -> None:
    graph = banded_graph(800)
    with Engine(2) as engine:
        engine.run(PageRank(tol=TOL), graph)
        with pytest.raises(ValueError):
            engine.run(PageRank(tol=TOL), graph, mode="nonsense")
        again = engine.run(PageRank(tol=TOL), graph)
        assert again.stats.layout == "engine"  # bad settings fail before anything is laid out
        with pytest.raises(WorkerError):  # a run on the kept layout fails: it is dropped
            engine.run(FailingPageRank(tol=TOL), graph)
        assert memfds(os.getpid()) == set()
        after = engine.run(PageRank(tol=TOL), graph)
        assert (after.stats.layout, engine.layouts_made) == ("built", 2)
        np.testing.assert_array_equal(after.state, again.state)
    assert shm_files() == []


def test_kept_layout_is_an_anonymous_file_held_until_close() -> None:
    """The engine holds the kept layout's descriptor, the workers keep it mapped, and it never
    has a name in /dev/shm; close releases it."""
    graph = banded_graph(1000)
    engine = Engine(2)
    try:
        engine.run(PageRank(tol=TOL), graph)
        held = memfds(os.getpid())
        assert len(held) == 1  # the kept layout; the run's arena is gone with its run
        assert held == {engine._static.arena.layout.identity[1]}
        for process in engine._processes:
            assert held <= mapped_memfds(process.pid)
        assert shm_files() == []
        engine.run(PageRank(tol=TOL), graph)
        assert memfds(os.getpid()) == held  # the same file, reused
    finally:
        engine.close()
    assert memfds(os.getpid()) == set()
    assert shm_files() == []


# ---------------------------------------------------------------- partitions in the graph cache
@st.composite
def edge_lists(draw):
    """Random edges (sparse ids), directed or not, weighted or not, and a partition request."""
    n = draw(st.integers(2, 30))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          min_size=1, max_size=4 * n))
    src, dst = (np.array(side, dtype=np.int64) * 3 + 1 for side in zip(*pairs, strict=True))
    weights = None
    if draw(st.booleans()):
        weights = np.round(np.array(draw(st.lists(st.floats(0.5, 4.0), min_size=len(pairs),
                                                  max_size=len(pairs)))), 3)
    return (src, dst, weights, draw(st.booleans()), draw(st.integers(1, 4)),
            draw(st.sampled_from(["none", "degree", "random"])), draw(st.integers(0, 3)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edge_lists(), st.sampled_from(["pagerank", "unweighted pagerank", "cc"]))
def test_a_cached_partition_equals_a_fresh_one(case, algorithm) -> None:
    src, dst, weights, directed, parts, order, seed = case
    program = {"pagerank": PageRank(), "unweighted pagerank": PageRank(weighted=False),
               "cc": ConnectedComponents()}[algorithm]
    with tempfile.TemporaryDirectory() as folder:
        path = write_edges(Path(folder) / "g.txt", src, dst, weights)
        graph = read_edgelist(path, directed=directed, cache_dir=Path(folder) / "cache")
        expected = partition(program.matrix(graph), parts, order=order, seed=seed)
        stored = lay_out_static(program, graph, parts, order=order, seed=seed)
        cached = lay_out_static(program, graph, parts, order=order, seed=seed)
        try:
            assert (stored.source, cached.source) == ("stored", "cache")
            assert_same_partitioning(stored.partitioning, expected)
            assert_same_partitioning(cached.partitioning, expected)
            assert not cached.partitioning.parts[0].indices.flags.writeable  # mapped read-only
        finally:
            stored.close()
            cached.close()


def test_a_changed_graph_file_misses_its_old_partition(tmp_path: Path) -> None:
    path = write_edges(tmp_path / "g.txt", [1, 2, 3, 4], [2, 3, 4, 1])
    cache_dir = tmp_path / "cache"
    program = PageRank()
    graph = read_edgelist(path, cache_dir=cache_dir)
    lay_out_static(program, graph, 2).close()
    assert lay_out_static(program, graph, 2).source == "cache"
    write_edges(path, [1, 2, 3, 4, 5], [2, 3, 4, 1, 1])
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    changed = read_edgelist(path, cache_dir=cache_dir)
    layout = lay_out_static(program, changed, 2)
    try:
        assert layout.source == "stored"
        assert_same_partitioning(layout.partitioning, partition(changed.transpose, 2))
        assert layout.partitioning.parts[0].n_total == 5
    finally:
        layout.close()


def test_a_damaged_partition_is_rebuilt(tmp_path: Path) -> None:
    path = write_edges(tmp_path / "g.txt", [1, 2, 3, 4, 2], [2, 3, 4, 1, 4])
    graph = read_edgelist(path, cache_dir=tmp_path / "cache")
    lay_out_static(ConnectedComponents(), graph, 2).close()
    (meta,) = (tmp_path / "cache").glob("*/partitions/*/meta.json")
    meta.write_text("{not json")
    layout = lay_out_static(ConnectedComponents(), graph, 2)
    try:
        assert layout.source == "stored"
        assert_same_partitioning(layout.partitioning, partition(graph.symmetric, 2))
    finally:
        layout.close()


def test_engine_runs_from_a_cached_partition_equal_to_a_fresh_one(tmp_path: Path) -> None:
    source = banded_graph(3000)
    rows = np.repeat(np.arange(source.n), source.out_degree)
    path = write_edges(tmp_path / "g.txt", source.ids[rows], source.ids[source.indices])
    graph = read_edgelist(path, cache_dir=tmp_path / "cache")
    results = []
    for _ in range(2):  # two engines: the second maps what the first stored
        with Engine(2) as engine:
            run = engine.run(PageRank(tol=TOL), graph)
            results.append((run.stats.layout, run.state))
    assert [layout for layout, _ in results] == ["stored", "cache"]
    with Engine(2) as engine:
        expected = engine.run(PageRank(tol=TOL), graph,
                              partitioning=partition(graph.transpose, 2)).state
    for _, state in results:
        np.testing.assert_array_equal(state, expected)
    assert shm_files() == []
