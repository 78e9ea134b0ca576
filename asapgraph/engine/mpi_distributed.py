"""Run a program on a graph that no rank ever holds whole: ingest, compute, finish, write.

Every rank ingests its rows (``mpi_ingest.py``), runs the same round loop as any MPI run
(``mpi_runner.compute_part``), and finishes its own vertices' values: PageRank divides by a sum
reduced over the ranks, CC and LPA name each group by its least original id through the rank
owning that group's range. ``--out`` is one file written by all ranks at their offsets (MPI-IO)
into a temp name that rank 0 renames: nobody gathers n values, and a failed run leaves nothing.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from mpi4py import MPI

from asapgraph.algorithms.components import ConnectedComponents
from asapgraph.algorithms.label_propagation import LabelPropagation
from asapgraph.algorithms.lpa_kernel import LABEL_SHIFT
from asapgraph.algorithms.pagerank import PageRank
from asapgraph.engine.blocks import block_from_part
from asapgraph.engine.mpi_ingest import (
    PullView,
    RowBlock,
    build_own_part,
    ghost_values,
    ingest,
    vertex_ranges,
)
from asapgraph.engine.mpi_part_cache import load_rows, store_rows
from asapgraph.engine.mpi_runner import compute_part
from asapgraph.engine.mpi_shuffle import alltoallv, exscan, range_counts
from asapgraph.engine.rounds import make_spec
from asapgraph.engine.stats import RunStats
from asapgraph.errors import ConvergenceError
from asapgraph.io.part_cache import PartCache
from asapgraph.io.results import value_lines
from asapgraph.partition import Part
from asapgraph.program import VertexProgram

TOP = 5  # vertices or group sizes a summary names


@dataclass
class DistributedRun:
    """This rank's share of a finished run, and what every rank knows about the whole."""

    ids: np.ndarray  # original ids of the owned vertices (ascending)
    values: np.ndarray  # their finished values
    n: int
    nnz: int  # entries of the pull matrix
    m: int | None  # edges of the graph, when the pull matrix tells (None: it does not)
    converged: bool
    stats: RunStats | None  # rank 0 only
    text_bytes: int  # summed over ranks
    ingest_seconds: float  # the slowest rank's
    from_cache: bool  # the rows were mapped from the partitioned cache, not parsed
    top: list[tuple[object, float]] = field(default_factory=list)  # pagerank: best vertices
    groups: int = 0  # cc, lpa: number of groups
    largest: list[int] = field(default_factory=list)  # cc, lpa: sizes of the largest groups


def pull_view(program: VertexProgram) -> PullView:
    """The matrix a built-in program pulls; ValueError for what parallel ingest cannot run."""
    if isinstance(program, PageRank):
        if program.personalization is not None or program.nstart is not None:
            raise ValueError("personalised PageRank needs the whole graph: use --ingest whole")
        return PullView("transpose", program.weighted)
    if isinstance(program, LabelPropagation) and program.weighted:
        raise ValueError("weighted label propagation needs the whole graph: use --ingest whole")
    if isinstance(program, (ConnectedComponents, LabelPropagation)):
        return PullView("symmetric", False)
    raise ValueError(f"parallel ingest runs pagerank, cc and lpa, not {program.name!r}")


def run_ingested(comm: MPI.Comm, source: Path, program: VertexProgram, *,
                 directed: bool | None = None, drop_self_loops: bool = False,
                 cache_dir: str | Path | None = None, **settings: object) -> DistributedRun:
    """Ingest ``source`` across the ranks and run ``program``; call it on every rank.

    With ``cache_dir`` (a folder every rank sees) the ranks' rows are stored there the first
    time and mapped from there later, for any number of ranks (``io/part_cache.py``).
    """
    view = pull_view(program)
    spec = make_spec(program, comm.Get_size(), **settings)  # type: ignore[arg-type]
    began = time.perf_counter()
    cache = None
    if cache_dir is not None:
        options = {"directed": directed, "drop_self_loops": drop_self_loops,
                   "view": view.name, "weighted": view.weighted}
        cache = PartCache.for_source(source, options, Path(cache_dir))
    rows = load_rows(comm, cache) if cache is not None else None
    text_bytes, from_cache = 0, rows is not None
    if rows is None:
        rows, text_bytes = ingest(comm, source, view, directed=directed,
                                  drop_self_loops=drop_self_loops)
        if cache is not None:
            store_rows(comm, cache, rows)
    part, incoming = build_own_part(comm, rows)
    block = block_from_part(part, {})
    block.data = local_data(comm, program, part, rows)
    ingest_seconds = comm.allreduce(time.perf_counter() - began, op=MPI.MAX)
    computed = compute_part(comm, program, part, incoming, block, spec, ingest_seconds)
    if computed.stats is not None:
        computed.stats.load_seconds = ingest_seconds
    if not computed.converged and program.must_converge:
        residual = computed.stats.residual if computed.stats is not None else float("nan")
        raise ConvergenceError(program.name, program.max_iter, residual)
    m = rows.nnz if view.name == "transpose" and rows.directed else None
    if not rows.directed:
        m = (rows.nnz + rows.self_loops) // 2
    done = DistributedRun(rows.ids, np.empty(0), rows.n, rows.nnz, m, computed.converged,
                          computed.stats, comm.allreduce(text_bytes), ingest_seconds,
                          from_cache)
    _finish(comm, program, block.data, rows, computed.owned, done)
    return done


def local_data(comm: MPI.Comm, program: VertexProgram, part: Part,
               rows: RowBlock) -> dict[str, np.ndarray]:
    """The program's per-vertex arrays for the owned vertices and ghosts (PageRank's vertex_data,
    from the out-weights each rank summed for its own vertices and its ghosts' owners sent)."""
    if not isinstance(program, PageRank) or rows.out_weight is None:
        return {}
    out_weight = np.asarray(rows.out_weight, dtype=np.float64)
    return program.data_of(np.concatenate([out_weight, ghost_values(comm, part, out_weight)]),
                           rows.n)


def _finish(comm: MPI.Comm, program: VertexProgram, data: dict[str, np.ndarray],
            rows: RowBlock, owned: np.ndarray, done: DistributedRun) -> None:
    """``program.finish`` for this rank's vertices, and the summary's global figures."""
    if isinstance(program, PageRank):
        ranks = owned * data["unscale"][: owned.size]
        total = comm.allreduce(float(ranks.sum()))
        done.values = ranks / total if total > 0 else ranks
        best = np.argsort(done.values)[::-1][:TOP]
        everyone = comm.allgather([(rows.ids[v].item(), float(done.values[v])) for v in best])
        done.top = sorted((pair for pairs in everyone for pair in pairs),
                          key=lambda pair: -pair[1])[:TOP]
        return
    groups = owned >> LABEL_SHIFT if isinstance(program, LabelPropagation) else owned
    done.values, sizes = least_member(comm, groups.astype(np.int64), rows.ids, rows.n)
    done.groups = comm.allreduce(int(sizes.size))
    largest = comm.allgather(np.sort(sizes)[::-1][:TOP].tolist())
    done.largest = sorted((s for chunk in largest for s in chunk), reverse=True)[:TOP]


def least_member(comm: MPI.Comm, groups: np.ndarray, ids: np.ndarray,
                 n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each vertex's group named by the group's least original id (``smallest_member_ids``),
    and the sizes of the groups whose numbers fall in this rank's range."""
    ranges = vertex_ranges(n, comm.Get_size())
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    counts = range_counts(sorted_groups, ranges)
    arrived, from_each = alltoallv(comm, sorted_groups, counts)
    arrived_ids, _ = alltoallv(comm, ids[order].astype(np.int64), counts)
    lo = int(ranges[comm.Get_rank()])
    span = int(ranges[comm.Get_rank() + 1]) - lo
    least = np.full(span, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(least, arrived - lo, arrived_ids)
    sizes = np.bincount(arrived - lo, minlength=span)
    back, _ = alltoallv(comm, least[arrived - lo], from_each)
    named = np.empty_like(back)
    named[order] = back
    return named, sizes[sizes > 0]


def write_at_offsets(comm: MPI.Comm, path: str | Path, ids: np.ndarray, values: np.ndarray,
                     header: str) -> None:
    """``io.results.write_values``'s file, each rank writing its own lines at its offset.

    Rank 0 makes a temp file beside ``path``; after every rank has written, it renames it.
    """
    path = Path(path)
    text = "".join(value_lines(ids, values))
    if comm.Get_rank() == 0:
        text = f"# {header}\n" + text
    data = np.frombuffer(text.encode(), dtype=np.uint8)
    del text
    offset = exscan(comm, data.size)
    temp = None
    if comm.Get_rank() == 0:
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        os.close(handle)
    temp = comm.bcast(temp, root=0)
    try:
        output = MPI.File.Open(comm, temp, MPI.MODE_WRONLY)
        output.Write_at_all(offset, data)
        output.Close()
        comm.Barrier()
        if comm.Get_rank() == 0:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp, 0o666 & ~umask)
            os.replace(temp, path)
    except BaseException:
        if comm.Get_rank() == 0:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        raise
