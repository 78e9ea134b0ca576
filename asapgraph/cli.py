"""The ``asapgraph`` command line: parse arguments, dispatch to a subcommand, map errors to exits.

Exit status: 0 success, 1 a run failed (worker crash, non-convergence), 2 bad input or usage,
130 interrupted. Errors print one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from asapgraph import __version__
from asapgraph.commands import compare, datasets, info, run
from asapgraph.errors import AsapGraphError, GraphFormatError

EXAMPLES = """\
examples:
  asapgraph info graph.txt.gz --json
  asapgraph run pagerank graph.txt --mode asap --workers 4 --fan-in 1 --out ranks.tsv
  asapgraph run cc rmat:16 --mode bsp --workers 2 --straggler 1:3 --stats stats.json
  asapgraph compare pagerank rmat:16 --workers 4 --straggler 1:3 --repeat 3
  asapgraph datasets list
"""

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="asapgraph",
        description="Iterative graph analytics on partitioned graphs: BSP or ASAP.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"asapgraph {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log progress (-v) or every worker event (-vv) to stderr")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (info, run, compare, datasets):
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.verbose:
        logging.basicConfig(
            level=logging.DEBUG if args.verbose > 1 else logging.INFO,
            format="%(asctime)s %(processName)s %(name)s: %(message)s",
        )
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("asapgraph: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (GraphFormatError, FileNotFoundError, IsADirectoryError, ValueError, KeyError) as error:
        print(f"asapgraph: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except AsapGraphError as error:
        print(f"asapgraph: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_FAILED


def _one_line(error: BaseException) -> str:
    text = str(error) if not isinstance(error, KeyError) else str(error.args[0])
    if isinstance(error, FileNotFoundError) and error.filename:
        text = f"{error.filename}: no such file"
    return " ".join(text.split())
