"""Fault suite, signals and liveness: Ctrl-C, SIGTERM, SIGHUP and SIGKILL of the command line,
stopped workers, stalls and --timeout.

Every case checks the exit status, the one line on stderr, that no worker is left in the process
table, and that nothing is left in /dev/shm (the arena is an anonymous memory file: it never has
a name there, at any instant, which the SIGKILL case samples while the run is set up and going).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers_engine import alive, as_in_a_terminal, children, proc_stat, shm_files

WORKERS = 3
WITHIN = 2.0  # seconds from Ctrl-C to the end of the run, whatever the workers' state
# Long enough to interrupt: worker 1 is 50x slower and the tolerance is out of reach.
LONG_RUN = ["run", "pagerank", "rmat:13", "--workers", str(WORKERS), "--mode", "bsp",
            "--straggler", "1:50", "--tol", "1e-300", "--max-iter", "100000"]


@contextmanager
def running_cli(tmp_path: Path, *extra: str) -> Iterator[subprocess.Popen]:
    """The CLI with its workers up; killed (with its workers) if the test leaves it running."""
    out = tmp_path / "ranks.tsv"
    cli = subprocess.Popen([sys.executable, "-m", "asapgraph", *LONG_RUN, "--out", str(out),
                            *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           preexec_fn=as_in_a_terminal)
    try:
        deadline = time.monotonic() + 30
        while len(children(cli.pid)) < WORKERS and time.monotonic() < deadline:
            assert cli.poll() is None, cli.communicate()
            time.sleep(0.02)
        assert len(children(cli.pid)) == WORKERS, "the CLI did not start its workers"
        yield cli
    finally:
        if cli.poll() is None:
            cli.kill()
        cli.communicate()


def worker_identities(pid: int) -> list[tuple[int, int]]:
    return [(child, stat[2]) for child in children(pid) if (stat := proc_stat(child))]


def wait_rounds(seconds: float = 0.8) -> None:
    time.sleep(seconds)  # the run gets going (rounds, mailboxes, barrier waits)


def assert_nothing_left(cli: subprocess.Popen, workers: list[tuple[int, int]],
                        tmp_path: Path) -> None:
    deadline = time.monotonic() + 2
    while any(alive(*w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(alive(*w) for w in workers)
    assert shm_files(cli.pid) == []
    assert list(tmp_path.iterdir()) == []  # no output, no temp file


@pytest.mark.parametrize(("signum", "status", "says"), [
    (signal.SIGINT, 130, "asapgraph: interrupted"),
    (signal.SIGTERM, 143, "asapgraph: terminated by SIGTERM"),
    (signal.SIGHUP, 129, "asapgraph: terminated by SIGHUP"),
])
def test_signal_ends_the_run_cleanly(tmp_path: Path, signum: int, status: int, says: str) -> None:
    with running_cli(tmp_path) as cli:
        workers = worker_identities(cli.pid)
        wait_rounds()
        cli.send_signal(signum)
        sent = time.monotonic()
        _, err = cli.communicate(timeout=30)
        took = time.monotonic() - sent
    assert cli.returncode == status, err
    assert err.strip() == says
    assert took <= WITHIN
    assert_nothing_left(cli, workers, tmp_path)


def test_ctrl_c_with_a_stopped_worker_ends_within_2s(tmp_path: Path) -> None:
    with running_cli(tmp_path) as cli:
        workers = worker_identities(cli.pid)
        wait_rounds()
        os.kill(workers[0][0], signal.SIGSTOP)
        time.sleep(0.3)  # the others now wait for it at the barrier (or hold its lock)
        cli.send_signal(signal.SIGINT)
        sent = time.monotonic()
        _, err = cli.communicate(timeout=30)
        took = time.monotonic() - sent
    assert cli.returncode == 130, err
    assert took <= WITHIN
    assert_nothing_left(cli, workers, tmp_path)


def test_stalled_worker_is_reported_and_timeout_fails(tmp_path: Path) -> None:
    with running_cli(tmp_path, "--stall-warning", "0.5", "--timeout", "3") as cli:
        workers = worker_identities(cli.pid)
        wait_rounds(0.3)
        stopped = workers[1][0]
        os.kill(stopped, signal.SIGSTOP)
        _, err = cli.communicate(timeout=30)
    assert cli.returncode == 1, err
    lines = err.strip().splitlines()
    assert any("has made no progress for" in line and "stopped" in line for line in lines), err
    assert lines[-1].startswith("asapgraph: error: the run did not finish within --timeout 3 s")
    assert "Traceback" not in err
    assert_nothing_left(cli, workers, tmp_path)


def test_sigkill_of_the_cli_leaves_no_segment_and_no_worker(tmp_path: Path) -> None:
    """From the arena's creation on, nothing has a name in /dev/shm: sample while it runs."""
    with running_cli(tmp_path) as cli:
        workers = worker_identities(cli.pid)
        for _ in range(20):
            assert shm_files(cli.pid) == []
            time.sleep(0.02)
        cli.send_signal(signal.SIGKILL)
        cli.communicate(timeout=30)
    assert cli.returncode == -signal.SIGKILL
    assert_nothing_left(cli, workers, tmp_path)
