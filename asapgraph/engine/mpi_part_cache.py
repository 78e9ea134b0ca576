"""Store the ranks' rows in the partitioned cache, and map them back for any number of ranks.

Both are collectives: rank 0 names the temp folder and commits the entry once every rank wrote
its part; on load, every rank checks the parts it maps, and any damage found by any rank makes
every rank fall back to the text (``io/part_cache.py`` has the layout and the checks).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from typing import TypeVar

import numpy as np
from mpi4py import MPI

from asapgraph.engine.mpi_ingest import RowBlock, cut_by_lengths, vertex_ranges
from asapgraph.graph import index_dtype
from asapgraph.io.part_cache import PartCache

log = logging.getLogger(__name__)
T = TypeVar("T")


def store_rows(comm: MPI.Comm, cache: PartCache, rows: RowBlock) -> bool:
    """Write every rank's rows as one entry; False (on every rank) if it could not be written."""
    rank = comm.Get_rank()
    temp = None
    if rank == 0:
        try:
            temp = cache.new_temp()
        except OSError as error:
            log.warning("could not write the partitioned cache %s: %s", cache.folder, error)
    temp = comm.bcast(temp, root=0)
    if temp is None:
        return False
    arrays = {"indptr": rows.indptr, "columns": rows.columns, "weights": rows.weights,
              "ids": rows.ids, "out_weight": rows.out_weight}
    try:
        described = cache.write_part(temp, rank, arrays)
    except OSError as error:
        log.warning("could not write part %d of the partitioned cache: %s", rank, error)
        described = None
    parts = comm.gather(described, root=0)
    written = False
    if rank == 0:
        if all(part is not None for part in parts):
            meta = {"n": rows.n, "nnz": rows.nnz, "directed": rows.directed,
                    "self_loops": rows.self_loops, "bounds": rows.bounds.tolist(),
                    "parts": parts}
            try:
                cache.commit(temp, meta)
                written = True
            except OSError as error:
                log.warning("could not write the partitioned cache %s: %s", cache.folder, error)
        else:
            shutil.rmtree(temp, ignore_errors=True)
    return bool(comm.bcast(written, root=0))


def load_rows(comm: MPI.Comm, cache: PartCache) -> RowBlock | None:
    """This rank's rows from the cache, cut for the current number of ranks; None on a miss."""
    rank, size = comm.Get_rank(), comm.Get_size()
    meta = comm.bcast(cache.meta() if rank == 0 else None, root=0)
    if meta is None:
        return None
    n = int(meta["n"])
    stored = np.asarray(meta["bounds"], dtype=np.int64)
    bounds = stored
    if stored.size - 1 != size:  # another P: the same balanced cut, from the stored row lengths
        ranges = vertex_ranges(n, size)
        lengths = _checked(comm, cache, lambda: [
            np.diff(piece["indptr"])
            for piece in _slices(cache, meta, stored, int(ranges[rank]), int(ranges[rank + 1]))])
        if lengths is None:
            return None
        row_nnz = np.concatenate(lengths) if lengths else np.empty(0, dtype=np.int64)
        bounds = cut_by_lengths(comm, row_nnz, n)
    return _checked(comm, cache, lambda: _assemble(cache, meta, stored, bounds, rank))


def _checked(comm: MPI.Comm, cache: PartCache, read: Callable[[], T]) -> T | None:
    """``read()`` on every rank; None on every rank (and the entry removed) if any found damage.

    The decision is one collective, so no rank goes on to the next collective alone.
    """
    try:
        result, damaged = read(), False
    except ValueError as error:
        log.warning("partitioned cache: %s", error)
        result, damaged = None, True
    if comm.allreduce(damaged, op=MPI.LOR):
        if comm.Get_rank() == 0:
            cache.remove()
        comm.Barrier()
        return None
    return result


def _slices(cache: PartCache, meta: dict, stored: np.ndarray, lo: int,
            hi: int) -> list[dict[str, np.ndarray | None]]:
    """For rows ``lo:hi``, per stored part they overlap: its arrays' slices (memory-mapped),
    the indptr rebased to start at 0."""
    pieces = []
    for index in range(stored.size - 1):
        first, last = max(lo, int(stored[index])), min(hi, int(stored[index + 1]))
        if first >= last:
            continue
        part = cache.part(meta, index)
        r0, r1 = first - int(stored[index]), last - int(stored[index])
        indptr = np.asarray(part["indptr"][r0:r1 + 1])
        e0, e1 = int(indptr[0]), int(indptr[-1])
        piece = {"indptr": indptr - e0, "columns": part["columns"][e0:e1],
                 "weights": part["weights"][e0:e1] if "weights" in part else None,
                 "ids": part["ids"][r0:r1],
                 "out_weight": part["out_weight"][r0:r1] if "out_weight" in part else None}
        pieces.append(piece)
    return pieces


def _assemble(cache: PartCache, meta: dict, stored: np.ndarray, bounds: np.ndarray,
              rank: int) -> RowBlock:
    """Rows ``bounds[rank]:bounds[rank+1]`` as one :class:`RowBlock` from the stored slices."""
    n = int(meta["n"])
    lo, hi = int(bounds[rank]), int(bounds[rank + 1])
    pieces = _slices(cache, meta, stored, lo, hi)
    weighted = "weights" in meta["parts"][0]
    with_out = "out_weight" in meta["parts"][0]
    indptr = np.zeros(hi - lo + 1, dtype=np.int64)
    at = 1
    offset = 0
    for piece in pieces:
        rows = piece["indptr"].size - 1
        indptr[at:at + rows] = piece["indptr"][1:] + offset
        offset += int(piece["indptr"][-1])
        at += rows

    def joined(name: str, dtype: np.dtype) -> np.ndarray:
        if len(pieces) == 1:
            return pieces[0][name]
        return (np.concatenate([piece[name] for piece in pieces]) if pieces
                else np.empty(0, dtype=dtype))

    return RowBlock(
        n=n, nnz=int(meta["nnz"]), bounds=bounds, indptr=indptr,
        columns=joined("columns", index_dtype(n)),
        weights=joined("weights", np.dtype(np.float64)) if weighted else None,
        ids=joined("ids", np.dtype(np.int64)),
        out_weight=joined("out_weight", np.dtype(np.float64)) if with_out else None,
        directed=bool(meta["directed"]), self_loops=int(meta["self_loops"]),
    )
