"""Shared helpers of the engine tests: cached networkx references, process and /dev/shm checks."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import numpy as np

from asapgraph import Graph
from asapgraph.partition import Partitioning

ACCURACY = 1e-6  # L1 distance to networkx the engine must reach at tol=1e-10
SHM_DIR = Path("/dev/shm")
WORKER_COUNTS = (1, 2, 4, 7)


def as_in_a_terminal() -> None:
    """``preexec_fn``: SIGINT handled by default, as in a foreground job that Ctrl-C reaches.

    A test run started as a background job inherits SIGINT ignored (POSIX), and Python keeps an
    ignored SIGINT ignored: the child would never see the Ctrl-C the test sends.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def configurations() -> list[dict]:
    """Every (workers, mode, fan_in, straggler) worth running; fan_in means nothing in BSP."""
    configs = []
    for workers, mode, fan_in, straggler in itertools.product(
        WORKER_COUNTS, ("bsp", "asap"), (None, 1), (None, {1: 3.0})
    ):
        if (mode == "bsp" and fan_in is not None) or (workers == 1 and straggler):
            continue
        configs.append({"workers": workers, "mode": mode, "fan_in": fan_in,
                        "straggler": straggler})
    return configs


CONFIGS = configurations()


def label(config: dict) -> str:
    """A short test id for a configuration, e.g. ``P4-asap-fan1-straggler``."""
    fan_in = "all" if config["fan_in"] is None else config["fan_in"]
    slow = "-straggler" if config["straggler"] else ""
    return f"P{config['workers']}-{config['mode']}-fan{fan_in}{slow}"


_REFERENCES: dict[int, tuple[Graph, np.ndarray]] = {}


def reference(graph: Graph) -> np.ndarray:
    """networkx PageRank (tol 1e-12) as an array in ``graph.ids`` order, computed once."""
    key = id(graph)
    if key not in _REFERENCES:
        ranks = nx.pagerank(graph.to_networkx(), tol=1e-12, max_iter=10_000)
        # The graph is kept with its reference so that its id cannot be reused.
        _REFERENCES[key] = (graph, np.array([ranks[v] for v in graph.ids.tolist()]))
    return _REFERENCES[key][1]


def l1(values: np.ndarray, expected: np.ndarray) -> float:
    """L1 distance of two vectors."""
    return float(np.abs(np.asarray(values) - expected).sum())


def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, start time) of a live process, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may contain spaces
    return fields[0], int(fields[1]), int(fields[19])


def children(ppid: int | None = None) -> set[int]:
    """Pids whose parent is ``ppid`` (default: this process), zombies included."""
    ppid = os.getpid() if ppid is None else ppid
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = proc_stat(int(entry))
            if stat is not None and stat[1] == ppid:
                found.add(int(entry))
    return found


def alive(pid: int, start: int) -> bool:
    """Whether the process ``pid`` that started at ``start`` still exists (pid reuse aside)."""
    stat = proc_stat(pid)
    return stat is not None and stat[2] == start


def shm_files(pid: int | None = None) -> list[str]:
    """Arena names left in /dev/shm by the engine of process ``pid`` (default: this one)."""
    pid = os.getpid() if pid is None else pid
    return sorted(p.name for p in SHM_DIR.glob(f"asapgraph-{pid}-*"))


class RunTimeoutError(Exception):
    """A run outlived its watchdog."""


@contextlib.contextmanager
def watchdog(seconds: float, what: str) -> Iterator[None]:
    """Raise :class:`RunTimeoutError` in the main thread if the block lasts over ``seconds``.

    The engine treats it like any interruption: it aborts the run and stops its workers.
    """

    def fire(signum: int, frame: object) -> None:
        raise RunTimeoutError(f"{what} still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def banded_graph(n: int = 3000, seed: int = 1) -> Graph:
    """Edges to the next few vertices plus 2% long links (sparse ids: 7·i + 3).

    Contiguous parts then feed only a handful of other parts, whatever their number.
    """
    rng = np.random.default_rng(seed)
    src = np.repeat(np.arange(n), 3)
    dst = (src + np.tile([1, 2, 5], n)) % n
    far = rng.random(src.size) < 0.02
    dst[far] = rng.integers(0, n, int(far.sum()))
    return Graph.from_edges(7 * src + 3, 7 * dst + 3)


def assert_same_partitioning(got: Partitioning, expected: Partitioning) -> None:
    """Equal cut, rows, ghosts and pack lists, part by part."""
    for name in ("order", "bounds", "owner"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name))
    assert len(got.parts) == len(expected.parts)
    for mine, theirs in zip(got.parts, expected.parts, strict=True):
        assert (mine.index, mine.n_total) == (theirs.index, theirs.n_total)
        for name in ("vertices", "indptr", "indices", "ghosts"):
            np.testing.assert_array_equal(getattr(mine, name), getattr(theirs, name))
        assert (mine.weights is None) == (theirs.weights is None)
        if mine.weights is not None:
            np.testing.assert_array_equal(mine.weights, theirs.weights)
        for lists in ("recv", "send"):
            a, b = getattr(mine, lists), getattr(theirs, lists)
            assert sorted(a) == sorted(b)
            for q in a:
                np.testing.assert_array_equal(a[q], b[q])
