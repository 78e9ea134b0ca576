"""The ``asapgraph`` command line: parse arguments, dispatch to a subcommand, map errors to exits.

Exit status: 0 success, 1 a run failed (worker crash, non-convergence, a full disk, out of
memory, a timeout), 2 bad input or usage, 128 + N when signal N ended it (130 for Ctrl-C, 143 for
SIGTERM, 129 for SIGHUP). Errors print one line on stderr, ``asapgraph: error: ...``, naming the
path and what to do; ``-v`` adds the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from asapgraph import __version__
from asapgraph.commands import compare, datasets, info, run
from asapgraph.errors import AsapGraphError, GraphFormatError
from asapgraph.signals import exit_status, raising_on_termination

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
# What to do about an OSError, by errno; the ones in BAD_INPUT are the user's to fix (exit 2).
OS_HINTS = {
    errno.EACCES: "check its permissions or choose another path",
    errno.EPERM: "check its permissions or choose another path",
    errno.EROFS: "choose a path on a writable file system",
    errno.ENOSPC: "free some space or choose another disk",
    errno.EDQUOT: "free some space or choose another disk",
    errno.EISDIR: "name a file, not a folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENOENT: "check the path",
    errno.ELOOP: "check the symbolic links on the path",
    errno.ENAMETOOLONG: "use a shorter path",
}
BAD_INPUT = {errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOTDIR, errno.ENOENT, errno.ELOOP,
             errno.ENAMETOOLONG}


class OneLineParser(argparse.ArgumentParser):
    """argparse, with usage errors on one line (its default prints the whole usage block)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"asapgraph: error: {message} (see {self.prog} --help)\n")


VERBOSE_HELP = "log engine events (-v) or every worker event (-vv) to stderr"


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples' layout and ends the help of every option that takes a value with its
    default (options whose default is None say in their own words what happens without them)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (not action.option_strings or action.nargs == 0 or "default" in text
                or default is None or default is argparse.SUPPRESS):
            return text
        return f"{text} (default: {shown_default(default)})".replace("%", "%%").strip()


def shown_default(value: object) -> str:
    """A default as a user would type it: lists comma-separated, None (a fan-in) as ``all``."""
    if isinstance(value, list | tuple):
        return ",".join(shown_default(item) for item in value) if value else "none"
    return "all" if value is None else str(value)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered.

    Every screen shows defaults (:class:`HelpFormatter`), and every subcommand accepts ``-v``
    too, counted into :func:`verbosity` wherever it is given.
    """
    parser = OneLineParser(
        prog="asapgraph",
        description="Iterative graph analytics on partitioned graphs: BSP or ASAP.",
        epilog=EXAMPLES,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"asapgraph {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help=VERBOSE_HELP)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (info, run, compare, datasets):
        command.register(subparsers)
    for depth, subparser in _subparsers(parser):
        subparser.formatter_class = HelpFormatter
        # Each level parses into its own namespace, so each counts into its own name.
        subparser.add_argument("-v", "--verbose", action="count", dest=f"verbose_{depth}",
                               default=argparse.SUPPRESS, help=VERBOSE_HELP)
    return parser


def _subparsers(parser: argparse.ArgumentParser, depth: int = 1):
    """Every subcommand's parser below ``parser``, with its depth (1 = ``run``, 2 = ``fetch``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in dict.fromkeys(action.choices.values()):
                yield depth, subparser
                yield from _subparsers(subparser, depth + 1)


def verbosity(args: argparse.Namespace) -> int:
    """How many ``-v`` were given, before and after the subcommands."""
    return sum(count for name, count in vars(args).items()
               if name == "verbose" or name.startswith("verbose_"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    level = verbosity(args)
    if level:
        logging.basicConfig(
            level=logging.DEBUG if level > 1 else logging.INFO,
            format="%(asctime)s %(processName)s %(name)s: %(message)s",
        )
    # An MPI rank keeps the default handlers: a Python handler cannot run while the rank is
    # blocked in an MPI call, and a rank that dies at once lets the launcher end the job.
    mpi = getattr(args, "transport", None) == "mpi"
    with contextlib.nullcontext() if mpi else raising_on_termination():
        return _handle(args)


def _handle(args: argparse.Namespace) -> int:
    """Run the subcommand; every failure becomes its one line and exit status."""
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt as interruption:
        print(f"asapgraph: {str(interruption) or 'interrupted'}", file=sys.stderr)
        return exit_status(interruption)
    except BrokenPipeError:  # the reader of stdout left (| head): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except (GraphFormatError, ValueError, KeyError) as error:
        return _report(args, _one_line(error), EXIT_BAD_INPUT)
    except OSError as error:
        status = EXIT_BAD_INPUT if error.errno in BAD_INPUT else EXIT_FAILED
        return _report(args, _os_line(error), status)
    except MemoryError:
        return _report(args, "out of memory; try a smaller graph, fewer workers, or a machine "
                       "with more memory", EXIT_FAILED)
    except AsapGraphError as error:
        return _report(args, _one_line(error), EXIT_FAILED)


def _report(args: argparse.Namespace, line: str, status: int) -> int:
    """Print the one error line (after the traceback with -v); return the exit status."""
    if args.verbose:
        traceback.print_exc()
    print(f"asapgraph: error: {line}", file=sys.stderr)
    return status


def _one_line(error: BaseException) -> str:
    text = str(error) if not isinstance(error, KeyError) else str(error.args[0])
    return " ".join(text.split())


def _os_line(error: OSError) -> str:
    """``PATH: what happened; what to do`` for an OSError."""
    what = (error.strerror or str(error)).lower()
    where = f"{error.filename}: " if error.filename is not None else ""
    hint = OS_HINTS.get(error.errno)
    return " ".join(f"{where}{what}{f'; {hint}' if hint else ''}".split())
