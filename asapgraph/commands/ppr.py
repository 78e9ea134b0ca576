"""``asapgraph run ppr FILE --seeds ...``: personalised PageRank for many seeds in one run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO

from asapgraph.commands.options import engine_options
from asapgraph.errors import GraphFormatError
from asapgraph.io.output import write_output

DEFAULT_TOP = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--seeds`` (used by ``ppr`` only; ``run``'s ``--top`` says how many per seed)."""
    parser.add_argument("--seeds", metavar="FILE|ID,ID,...",
                        help="ppr: the seed vertices, a file with one id per line or a "
                             "comma-separated list (default: none, ppr needs them)")


def parse_seeds(text: str | None) -> list[int]:
    """Seed ids from a file (first field of each non-comment line) or a comma list."""
    if not text:
        raise ValueError("run ppr needs --seeds FILE or --seeds ID,ID,...")
    path = Path(text)
    if not path.exists():
        try:
            return [int(token) for token in text.split(",")]
        except ValueError:
            raise ValueError(f"--seeds {text!r} is neither a file nor a comma-separated list "
                             "of vertex ids") from None
    seeds = []
    for number, line in enumerate(path.read_text(encoding="latin-1").splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        try:
            seeds.append(int(fields[0]))
        except ValueError:
            raise GraphFormatError(path, f"seed {fields[0]!r} is not an integer vertex id",
                                   number) from None
    if not seeds:
        raise GraphFormatError(path, "no seeds (the file is empty or only comments)")
    return seeds


def handle(args: argparse.Namespace, loaded) -> int:
    """Run every seed at once; write seed, vertex, rank rows for each seed's top vertices."""
    from asapgraph.personalized import personalized_pagerank

    top = args.top or DEFAULT_TOP
    if args.update or args.diff:
        raise ValueError("--update and --diff work with pagerank, cc and lpa, not ppr.")
    seeds = parse_seeds(args.seeds)
    extra = {} if args.max_iter is None else {"max_iter": args.max_iter}
    result = personalized_pagerank(loaded.graph, seeds, damping=args.damping, tol=args.tol,
                                   **extra, **engine_options(args))
    result.stats.load_seconds = loaded.seconds
    if args.out:
        def write(handle: IO[str]) -> None:
            handle.write(f"# ppr on {args.graph}: seed\tvertex\trank (top {top} per seed, "
                         f"mode={args.mode}, workers={args.workers})\n")
            for j, seed in enumerate(seeds):
                handle.writelines(f"{seed}\t{vertex}\t{rank:.17g}\n"
                                  for vertex, rank in result.top(top, j))

        write_output(args.out, write)
    stats = result.stats
    lo, med, hi = stats.rounds
    print(f"ppr: n={loaded.graph.n} m={loaded.graph.m} seeds={len(seeds)} mode={stats.mode} "
          f"workers={stats.workers} converged={stats.converged}\n"
          f"rounds min/median/max {lo}/{med:g}/{hi}, compute {stats.compute_seconds:.3f}s, "
          f"{stats.messages} messages, {stats.bytes / 1e6:.2f} MB", file=sys.stdout)
    if args.show_stats:
        print(stats.table())
    return 0
