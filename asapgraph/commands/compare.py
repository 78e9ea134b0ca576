"""``asapgraph compare ALGO DATASET``: BSP and ASAP configurations side by side, on equal terms.

Prints the comparison table and writes DIR/results.json and DIR/convergence.png (the plot needs
the ``plot`` extra; without it one line says how to get it). On a terminal a progress display on
stderr follows the runs (``-v`` logs one line per run instead, anywhere). Ctrl-C keeps the runs
that finished: the table, results.json (``"interrupted": true``) and the plot are written from
them, and the exit status is 130.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from asapgraph.commands.common import add_graph_arguments, load_graph_argument
from asapgraph.commands.display import progress_display
from asapgraph.commands.options import add_tuning_arguments, fan_in_argument, make_program
from asapgraph.compare import (
    DEFAULT_PAGERANK_TARGET,
    compare,
    configurations_from,
    pagerank_tol,
    reference_for,
)
from asapgraph.engine.rounds import MODES

DEFAULT_OUT = "asapgraph-compare"
DEFAULT_WORKERS = 4
DEFAULT_REPEAT = 3


def modes_argument(text: str) -> list[str]:
    """``bsp,asap``: a comma-separated list of execution modes."""
    modes = [mode.strip() for mode in text.split(",")]
    for mode in modes:
        if mode not in MODES:
            raise argparse.ArgumentTypeError(
                f"unknown mode {mode!r} in {text!r}; use {' or '.join(MODES)}"
            )
    return modes


def fan_ins_argument(text: str) -> list[int | None]:
    """``1,2,all``: one ASAP configuration per fan-in."""
    return [fan_in_argument(item.strip()) for item in text.split(",")]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``compare`` subcommand."""
    parser = subparsers.add_parser(
        "compare", help="compare BSP and ASAP on one graph (table, JSON, plot)",
        description="Run BSP and ASAP configurations on one partitioning, seed and engine; "
                    "time each to a target accuracy against a reference computed once.",
    )
    parser.add_argument("algorithm", choices=("pagerank", "cc", "lpa"))
    add_graph_arguments(parser)
    parser.add_argument("--modes", type=modes_argument, default=["bsp", "asap"], metavar="M,...",
                        help=f"execution modes to compare, of {','.join(MODES)} "
                             "(default bsp,asap)")
    parser.add_argument("--fan-in", dest="fan_ins", type=fan_ins_argument, default=[1, 2, None],
                        metavar="K,...", help="one ASAP configuration per fan-in: integers or "
                                              "'all' (default 1,2,all)")
    add_tuning_arguments(parser, tol_help="PageRank tolerance per vertex (default: target / n, "
                                          "so that no run stops before the target)")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT,
                        help="timed runs per configuration, in an order rotated each repeat, "
                             f"after one untimed warm-up (default {DEFAULT_REPEAT})")
    parser.add_argument("--target", type=float, default=None,
                        help=f"PageRank: L1 error to reach (default {DEFAULT_PAGERANK_TARGET:g}); "
                             "cc is timed to an exact match, lpa to the end of the run")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                        help=f"where results.json and convergence.png go (default ./{DEFAULT_OUT})")
    # More than one worker by default: a comparison of one process with itself shows nothing.
    # --tol unset: PageRank runs to the accuracy the target needs (see pagerank_tol).
    parser.set_defaults(handler=handle, workers=DEFAULT_WORKERS, tol=None)


def handle(args: argparse.Namespace) -> int:
    """Load the graph, compute the reference, run every configuration, report.

    Returns 130 when interrupted after some runs finished (they are reported and written).
    """
    from asapgraph import report  # platform and package metadata: only when reporting
    from asapgraph.signals import exit_status

    with progress_display() as progress:
        loaded = load_graph_argument(args, progress)
        graph = loaded.graph
        rows = configurations_from(args.modes, args.fan_ins)
        if args.tol is None and args.algorithm == "pagerank":
            target = DEFAULT_PAGERANK_TARGET if args.target is None else args.target
            args.tol = pagerank_tol(target, graph.n)
        program = make_program(args)
        reference = reference_for(program, graph, args.target)
        out = _output_folder(args.out)
        comparison = compare(
            lambda: make_program(args), graph, rows,
            workers=args.workers, repeat=args.repeat, seed=args.seed, reference=reference,
            straggler=dict(args.straggler), order=args.order, progress=progress,
            max_staleness=args.max_staleness, policy=args.policy, sweeps=args.sweeps,
            chunks=args.chunks,
        )
    print(report.summary(comparison, args.graph))
    print(report.text_table(report.headers(comparison), report.rows(comparison)))

    document = report.results_document(comparison, args.graph, arguments=_arguments(args))
    report.write_results(out / "results.json", document)
    written = [out / "results.json"]
    if report.write_plot(out / "convergence.png", comparison, args.graph):
        written.append(out / "convergence.png")
    else:
        print(f"asapgraph: no convergence.png: matplotlib is missing; {report.PLOT_HINT}",
              file=sys.stderr)
    print("wrote " + ", ".join(str(path) for path in written))
    if comparison.interrupted:
        print(f"asapgraph: interrupted; kept the {comparison.runs} run(s) that finished",
              file=sys.stderr)
        return exit_status(KeyboardInterrupt())
    return 0


def _output_folder(name: str) -> Path:
    """Create the output folder before the runs, so a bad --out fails in seconds, not after."""
    out = Path(name)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"cannot create the --out folder {out}: {error.strerror}") from None
    return out


def _arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The parsed options, as JSON can hold them (the handler is not an option)."""
    return {key: value for key, value in vars(args).items() if key != "handler"}

