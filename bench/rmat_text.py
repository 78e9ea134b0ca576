"""Write an R-MAT graph as edge-list text (``src<TAB>dst`` lines), for the ingest benchmark.

    python bench/rmat_text.py SCALE PATH

Graph500 parameters and seed (``asapgraph.datasets.rmat``); duplicates and self-loops kept, as
generated. Written to a temp name and renamed, so a half-written file is never mistaken for one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from asapgraph.datasets.rmat import rmat_edges

BLOCK = 1 << 22
DIGITS = 10  # uint32 ids have at most 10 decimal digits


def _decimal(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Right-aligned ASCII digits (rows of ``DIGITS``) of non-negative ints, and their lengths."""
    rest = values.astype(np.uint64)
    digits = np.empty((values.size, DIGITS), dtype=np.uint8)
    for column in range(DIGITS - 1, -1, -1):
        digits[:, column] = 48 + (rest % 10).astype(np.uint8)
        rest //= 10
    lengths = np.ones(values.size, dtype=np.int64)
    for power in range(1, DIGITS):
        lengths += values >= 10**power
    return digits, lengths


def edge_lines(src: np.ndarray, dst: np.ndarray) -> bytes:
    """``src<TAB>dst`` lines, formatted with numpy (Python's f-strings write ~1 MB/s here)."""
    left, left_len = _decimal(src)
    right, right_len = _decimal(dst)
    separators = np.full((src.size, 1), ord("\t"), dtype=np.uint8)
    ends = np.full((src.size, 1), ord("\n"), dtype=np.uint8)
    rows = np.hstack([left, separators, right, ends])
    column = np.arange(DIGITS)
    keep = np.hstack([column >= DIGITS - left_len[:, None], np.ones((src.size, 1), bool),
                      column >= DIGITS - right_len[:, None], np.ones((src.size, 1), bool)])
    return rows[keep].tobytes()


def write_rmat_text(scale: int, path: Path) -> Path:
    """R-MAT ``scale`` as text at ``path`` (kept if it already exists)."""
    if path.exists():
        return path
    src, dst = rmat_edges(scale)
    temp = path.with_name(f".{path.name}.part")
    with temp.open("wb") as handle:
        handle.write(b"# Directed graph: R-MAT scale %d, edge factor 16, Graph500 seed\n" % scale)
        for start in range(0, src.size, BLOCK):
            handle.write(edge_lines(src[start:start + BLOCK], dst[start:start + BLOCK]))
    os.replace(temp, path)
    return path


if __name__ == "__main__":
    write_rmat_text(int(sys.argv[1]), Path(sys.argv[2]))
