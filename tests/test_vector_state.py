"""Vector vertex states (``width`` > 1): same engine, k values per vertex and per mailbox entry."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import load_snap
from helpers_vector import ColumnMinimum, expected

import asapgraph
from asapgraph.engine import mailbox as mb
from asapgraph.engine.local import solve_local

WIDTH = 3


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("mode", ["bsp", "asap"])
def test_every_column_equals_its_reference(engines, workers: int, mode: str) -> None:
    graph = load_snap("ca-GrQc.txt")
    options = {"straggler": {1: 3.0}, "fan_in": 1} if mode == "asap" else {}
    result = asapgraph.run(ColumnMinimum(WIDTH), graph, engine=engines(workers), mode=mode,
                           chunks=2, **options)
    assert result.values.shape == (graph.n, WIDTH)
    assert np.array_equal(result.values, expected(graph, WIDTH))
    assert result.converged


def test_one_process_equals_the_reference() -> None:
    graph = load_snap("ca-GrQc.txt")
    solution = solve_local(ColumnMinimum(WIDTH), graph, chunks=3)
    assert solution.converged
    assert np.array_equal(solution.values, expected(graph, WIDTH))


def test_bytes_count_every_value_of_a_row(engines) -> None:
    """BSP's first superstep posts whole rows: the bytes grow with the width (8 per value)."""
    graph = load_snap("ca-GrQc.txt")
    sent = {}
    for width in (1, 4):
        stats = asapgraph.run(ColumnMinimum(width, max_iter=1), graph, engine=engines(2),
                              mode="bsp").stats
        sent[width] = stats.bytes
    entries = sum(box["entries"] for box in stats.mailboxes)
    assert sent[4] == 4 * 8 * entries
    assert sent[1] == 8 * entries


def test_a_delta_carries_each_changed_row_once() -> None:
    """Mailbox level: a row with two changed values costs one position and its whole row."""
    edge = mb.Edge(0, 0, 1, 0, 5)
    shared = {
        "mb_header": np.zeros((1, mb.HEADER_FIELDS), dtype=np.int64),
        "mb_meta": np.zeros((1, mb.SLOTS, mb.META_FIELDS), dtype=np.int64),
        "mb_values": np.zeros((mb.SLOTS * 5, WIDTH)),
        "mb_positions": np.zeros(mb.SLOTS * 5, dtype=np.int32),
        "mb_counters": np.zeros((1, mb.COUNTER_FIELDS), dtype=np.int64),
    }
    mb.header_init(shared["mb_header"])
    lock, bell = threading.Lock(), threading.Semaphore(0)
    sender = np.arange(5 * WIDTH, dtype=np.float64).reshape(5, WIDTH)
    outbox = mb.Outbox(edge, shared, np.arange(5), sender, lock, bell, "latest")
    inbox = mb.Inbox(edge, shared, np.arange(2, 7), lock, bell)
    receiver = np.zeros((7, WIDTH))
    receiver[2:] = sender
    sender[3, [0, 2]] = -1.0
    outbox.post(sender)
    assert inbox.take(receiver, "replace") == 1
    assert np.array_equal(receiver[2:], sender)
    assert shared["mb_counters"][0, mb.SENT_BYTES] == WIDTH * 8 + 4
    assert shared["mb_counters"][0, mb.RECV_BYTES] == WIDTH * 8 + 4


@pytest.mark.parametrize("mode", ["bsp", "asap"])
def test_mpi_moves_whole_rows(tmp_path, mode: str) -> None:
    """The MPI transport packs, sends and merges rows of ``width`` values alike."""
    from test_mpi import launch

    graph = load_snap("ca-GrQc.txt")
    script = tmp_path / "script.py"
    script.write_text(
        "import sys, numpy as np, asapgraph\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from helpers_vector import ColumnMinimum\n"
        "from conftest import load_snap\n"
        "from mpi4py import MPI\n"
        f"result = asapgraph.run(ColumnMinimum({WIDTH}), load_snap('ca-GrQc.txt'),\n"
        f"                       mode={mode!r}, chunks=2, transport='mpi')\n"
        "if MPI.COMM_WORLD.Get_rank() == 0:\n"
        "    np.save(sys.argv[1], result.values)\n"
    )
    outcome = launch(3, [str(script), str(tmp_path / "values.npy")])
    assert outcome.returncode == 0, outcome.stderr
    assert np.array_equal(np.load(tmp_path / "values.npy"), expected(graph, WIDTH))
