"""Write per-vertex results atomically: a temp file beside the target, then one rename.

An interrupted or failed run therefore never leaves a half-written output under the final name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import numpy as np


def write_atomically(path: str | Path, write: Callable[[IO[str]], None]) -> None:
    """Call ``write`` on a temp file in ``path``'s folder and rename it to ``path`` on success."""
    path = Path(path)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below, before the rename)
        "w", dir=path.parent or ".", prefix=f".{path.name}.", suffix=".part", delete=False
    )
    try:
        with handle:
            write(handle)
        # NamedTemporaryFile creates 0600; give the result the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(handle.name, 0o666 & ~umask)
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)
        raise


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
    """One ``original_id<TAB>value`` line per vertex after a ``#`` header line."""

    def write(handle: IO[str]) -> None:
        handle.write(f"# {header}\n")
        for block in value_lines(ids, values):
            handle.write(block)

    write_atomically(path, write)
