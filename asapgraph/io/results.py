"""Write per-vertex results as ``original_id<TAB>value`` lines, safely (see ``output.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from asapgraph.io.output import write_output


def value_lines(ids: np.ndarray, values: np.ndarray) -> Iterator[str]:
    """``original_id<TAB>value`` lines (each ending in a newline), in blocks of 65536."""
    floats = values.dtype.kind == "f"
    text_values = np.char.mod("%.17g", values) if floats else values.astype(str)
    for start in range(0, len(ids), 1 << 16):
        stop = start + (1 << 16)
        lines = [f"{i}\t{v}" for i, v in zip(ids[start:stop].tolist(),
                                             text_values[start:stop].tolist(), strict=True)]
        yield "\n".join(lines) + "\n"


def write_values(path: str | Path, ids: np.ndarray, values: np.ndarray, header: str) -> None:
    """One ``original_id<TAB>value`` line per vertex after a ``#`` header line; ``-`` is stdout."""

    def write(handle: IO[str]) -> None:
        handle.write(f"# {header}\n")
        for block in value_lines(ids, values):
            handle.write(block)

    write_output(path, write)
