"""What a comparison leaves behind: a table to read, results.json to keep, convergence.png to see.

The JSON holds every raw figure (per-worker statistics and traces of every repeat) with the machine
and the command line, because a timing means nothing without where and how it was taken.
matplotlib is an optional extra (``asapgraph[plot]``): it is imported only to draw, with the
non-interactive Agg canvas, so the table and the JSON never depend on it.
"""

from __future__ import annotations

import math
import os
import platform
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from asapgraph import __version__, strict_json
from asapgraph.compare import Comparison, ConfigurationResult, Reference
from asapgraph.io.output import write_atomically

PLOT_HINT = "pip install 'asapgraph[plot]'"
VERSIONED = ("numpy", "scipy", "networkx", "matplotlib")


# ---------------------------------------------------------------------- the table
def headers(comparison: Comparison) -> list[str]:
    """Column names of :func:`rows` (the time column says what "target" means here)."""
    return [
        "configuration",
        f"{comparison.reference.goal} (s): median [min–max]",
        "rounds min/med/max",
        "waiting",
        "messages",
        "MB",
        comparison.reference.metric,
        f"speed-up vs {comparison.baseline.configuration.label}",
    ]


def rows(comparison: Comparison) -> list[list[str]]:
    """One row of text cells per configuration; counts come from its median repeat."""
    return [_row(comparison, result) for result in comparison.results]


def _row(comparison: Comparison, result: ConfigurationResult) -> list[str]:
    typical = result.typical
    stats = typical.stats
    lo, med, hi = stats.rounds
    times = result.times
    if times:
        spread = f" [{min(times):.3f}–{max(times):.3f}]" if len(result.trials) > 1 else ""
        missed = len(result.trials) - len(times)
        time_cell = f"{result.median_time:.3f}{spread}" + (f" ({missed} missed)" if missed else "")
    else:
        time_cell = "not reached"
    speedup = comparison.speedup(result)
    converged = sum(trial.converged for trial in result.trials)
    label = result.configuration.label
    if converged < len(result.trials):
        label += f" ({len(result.trials) - converged} not converged)"
    return [
        label,
        time_cell,
        f"{lo}/{med:g}/{hi}",
        f"{100 * stats.wait_share:.0f}%",
        str(stats.messages),
        f"{stats.bytes / 1e6:.1f}",
        f"{typical.score:.4g}",
        "—" if speedup is None else f"{speedup:.2f}×",
    ]


def text_table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """Fixed-width columns, the first left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [cell.ljust(w) if i == 0 else cell.rjust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(cells).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, body)])


def markdown_table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """The same table as Markdown (first column left-aligned, the others right-aligned)."""
    rule = ["---"] + ["---:"] * (len(header) - 1)
    return "\n".join("| " + " | ".join(row) + " |" for row in [header, rule, *body])


def summary(comparison: Comparison, graph_name: str) -> str:
    """The line above the table: what was compared, on what, how often."""
    warmup = ", after an untimed warm-up" if comparison.warmup else ""
    interrupted = (f"; INTERRUPTED after {comparison.runs} of "
                   f"{comparison.repeat * len(comparison.orders[0])} runs"
                   if comparison.interrupted and comparison.orders else "")
    return (f"{comparison.algorithm} on {graph_name} (n={comparison.graph['n']:,}, "
            f"m={comparison.graph['m']:,}): {comparison.workers} workers, "
            f"{_stragglers(comparison)}, {comparison.repeat} repeat(s) in rotating order"
            f"{warmup}, seed {comparison.seed}; reference in "
            f"{comparison.reference.seconds:.2f}s{interrupted}")


def _stragglers(comparison: Comparison) -> str:
    straggler = comparison.options.get("straggler") or {}
    return ", ".join(f"worker {w} {f:g}× slower" for w, f in straggler.items()) or "no straggler"


# ---------------------------------------------------------------------- results.json
def machine() -> dict[str, Any]:
    """Where the figures were measured: platform, CPUs, and the versions that matter."""
    versions = {"python": platform.python_version(), "asapgraph": __version__}
    for name in VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        # Other work on the machine skews every timing: keep how busy it was (1, 5, 15 min).
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "versions": versions,
    }


def results_document(comparison: Comparison, graph_name: str,
                     command_line: Sequence[str] | None = None,
                     arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything results.json holds; non-finite numbers become null (strict JSON)."""
    document = {
        "command_line": list(sys.argv if command_line is None else command_line),
        "arguments": arguments or {},
        "dataset": graph_name,
        "machine": machine(),
        **comparison.to_dict(),
    }
    return strict_json.finite(document)


def write_results(path: str | Path, document: dict[str, Any]) -> None:
    """Write ``document`` as strict JSON atomically (a temp file, then one rename)."""
    write_atomically(path, lambda handle: handle.write(strict_json.dumps(document, indent=1)))


# ---------------------------------------------------------------------- convergence.png
def convergence_figure(comparison: Comparison, graph_name: str):
    """What runs traced against wall time, one curve per configuration (its median repeat), and
    beside it the bytes sent per round (:func:`traffic_panel`).

    The y axis is in the units of the table, on the reference's scale: PageRank's L1 error on a
    log scale, components' wrong vertices on a symlog scale (linear near zero, so reaching the
    exact answer shows), label propagation's modularity on a linear one. Raises ImportError
    when matplotlib is not installed. Curves carry the configuration labels; the target, when
    one is drawn, is an unlabelled dashed line.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes, traffic = figure.subplots(1, 2, width_ratios=(3, 2))
    reference = comparison.reference
    for result in comparison.results:
        points = curve_points(result, reference)
        axes.plot([t for t, _ in points], [v for _, v in points],
                  label=result.configuration.label, marker=".", markersize=3)
    if reference.error is not None and reference.target is not None:
        axes.axhline(reference.target, color="grey", linestyle="--", linewidth=1)
    if reference.scale == "symlog":
        axes.set_yscale("symlog", linthresh=1)
        axes.set_ylim(bottom=0)
    else:
        axes.set_yscale(reference.scale)
    axes.set_xlabel("wall time (s)")
    axes.set_ylabel(reference.traced)
    interrupted = ", interrupted" if comparison.interrupted else ""
    axes.set_title(f"{comparison.algorithm} on {Path(graph_name).name}: "
                   f"{comparison.workers} workers, {_stragglers(comparison)}{interrupted}",
                   fontsize=10)
    axes.legend(fontsize=8)
    traffic_panel(traffic, comparison)
    return figure


def curve_points(result: ConfigurationResult, reference: Reference) -> list[tuple[float, float]]:
    """The (time, value) points of a configuration's median repeat that the scale can draw: the
    sampled curve, or the total change where the reference samples nothing."""
    trace = result.typical.stats.trace
    pairs = [(p.time, p.change if reference.sampled is None else p.error) for p in trace]
    points = [(t, v) for t, v in pairs if v is not None and math.isfinite(v)]
    if reference.scale == "log":
        return [(t, v) for t, v in points if v > 0]
    return points


def traffic_panel(axes, comparison: Comparison) -> None:
    """Bytes on the wire per round, one curve per configuration (its median repeat): how the
    traffic of accumulative messages falls as the run converges, beside BSP's."""
    for result in comparison.results:
        per_round = result.typical.stats.bytes_per_round()
        points = [(k, b / 1e6) for k, b in enumerate(per_round) if b > 0]
        axes.plot([k for k, _ in points], [mb for _, mb in points],
                  label=result.configuration.label, marker=".", markersize=3)
    axes.set_yscale("log")
    axes.set_xlabel("round (each worker's k-th post)")
    axes.set_ylabel("MB sent per round, all workers")
    axes.set_title("traffic", fontsize=10)


def write_plot(path: str | Path, comparison: Comparison, graph_name: str) -> bool:
    """Save :func:`convergence_figure` as PNG; False (nothing written) without matplotlib."""
    try:
        import matplotlib  # noqa: F401 (is the optional extra installed?)
    except ImportError:
        return False
    figure = convergence_figure(comparison, graph_name)
    path = Path(path)
    partial = path.with_name(f".{path.name}.part")
    figure.savefig(partial, format="png", dpi=120)
    os.replace(partial, path)
    return True
