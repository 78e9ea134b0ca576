"""Fault suite, inputs: validated where they enter, one line naming the file and line."""

from __future__ import annotations

import gzip
import os
import threading
from pathlib import Path

import pytest
from helpers_faults import cli, error_line


def test_non_finite_weight_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "w.txt"
    path.write_text("1 2 0.5\n2 3 nan\n")
    result = cli("run", "pagerank", str(path), "--no-cache")
    assert result.returncode == 2
    assert error_line(result) == f"asapgraph: error: {path}:2: weight 'nan' is not a finite number"


def test_ten_megabyte_number_is_refused_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("1 2\n" + "9" * 10_000_000 + " 3\n")
    result = cli("info", str(path), "--no-cache")
    assert result.returncode == 2
    assert "big.txt:2: vertex id '999" in error_line(result)
    assert "outside the int64 range" in result.stderr


NEGATIVE = ("weight '-1' is negative; PageRank follows links in proportion to their weights, "
            "which must be >= 0")


@pytest.mark.parametrize("command", [["pagerank"], ["ppr", "--seeds", "1"]])
def test_negative_weight_is_refused_for_pagerank_naming_the_line(tmp_path: Path,
                                                                 command: list[str]) -> None:
    """Refused from the text and, on a second run, from the binary cache (same line)."""
    path = tmp_path / "n.txt.gz"
    path.write_bytes(gzip.compress(b"# weighted\n1 2 0.5\n2 3 -1\n3 1 2\n"))
    cache = ["--cache-dir", str(tmp_path / "cache")]
    for _ in range(2):
        result = cli("run", *command, str(path), *cache)
        assert result.returncode == 2
        assert error_line(result) == f"asapgraph: error: {path}:3: {NEGATIVE}"
    assert cli("run", "cc", str(path), *cache).returncode == 0  # components ignore weights


def test_fifo_input_is_read_as_a_stream(tmp_path: Path) -> None:
    fifo = tmp_path / "g.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text("1 2\n2 3\n3 1\n"))
    writer.start()
    result = cli("run", "pagerank", str(fifo), "--cache-dir", str(tmp_path / "cache"))
    writer.join(30)
    assert result.returncode == 0, result.stderr
    assert "n=3 m=3" in result.stdout
    assert not (tmp_path / "cache").exists()  # a stream is never cached
