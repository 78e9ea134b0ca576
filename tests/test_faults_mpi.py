"""Fault suite, MPI: MPICH's shared-memory segments lose their names as soon as every rank has
mapped them, so Ctrl-C, SIGTERM, a failed rank (or SIGKILL) leave nothing in /dev/shm.

MPICH itself removes them only in MPI_Finalize; the ranks' own /proc maps show that, while the
job runs, no segment of theirs has a name left.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers_engine import as_in_a_terminal, children
from test_mpi import mpiexec

LONG_RUN = ["run", "pagerank", "rmat:12", "--straggler", "1:50", "--tol", "1e-300",
            "--max-iter", "100000", "--transport", "mpi", "--ingest", "whole"]
RANKS = 2


def rank_pids(launcher: int) -> list[int]:
    """The python ranks under mpiexec (mpiexec -> hydra proxy -> ranks)."""
    return [rank for proxy in children(launcher) for rank in children(proxy)]


def named_segments(pid: int) -> set[str]:
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except FileNotFoundError:
        return set()
    return {line.split()[-1] for line in maps.splitlines()
            if "/dev/shm/mpich_shm_" in line and not line.endswith("(deleted)")}


@pytest.mark.parametrize(("signum", "says"), [
    (signal.SIGINT, "asapgraph: interrupted, ending the MPI job"),
    (signal.SIGTERM, ""),
])
def test_interrupted_job_leaves_no_named_segment(signum: int, says: str) -> None:
    launcher = subprocess.Popen([mpiexec(), "-n", str(RANKS), sys.executable, "-m", "asapgraph",
                                 *LONG_RUN], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True, preexec_fn=as_in_a_terminal)
    try:
        deadline, ranks = time.monotonic() + 60, []
        while time.monotonic() < deadline:  # the run is under way once rank 0 mapped its rows
            ranks = rank_pids(launcher.pid)
            if len(ranks) == RANKS and launcher.poll() is None:
                time.sleep(3)
                break
            time.sleep(0.1)
        assert len(ranks) == RANKS, launcher.communicate()
        assert all(named_segments(rank) == set() for rank in ranks)
        launcher.send_signal(signum)
        _, err = launcher.communicate(timeout=30)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.communicate()
    assert launcher.returncode != 0
    assert says in err
    assert "Traceback" not in err
    assert rank_pids(launcher.pid) == []
