"""Shared pieces of the fault suite (tests/test_faults_*.py): run the CLI, read its one line, and
check that nothing is left behind (files beside an output, /dev/shm segments, processes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers_engine import as_in_a_terminal

TIMEOUT = 60  # seconds a CLI run of the fault suite may take before the test calls it a hang

EDGES = "".join(f"{u}\t{v}\n" for u, v in
                [(1, 2), (2, 3), (3, 1), (3, 4), (4, 5), (5, 3), (6, 1), (2, 6), (7, 7)])


def cli(*args: str, env: dict[str, str] | None = None, stdin: int | None = None,
        timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """``python -m asapgraph args...`` with SIGINT handled (see ``as_in_a_terminal``)."""
    return subprocess.run(
        [sys.executable, "-m", "asapgraph", *args], capture_output=True, text=True, check=False,
        env={**os.environ, **(env or {})}, stdin=stdin, timeout=timeout,
        preexec_fn=as_in_a_terminal,
    )


def error_line(result: subprocess.CompletedProcess) -> str:
    """The single ``asapgraph: error: ...`` line on stderr (asserting that it is the only line)."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("asapgraph: error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    """Names in ``folder`` other than ``keep`` (temp files of an interrupted write, say)."""
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def small_graph(folder: Path, name: str = "g.txt") -> Path:
    """A tiny directed edge list (with a self-loop and a dangling-free cycle)."""
    path = folder / name
    path.write_text("# Directed graph\n" + EDGES)
    return path
