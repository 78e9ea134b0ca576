"""Small helpers shared by the benchmarks: median-of-k timing, ratios, Markdown tables."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from asapgraph import Graph

T = TypeVar("T")


def undirected_pairs(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Each undirected edge once (u <= v), self-loops kept: what igraph and NetworKit are given."""
    undirected = graph.symmetric
    rows = np.repeat(np.arange(undirected.n), undirected.out_degree)
    once = rows <= undirected.indices
    return rows[once], undirected.indices[once].astype(np.int64)


def time_runs(fn: Callable[[], T], repeat: int = 3) -> tuple[list[float], T]:
    """Wall times of ``repeat`` calls of ``fn`` (seconds), and the last call's result."""
    times, result = [], None
    for _ in range(max(1, repeat)):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return times, result  # type: ignore[return-value]


def median_time(fn: Callable[[], T], repeat: int = 3) -> tuple[float, T]:
    """Median wall time of ``repeat`` calls of ``fn`` (seconds), and the last call's result."""
    times, result = time_runs(fn, repeat)
    return statistics.median(times), result


def spread(times: Sequence[float]) -> float | None:
    """Slowest over fastest (1.0 = perfectly repeatable; None without positive times)."""
    present = [t for t in times if t]
    return max(present) / min(present) if present else None


def median(values: Sequence[float | None]) -> float | None:
    """Median of the values that are not None (None if there are none)."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def ratio(a: float | None, b: float | None) -> str:
    """``a / b`` as ``0.71x`` (``—`` when either is missing or ``b`` is zero)."""
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}x"


def ratio_line(name_a: str, name_b: str, a: float | None, b: float | None,
               suffix: str = "") -> str:
    """``A vs B: 0.71x`` — the time of A over the time of B (below 1: A is faster)."""
    return f"{name_a} vs {name_b}{suffix}: {ratio(a, b)}"


def fmt(value: float | None, digits: int = 3) -> str:
    """A number with ``digits`` significant digits, or ``—`` for None."""
    return "—" if value is None else f"{value:.{digits}g}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table with columns padded to equal width; the first column left-aligned."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        padded = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:],
                                                                          strict=True)]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(
        ":" + "-" * (w + 1) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)
    ) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])
