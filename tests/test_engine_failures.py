"""Failures end a run promptly and leave nothing behind: killed or raising workers, Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers_engine import (
    alive,
    as_in_a_terminal,
    banded_graph,
    children,
    proc_stat,
    shm_files,
    watchdog,
)

import asapgraph
from asapgraph.algorithms.pagerank import PageRank
from asapgraph.engine.arena import Arena

FAIL_WITHIN = 2.0  # seconds from the failure to the error in the parent


class ExplodingPageRank(PageRank):
    """PageRank whose step raises on worker 1 (module level: programs are pickled)."""

    def step(self, block, values, chunk):
        if block.index == 1:
            raise RuntimeError("injected failure in the test program")
        return super().step(block, values, chunk)


def assert_nothing_left(engine: asapgraph.Engine, before: set[int], workers) -> None:
    """No worker process, no child of this process that was not there before, no arena file."""
    assert engine._processes == []
    assert not any(alive(pid, start) for pid, start in workers)
    assert children() - before == set()
    assert shm_files() == []


def worker_identities(engine: asapgraph.Engine) -> list[tuple[int, int]]:
    """(pid, start time) of each worker, to tell them from a later process with the same pid."""
    return [(p.pid, proc_stat(p.pid)[2]) for p in engine._processes]


@pytest.mark.parametrize(("mode", "victim"), [("bsp", 1), ("asap", 2)])
def test_killed_worker_fails_the_run(mode: str, victim: int) -> None:
    graph = banded_graph()
    before = children()
    engine = asapgraph.Engine(3)
    engine.start()
    workers = worker_identities(engine)
    killed_at: list[float] = []

    def kill() -> None:
        killed_at.append(time.monotonic())
        os.kill(engine._processes[victim].pid, signal.SIGKILL)

    timer = threading.Timer(0.5, kill)
    delays = dict.fromkeys(range(3), 0.1)  # rounds of up to 0.1 s: the run lasts seconds
    try:
        timer.start()
        with watchdog(30, "killed-worker run"), pytest.raises(asapgraph.WorkerError) as caught:
            asapgraph.pagerank(graph, tol=1e-12, engine=engine, mode=mode, round_delay=delays)
        failed_at = time.monotonic()
    finally:
        timer.cancel()
        engine.close()
    assert killed_at, "the run ended before the worker was killed"
    assert failed_at - killed_at[0] <= FAIL_WITHIN
    assert f"worker {victim}" in str(caught.value)
    assert "SIGKILL" in str(caught.value)
    assert caught.value.worker == victim
    assert_nothing_left(engine, before, workers)


def test_worker_killed_between_runs() -> None:
    graph = banded_graph(600)
    before = children()
    engine = asapgraph.Engine(3)
    try:
        assert asapgraph.pagerank(graph, engine=engine).converged
        workers = worker_identities(engine)
        engine._processes[2].kill()
        engine._processes[2].join(1.0)
        with watchdog(30, "run on a dead worker"), pytest.raises(asapgraph.WorkerError) as caught:
            asapgraph.pagerank(graph, engine=engine)
    finally:
        engine.close()
    assert str(caught.value) == "worker 2 was killed by SIGKILL"
    assert_nothing_left(engine, before, workers)


def test_engine_runs_again_after_a_failure() -> None:
    graph = banded_graph(600)
    before = children()
    engine = asapgraph.Engine(2)
    try:
        with pytest.raises(asapgraph.WorkerError, match="worker 1"):
            asapgraph.run(ExplodingPageRank(), graph, engine=engine)
        assert not engine.running
        result = asapgraph.pagerank(graph, tol=1e-10, engine=engine, mode="asap")
        assert result.converged
        workers = worker_identities(engine)
    finally:
        engine.close()
    assert_nothing_left(engine, before, workers)


@pytest.mark.parametrize("mode", ["bsp", "asap"])
def test_worker_exception_carries_its_traceback(mode: str) -> None:
    graph = banded_graph(600)
    before = children()
    engine = asapgraph.Engine(3)
    engine.start()
    workers = worker_identities(engine)
    try:
        with watchdog(30, "raising run"), pytest.raises(asapgraph.WorkerError) as caught:
            asapgraph.run(ExplodingPageRank(), graph, engine=engine, mode=mode)
    finally:
        engine.close()
    message = str(caught.value)
    assert caught.value.worker == 1
    assert message.startswith("worker 1 ")
    assert "Traceback (most recent call last)" in message
    assert "in step" in message
    assert "RuntimeError: injected failure in the test program" in message
    assert_nothing_left(engine, before, workers)


def write_graph(path: Path, n: int = 100_000, m: int = 500_000) -> None:
    """A random edge list big enough that a 50x straggler makes the run last seconds."""
    edges = np.random.default_rng(3).integers(0, n, size=2 * m).tolist()
    path.write_text("# Directed graph: test\n" + ("%d\t%d\n" * m) % tuple(edges))


def test_ctrl_c_on_the_cli(tmp_path: Path) -> None:
    graph, out = tmp_path / "graph.txt", tmp_path / "ranks.tsv"
    write_graph(graph)
    command = [sys.executable, "-m", "asapgraph", "run", "pagerank", str(graph), "--workers", "3",
               "--mode", "asap", "--straggler", "1:50", "--tol", "1e-14", "--out", str(out),
               "--no-cache"]
    started = time.monotonic()
    cli = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           preexec_fn=as_in_a_terminal)
    try:
        workers: set[int] = set()
        while len(workers) < 3 and time.monotonic() - started < 30:
            assert cli.poll() is None, cli.communicate()
            workers = children(cli.pid)
            time.sleep(0.05)
        assert len(workers) == 3, "the CLI did not start its workers"
        time.sleep(max(0.3, 1.5 - (time.monotonic() - started)))  # let the run get going
        identities = [(pid, stat[2]) for pid in children(cli.pid) if (stat := proc_stat(pid))]
        assert len(identities) == 3
        assert cli.poll() is None, "the run ended before Ctrl-C"
        cli.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        _, stderr = cli.communicate(timeout=FAIL_WITHIN)
        took = time.monotonic() - interrupted
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.communicate()
    assert cli.returncode == 130, stderr
    assert took <= FAIL_WITHIN
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.txt"]  # no .ranks.tsv.*.part
    assert not any(alive(pid, start) for pid, start in identities)
    assert children(cli.pid) == set()
    assert shm_files(cli.pid) == []


def test_arena_has_no_name_to_leak() -> None:
    """The segment is an anonymous memory file: no name in /dev/shm or any file system, reached
    only through the owner's descriptor in /proc (the same user only), gone when it closes."""
    specs = {"x": (np.float64, (10,))}
    first, second = Arena.create(specs), Arena.create(specs)
    try:
        paths = [Path(first.layout.path), Path(second.layout.path)]
        for path in paths:
            assert re.fullmatch(rf"/proc/{os.getpid()}/fd/\d+", str(path))
            assert path.stat().st_nlink == 0  # linked nowhere
            assert path.stat().st_uid == os.getuid()
            assert os.readlink(path).startswith(f"/memfd:asapgraph-{os.getpid()}")
        assert paths[0] != paths[1]
        assert shm_files() == []
    finally:
        first.close()
        second.close()
    assert not any(path.exists() for path in paths)


def test_an_engine_left_open_does_not_hang_the_interpreter_at_exit() -> None:
    """Workers ignore SIGTERM, which multiprocessing's exit hook sends; the engine stops them."""
    script = ("import asapgraph, numpy as np; engine = asapgraph.Engine(2)\n"
              "graph = asapgraph.Graph.from_edges(np.array([0, 1, 2]), np.array([1, 2, 0]))\n"
              "asapgraph.pagerank(graph, engine=engine)\n"  # the workers are up and ignore TERM
              "print('up')")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=30)
    assert (done.returncode, done.stdout.strip()) == (0, "up"), done.stderr
