"""``asapgraph run ALGO PATH --transport mpi``: every rank reads its share of PATH (a file or a
folder of part files) and no rank ever holds the whole graph (``engine/mpi_distributed.py``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from asapgraph import strict_json
from asapgraph.commands.options import engine_options, make_program
from asapgraph.errors import ConvergenceError, GraphFormatError
from asapgraph.io.cache import default_cache_dir
from asapgraph.io.output import write_output

if TYPE_CHECKING:
    from asapgraph.engine.mpi_distributed import DistributedRun


def applies(args: argparse.Namespace) -> bool:
    """Whether this run ingests in parallel: MPI transport, a file or folder, not ``whole``."""
    return args.transport == "mpi" and args.ingest == "parallel" and Path(args.graph).exists()


def handle(args: argparse.Namespace) -> int:
    """Ingest, run, write and summarise on every rank; rank 0 speaks."""
    out, stats_path = args.out, args.stats  # joining the job clears them on the other ranks
    options = engine_options(args)
    from mpi4py import MPI  # the mpi extra: present once engine_options joined the job

    from asapgraph.engine.mpi_distributed import pull_view, run_ingested, write_at_offsets
    from asapgraph.engine.mpi_runner import abort, check_workers
    from asapgraph.engine.rounds import make_spec

    comm = MPI.COMM_WORLD
    check_workers(options["workers"], comm.Get_size())
    if options["order"] != "none":
        raise ValueError("--order needs the whole graph on every rank: add --ingest whole")
    settings = {key: value for key, value in options.items()
                if key not in ("workers", "order", "transport")}
    program = make_program(args)
    pull_view(program)  # options every rank refuses alike: one line, before any message
    make_spec(program, comm.Get_size(), **settings)
    try:
        cache_dir = None if args.no_cache else (args.cache_dir or default_cache_dir())
        done = run_ingested(comm, Path(args.graph), program, directed=args.directed,
                            drop_self_loops=args.drop_self_loops, cache_dir=cache_dir,
                            **settings)
        if out:
            header = (f"{args.algorithm} on {args.graph}: original_id\tvalue "
                      f"(mode={args.mode}, workers={args.workers})")
            write_at_offsets(comm, out, done.ids, done.values, header)
    except (GraphFormatError, ConvergenceError):
        raise  # raised alike on every rank (a collective decided it): one line, every rank exits
    except BaseException as failure:
        if comm.Get_size() == 1:
            raise
        abort(comm, failure)
    if done.stats is None:
        return 0
    if stats_path:
        document = {**done.stats.to_dict(), "ingest": {
            "text_bytes": done.text_bytes, "seconds": done.ingest_seconds,
            "from_cache": done.from_cache}}
        write_output(stats_path, lambda handle: handle.write(strict_json.dumps(document,
                                                                             indent=1)))
    print(summary(args.algorithm, done), file=sys.stdout)
    if args.show_stats:
        print(done.stats.table())
    return 0


def summary(algorithm: str, done: DistributedRun) -> str:
    """The lines ``run`` prints, from figures reduced over the ranks."""
    stats = done.stats
    lo, med, hi = stats.rounds
    size = f"m={done.m}" if done.m is not None else f"symmetric entries={done.nnz}"
    megabytes = done.text_bytes / 1e6
    ingested = (f"ingest: {stats.workers} ranks mapped their rows from the partitioned cache "
                f"in {done.ingest_seconds:.2f}s" if done.from_cache else
                f"ingest: {megabytes:.1f} MB of text in {done.ingest_seconds:.2f}s "
                f"({megabytes / max(done.ingest_seconds, 1e-9):.0f} MB/s) across "
                f"{stats.workers} ranks")
    lines = [
        f"{algorithm}: n={done.n} {size} mode={stats.mode} workers={stats.workers} "
        f"converged={stats.converged}",
        ingested,
        f"rounds min/median/max {lo}/{med:g}/{hi}, compute {stats.compute_seconds:.3f}s, "
        f"waiting {100 * stats.wait_share:.1f}%, {stats.messages} messages, "
        f"{stats.bytes / 1e6:.2f} MB",
    ]
    if algorithm == "pagerank":
        lines.append("top vertices: " + ", ".join(f"{v} ({x:.4g})" for v, x in done.top))
    else:
        noun = "components" if algorithm == "cc" else "communities"
        largest = ", ".join(str(s) for s in done.largest)
        lines.append(f"{noun}: {done.groups}; largest sizes: {largest}")
    return "\n".join(lines)
