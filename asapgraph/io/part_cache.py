"""Partitioned graph cache: each rank's rows of a pull matrix, stored by the rank that built them.

A parallel ingest (``engine/mpi_ingest.py``) ends with every rank holding rows ``lo:hi`` of the
program's pull matrix, their original ids and (PageRank) out-weights. Stored as one folder per
part on a filesystem every rank sees, they are a distributed CSR on disk: a later run with the
same P maps its own part; a run with another P computes its balanced cut from the stored row
lengths and maps the slices of the parts its new rows fall in. The text is not read again.

An entry is ``parts-<hash(source, options, view)>-<hash(source version)>``: a changed file (or a
changed part file of a folder) misses. It is written into a temp folder that rank 0 renames once
every rank has written its part, so a reader never sees half of one; ``meta.json`` records each
array's size and CRC-32, checked by each rank for the parts it maps, and a damaged entry is
removed and rebuilt from the text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 1
ARRAYS = ("indptr", "columns", "weights", "ids", "out_weight")

log = logging.getLogger(__name__)


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:20]


def source_version(source: Path) -> list[list[object]]:
    """Name, size and mtime of the file, or of every file in the folder: what a change alters."""
    files = sorted(p for p in source.iterdir() if p.is_file()) if source.is_dir() else [source]
    return [[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in files]


def checksum(array: np.ndarray) -> int:
    """CRC-32 of an array's bytes, read in slices (a memory-mapped array is not copied whole)."""
    flat = array.reshape(-1).view(np.uint8)
    crc = 0
    for start in range(0, flat.size, 1 << 26):
        crc = zlib.crc32(flat[start:start + (1 << 26)], crc)
    return crc


@dataclass(frozen=True)
class PartCache:
    """Where the partitioned cache of one source, read with given options for a view, lives."""

    folder: Path
    source: Path
    version: list[list[object]]

    @classmethod
    def for_source(cls, source: Path, options: dict[str, Any], cache_dir: Path) -> PartCache:
        """The entry of ``source`` as it is now and the reader ``options`` (with the view)."""
        source = source.resolve()
        version = source_version(source)
        name = _digest([str(source), options, FORMAT])
        return cls(cache_dir / f"parts-{name}-{_digest(version)}", source, version)

    def meta(self) -> dict[str, Any] | None:
        """The entry's description, or None when it is missing or describes another source."""
        try:
            meta = json.loads((self.folder / "meta.json").read_text())
        except (OSError, ValueError):
            return None
        if meta.get("format") != FORMAT or meta.get("version") != self.version:
            return None
        return meta

    def write_part(self, temp: Path, index: int, arrays: dict[str, np.ndarray | None]) -> dict:
        """Write one part's arrays into the temp entry; returns their sizes and checksums."""
        where = temp / f"part-{index}"
        where.mkdir()
        described = {}
        for name in ARRAYS:
            array = arrays.get(name)
            if array is None:
                continue
            np.save(where / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
            described[name] = {"size": int(array.size), "crc": checksum(np.asarray(array))}
        return described

    def new_temp(self) -> Path:
        """A fresh temp folder beside the entry (rank 0 makes it; every rank writes in it)."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{self.folder.name}.", suffix=".tmp",
                                     dir=self.folder.parent))

    def commit(self, temp: Path, meta: dict[str, Any]) -> None:
        """Write ``meta.json`` and rename the temp folder into place (a lost race is fine)."""
        meta = {**meta, "format": FORMAT, "version": self.version, "source": str(self.source)}
        (temp / "meta.json").write_text(json.dumps(meta))
        try:
            temp.rename(self.folder)
        except OSError:
            shutil.rmtree(temp, ignore_errors=True)
            if not self.folder.exists():
                raise
        name = self.folder.name.rsplit("-", 1)[0]
        for stale in self.folder.parent.glob(f"{name}-*"):
            if stale != self.folder:
                shutil.rmtree(stale, ignore_errors=True)

    def part(self, meta: dict[str, Any], index: int) -> dict[str, np.ndarray]:
        """Part ``index``'s arrays, memory-mapped and checked; ValueError on any damage."""
        arrays = {}
        for name, described in meta["parts"][index].items():
            try:
                array = np.load(self.folder / f"part-{index}" / f"{name}.npy", mmap_mode="r")
            except OSError as error:
                raise ValueError(f"part {index} {name}: {error}") from None
            if array.size != described["size"] or checksum(array) != described["crc"]:
                raise ValueError(f"part {index} {name}: size or checksum differs from meta.json")
            arrays[name] = array
        return arrays

    def remove(self) -> None:
        """Drop a damaged entry (the next run rebuilds it from the text)."""
        log.warning("ignoring the damaged partitioned cache %s", self.folder)
        shutil.rmtree(self.folder, ignore_errors=True)
