"""Engine and algorithm options shared by ``run`` and ``compare``."""

from __future__ import annotations

import argparse
from typing import Any

from asapgraph.algorithms.components import ConnectedComponents
from asapgraph.algorithms.label_propagation import DEFAULT_MAX_ITER as LPA_MAX_ITER
from asapgraph.algorithms.label_propagation import LabelPropagation
from asapgraph.algorithms.pagerank import MESSAGES, PageRank
from asapgraph.engine.liveness import DEFAULT_STALL_AFTER
from asapgraph.engine.rounds import DEFAULT_CHUNKS, DEFAULT_MAX_STALENESS, MODES
from asapgraph.program import VertexProgram


def straggler_argument(text: str) -> tuple[int, float]:
    """Parse ``W:F`` (worker W runs F times slower)."""
    worker, sep, factor = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return int(worker), float(factor)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WORKER:FACTOR, got {text!r}") from None


def positive_int(text: str, expected: str = "a positive integer") -> int:
    """A count of at least 1; ``expected`` names what the option takes, in its error."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def fan_in_argument(text: str) -> int | None:
    """``all`` or a positive integer."""
    if text == "all":
        return None
    return positive_int(text, "a positive integer or 'all'")


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """Mode, fan-in and transport of one run, then :func:`add_tuning_arguments`."""
    parser.add_argument("--mode", choices=MODES, default="bsp",
                        help="bulk-synchronous supersteps, ASAP's NOTIFY-ACK rounds, or auto: "
                             "measure waiting and lag and switch between them as the run goes")
    parser.add_argument("--fan-in", type=fan_in_argument, default=None, metavar="{K,all}",
                        help="in-neighbour mailboxes waited for per ASAP round (default all; "
                             "auto chooses its own)")
    parser.add_argument("--transport", choices=("shm", "mpi"), default="shm",
                        help="shared memory, or one MPI rank per partition (under mpiexec -n P)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="fail (status 1) if the computation lasts longer (shared memory) "
                             "(default: no limit)")
    parser.add_argument("--stall-warning", type=float, default=DEFAULT_STALL_AFTER,
                        metavar="SECONDS", help="say on stderr when a worker has made no "
                        f"progress for this long (default {DEFAULT_STALL_AFTER:g}; shared memory)")
    add_tuning_arguments(parser)


def add_tuning_arguments(parser: argparse.ArgumentParser, tol_help: str | None = None) -> None:
    """Workers, stochastic reduce, stragglers and the algorithm's own knobs (run and compare);
    ``tol_help`` replaces what --help says of --tol (compare derives it from its target)."""
    parser.add_argument("--workers", type=int, default=1, help="worker processes (1..64)")
    parser.add_argument("--max-staleness", type=int, default=DEFAULT_MAX_STALENESS,
                        help="rounds a neighbour may go unmerged before it is waited for")
    parser.add_argument("--policy", choices=("latest", "queue"), default="latest",
                        help="mailbox policy: newest version supersedes, or strict NOTIFY-ACK")
    parser.add_argument("--sweeps", type=int, default=1, help="local sweeps per round")
    parser.add_argument("--chunks", type=int, default=DEFAULT_CHUNKS,
                        help="row chunks per sweep (merge points in ASAP)")
    parser.add_argument("--order", choices=("none", "degree", "random"), default="none",
                        help="vertex reordering before the contiguous split")
    parser.add_argument("--straggler", type=straggler_argument, action="append", default=[],
                        metavar="W:F", help="worker W runs F times slower (repeatable)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds partition order, ASAP's sampling and label propagation")
    parser.add_argument("--tol", type=float, default=1e-6,
                        help=tol_help or "PageRank: stop once the L1 error bound is below n·tol")
    parser.add_argument("--damping", type=float, default=0.85, help="PageRank damping")
    parser.add_argument("--max-iter", type=int, default=None,
                        help=f"round cap (default: the algorithm's own: {PageRank.max_iter} for "
                             f"pagerank, {LPA_MAX_ITER} for lpa, none for cc)")
    parser.add_argument("--messages", choices=MESSAGES, default="values",
                        help="PageRank boundary messages: newest values, or accumulative "
                             "increments (deltas: less traffic as the run converges)")


def engine_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for :func:`asapgraph.run` from parsed arguments."""
    if args.transport == "mpi":
        join_mpi_job(args)
    liveness = {} if args.transport == "mpi" else {"timeout": args.timeout,
                                                   "stall_after": args.stall_warning}
    return {
        **liveness,
        "workers": args.workers,
        "mode": args.mode,
        "fan_in": args.fan_in,
        "max_staleness": args.max_staleness,
        "policy": args.policy,
        "sweeps": args.sweeps,
        "chunks": args.chunks,
        "order": args.order,
        "seed": args.seed,
        "straggler": dict(args.straggler),
        "transport": args.transport,
    }


def join_mpi_job(args: argparse.Namespace) -> None:
    """Under mpiexec every rank runs this command alike: only rank 0 prints and writes results.

    The other ranks' stdout and stderr go to /dev/null, and their --out and --stats to nothing;
    --workers, when not given, is the number of ranks (one partition per rank).
    """
    from asapgraph.engine.mpi_runner import join_command_line  # mpi4py is an optional extra

    rank, size = join_command_line()
    if args.workers == 1:
        args.workers = size
    if rank != 0:
        args.out = args.stats = None


def make_program(args: argparse.Namespace) -> VertexProgram:
    """The vertex program named on the command line, with its options."""
    extra = {} if args.max_iter is None else {"max_iter": args.max_iter}
    if args.algorithm == "pagerank":
        return PageRank(damping=args.damping, tol=args.tol, messages=args.messages, **extra)
    if args.algorithm == "cc":
        return ConnectedComponents(**extra)
    if args.algorithm == "lpa":
        return LabelPropagation(seed=args.seed, **extra)
    raise ValueError(f"Unknown algorithm {args.algorithm!r}.")
