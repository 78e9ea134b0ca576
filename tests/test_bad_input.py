"""Bad input: one GraphFormatError line naming the file and line, never a wrong graph.

Each case is checked in the library (the exception, its ``line``) and through the CLI (exit 2,
exactly one stderr line with the file and line number, no traceback).
"""

from __future__ import annotations

import bz2
import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

from asapgraph import GraphFormatError
from asapgraph.io import read_edgelist

GOOD = b"# Directed graph\r\n1 2\r\n2 3\r\n"
BIG_LINES = [b"%d\t%d\r\n" % (i, i + 1) for i in range(20000)]
BIG = b"".join(BIG_LINES)


def gz(text: bytes) -> bytes:
    return gzip.compress(text)


def bz(text: bytes) -> bytes:
    return bz2.compress(text)


def flipped(blob: bytes, at: int) -> bytes:
    return blob[:at] + bytes([blob[at] ^ 0xFF]) + blob[at + 1 :]


# name -> (file name, bytes, expected line or None, words the message must contain)
CASES = {
    "empty-file": ("g.txt", b"", None, "no edges"),
    "comments-only": ("g.txt", b"# Directed graph\r\n% nothing\r\n\r\n", None, "no edges"),
    "one-field": ("g.txt", GOOD + b"3\r\n4 5\r\n", 4, "found 1"),
    "one-field-first-line": ("g.txt", b"# hdr\n7\n1 2\n", 2, "found 1"),
    "non-integer-id": ("g.txt", GOOD + b"3 x7\r\n", 4, "'x7' is not an integer"),
    "float-id": ("g.txt", b"1 2\n1.5 2\n", 2, "'1.5' is not an integer"),
    "non-numeric-weight": ("g.txt", b"1 2 0.5\n2 3 heavy\n", 2, "weight 'heavy'"),
    "four-fields": ("g.txt", GOOD + b"1 2 3 4\r\n", 4, "found 4"),
    "weight-on-some-lines": ("g.txt", b"1 2 1.0\n2 3\n", 2, "weight goes on every line"),
    "id-above-int64": ("g.txt", b"1 2\n9223372036854775808 1\n", 2, "outside the int64 range"),
    "id-below-int64": ("g.txt", b"1 2\n1 -9223372036854775809\n", 2, "outside the int64 range"),
    "error-deep-in-big-file": ("g.txt", b"".join([*BIG_LINES[:12344], b"12 oops\r\n",
                                                  *BIG_LINES[12344:]]), 12345, "'oops'"),
    "error-after-stray-cr": ("g.txt", b"#c\r\r\n1 2\r\r\n2 3\r\n\r\n3 ?\r\n", 5, "'?'"),
    "error-after-comment": ("g.txt", b"1 2\n# note\n2 3\n3 4 5 6\n", 4, "found 4"),
    "matrix-market": ("g.mtx", b"%%MatrixMarket matrix coordinate pattern general\n3 3 2\n1 2\n"
                      b"2 3\n", 1, "MatrixMarket"),
    "error-in-gz": ("g.txt.gz", gz(GOOD + b"3 -\r\n"), 4, "'-' is not an integer"),
    "truncated-gz": ("g.txt.gz", gz(BIG)[:5000], None, "truncated gzip"),
    "corrupt-gz": ("g.txt.gz", flipped(gz(BIG), 3000), None, "corrupt or truncated gzip"),
    "not-gzip": ("g.txt.gz", GOOD, None, "gzip"),
    "truncated-bz2": ("g.txt.bz2", bz(BIG)[:5000], None, "truncated bzip2"),
    "corrupt-bz2": ("g.txt.bz2", flipped(bz(BIG), 3000), None, "corrupt or truncated bzip2"),
}


@pytest.fixture
def bad_file(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, int | None, str]:
    name, data, line, needle = CASES[request.param]
    path = tmp_path / name
    path.write_bytes(data)
    return path, line, needle


def cli_info(path: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASAPGRAPH_CACHE": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "asapgraph", "info", str(path)],
                          capture_output=True, text=True, check=False, env=env)


@pytest.mark.parametrize("bad_file", list(CASES), indirect=True)
def test_library_raises_one_line(bad_file: tuple[Path, int | None, str]) -> None:
    path, line, needle = bad_file
    with pytest.raises(GraphFormatError) as caught:
        read_edgelist(path, cache=False)
    error = caught.value
    assert error.line == line
    assert error.path == str(path)
    where = f"{path}:{line}: " if line else f"{path}: "
    assert str(error).startswith(where)
    assert needle in str(error)
    assert "\n" not in str(error)


@pytest.mark.parametrize("bad_file", list(CASES), indirect=True)
def test_cli_exit_2_and_one_line(bad_file: tuple[Path, int | None, str], tmp_path: Path) -> None:
    path, line, needle = bad_file
    result = cli_info(path, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    where = f"{path}:{line}: " if line else f"{path}: "
    assert result.stderr.startswith(f"asapgraph: error: {where}")
    assert needle in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "cache").exists()


def test_missing_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.txt"
    with pytest.raises(FileNotFoundError, match=r"nowhere\.txt"):
        read_edgelist(path)
    result = cli_info(path, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"asapgraph: error: {path}: no such file")


def test_directory_is_not_a_graph(tmp_path: Path) -> None:
    result = cli_info(tmp_path, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert str(tmp_path) in result.stderr
