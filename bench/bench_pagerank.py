"""PageRank: time to an L1 error of 1e-6, asapgraph (BSP / ASAP, 1–8 workers) against one process.

``python bench/bench_pagerank.py [--graph PATH] [--rmat-scale 20] [--repeat 3] [--quick]
[--workers 2 4 8] [--rounds-graphs email-Enron.txt.gz wiki-Vote.txt]``

Graphs: the largest SNAP edge list in /work/shared/datasets/snap (or ``--graph``) and a Graph500
R-MAT graph from ``asapgraph.datasets.rmat`` (scale 20, edge factor 16: about 16M edges, all 2**20
vertices, isolated ones included). Reference: a scipy power iteration run
until its L1 change is below 1e-14, cross-checked with igraph (PRPACK) and, on the SNAP graph,
``networkx.pagerank(tol=1e-12)``. Every figure is the median over ``--repeat`` runs.

What is timed (setup — graph conversion, partitioning, shared-memory layout — is excluded
everywhere and reported in its own column):

- scipy: the number of power iterations whose result first meets the target (found once, untimed),
  then exactly that many iterations, timed.
- igraph: one ``pagerank()`` call (PRPACK, which solves to ~1e-12; it has no tolerance knob).
- networkx: ``pagerank(tol=t)`` for the loosest t in 1e-8, 1e-9, … whose answer meets the target.
- rounds (BSP, 1 and 2 workers, also on ``--rounds-graphs``): BSP is deterministic, so the fewest
  supersteps whose result meets the target is found by bisection on ``max_iter``, and ``time`` is
  the compute time of exactly that many (untraced): the same oracle scipy's count gets.
- asapgraph: ``time to 1e-6`` = ``RunStats.time_to_error(1e-6)`` of a run given the reference and
  a tol well past the target (the parent samples the error every ``trace_interval`` seconds, so the
  figure is late by at most one interval). Cross-check: ``compute @ tol`` = ``compute_seconds`` of a
  run without reference at the loosest tol (1e-9, 1e-10, …) whose final answer meets the target;
  it includes termination detection. MB, rounds and wait % come from that run too.
"""

from __future__ import annotations

import argparse
import csv
import gc
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from common import (
    fmt,
    markdown_table,
    median,
    median_time,
    ratio,
    ratio_line,
    spread,
    time_runs,
)
from threadpoolctl import threadpool_limits

import asapgraph
from asapgraph import Engine, Graph
from asapgraph.algorithms.pagerank import PageRank
from asapgraph.datasets.rmat import rmat_graph
from asapgraph.partition import Partitioning, partition

SNAP_DIR = Path("/work/shared/datasets/snap")
DAMPING = 0.85
TARGET = 1e-6  # L1 error to reach
REFERENCE_TOL = 1e-14  # L1 change at which the reference power iteration stops
STRAGGLER = {1: 3.0}
WORKER_COUNTS = (2, 4, 8)
ROUNDS_GRAPHS = ("email-Enron.txt.gz", "wiki-Vote.txt")  # no dangling vertices / 14% dangling
NX_TOLS = (1e-8, 1e-9, 1e-10, 1e-11, 1e-12)
LEGEND = """\
Time to 1e-6: asapgraph rows use `RunStats.time_to_error(1e-6)` of a run given the reference (tol
well past the target; error sampled by the parent every trace interval, so up to one interval
late); `compute @ tol` is `compute_seconds` of an untraced run at the loosest tol whose answer
meets 1e-6 (termination detection included); MB moved, rounds and wait % come from that run.
Baselines: scipy times the iterations needed, igraph one full solve, networkx the loosest tol that
meets 1e-6. Setup (graph conversion, partitioning + shared-memory layout) is never in the time.
Spread: slowest / fastest repeat. Ratios are time(A) / time(B): below 1, A reaches 1e-6 sooner."""


# ---------------------------------------------------------------------------------- graphs
def largest_snap(directory: Path = SNAP_DIR) -> Path:
    """The SNAP edge list with the most edges (MANIFEST.tsv counts, else the file size)."""
    manifest = directory / "MANIFEST.tsv"
    if manifest.exists():
        with manifest.open() as handle:
            rows = [r for r in csv.DictReader(handle, delimiter="\t")
                    if r["edge_lines_counted"] and (directory / r["file"]).exists()]
        if rows:
            return directory / max(rows, key=lambda r: int(r["edge_lines_counted"]))["file"]
    files = [p for p in directory.glob("*.txt*") if "labels" not in p.name]
    return max(files, key=lambda p: p.stat().st_size)


def dense_edges(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Source and target dense ids of every edge."""
    return np.repeat(np.arange(graph.n), np.diff(graph.indptr)), graph.indices


# ---------------------------------------------------------------------------------- scipy
class PowerIteration:
    """networkx's PageRank iteration on a scipy CSR matrix; dangling mass spread uniformly."""

    def __init__(self, graph: Graph, damping: float = DAMPING) -> None:
        n = self.n = graph.n
        pull = graph.unweighted.transpose  # row v lists the sources of edges into v
        out = graph.out_degree.astype(np.float64)
        factor = np.divide(damping, out, out=np.zeros(n), where=out > 0)
        index = np.int32 if pull.indices.size < 2**31 else np.int64
        self.matrix = sp.csr_array(
            (factor[pull.indices], pull.indices.astype(index), pull.indptr.astype(index)),
            shape=(n, n),
        )
        self.dangling = np.flatnonzero(out == 0)
        self.damping = damping

    def step(self, x: np.ndarray) -> np.ndarray:
        """One iteration: x ← d·Pᵀx + (d·dangling mass + 1 − d)/n."""
        y = self.matrix @ x
        y += (self.damping * x[self.dangling].sum() + 1.0 - self.damping) / self.n
        return y

    def start(self) -> np.ndarray:
        """The uniform start vector."""
        return np.full(self.n, 1.0 / self.n)

    def run(self, iterations: int) -> np.ndarray:
        """``iterations`` steps from the uniform start."""
        x = self.start()
        for _ in range(iterations):
            x = self.step(x)
        return x

    def solve(self, tol: float, max_iter: int = 10_000) -> tuple[np.ndarray, int]:
        """Iterate until one step changes x by less than ``tol`` (L1)."""
        x = self.start()
        for k in range(1, max_iter + 1):
            y = self.step(x)
            if np.abs(y - x).sum() < tol:
                return y / y.sum(), k
            x = y
        raise RuntimeError(f"power iteration did not reach {tol} in {max_iter} iterations")

    def iterations_to(self, reference: np.ndarray, target: float, max_iter: int = 10_000) -> int:
        """The first iteration count whose result is within ``target`` (L1) of the reference."""
        x = self.start()
        for k in range(1, max_iter + 1):
            x = self.step(x)
            if l1(x / x.sum(), reference) <= target:
                return k
        raise RuntimeError(f"power iteration did not reach error {target}")

    def jacobi_iterations_to(self, reference: np.ndarray, target: float,
                             max_iter: int = 10_000) -> int:
        """Iterations of y ← (1 − d)/n + d·Pᵀy (dangling rows empty: asapgraph's linear-system
        form, normalised only at the end) until y/sum(y) is within ``target`` of the reference."""
        y = self.start()
        for k in range(1, max_iter + 1):
            y = self.matrix @ y + (1.0 - self.damping) / self.n
            if l1(y / y.sum(), reference) <= target:
                return k
        raise RuntimeError(f"linear-system iteration did not reach error {target}")


def l1(x: np.ndarray, y: np.ndarray) -> float:
    """L1 distance."""
    return float(np.abs(x - y).sum())


# ---------------------------------------------------------------------------------- rows
@dataclass
class Row:
    """One configuration's medians (None where the figure does not apply)."""

    name: str
    time: float | None
    setup: float | None = None
    crosscheck: float | None = None
    tol: float | None = None
    mb: float | None = None
    mb_received: float | None = None
    messages: float | None = None
    rounds: tuple[float, float, float] | None = None
    wait: float | None = None
    workers: int = 1
    mode: str = ""
    fan_in: str = ""
    straggler: bool = False
    note: str = ""
    per_round: float | None = None
    spread: float | None = None  # slowest / fastest repeat of the time to 1e-6
    busy: dict[str, float] = field(default_factory=dict)


@dataclass
class Config:
    """One asapgraph configuration."""

    workers: int
    mode: str
    fan_in: int | None
    straggler: bool

    @property
    def label(self) -> str:
        """Readable name, e.g. ``asap(fan_in 1) P=4 3x straggler``."""
        if self.workers == 1:
            return "asapgraph 1 worker"
        kind = "bsp" if self.mode == "bsp" else f"asap(fan_in {self.fan_in or 'all'})"
        return f"{kind} P={self.workers}" + (" 3x straggler" if self.straggler else "")


def configs(worker_counts: tuple[int, ...]) -> list[Config]:
    """1 worker, then BSP and ASAP (fan_in all, 1, 2) per worker count, without/with straggler."""
    out = [Config(1, "bsp", None, False)]
    for P in worker_counts:
        for slow in (False, True):
            out += [Config(P, "bsp", None, slow), Config(P, "asap", None, slow),
                    Config(P, "asap", 1, slow)]
            if P >= 4:
                out.append(Config(P, "asap", 2, slow))
    return out


# ---------------------------------------------------------------------------------- baselines
def bench_scipy(graph: Graph, reference: np.ndarray, repeat: int) -> Row:
    """Power iteration: find the iteration count once, then time that many iterations."""
    began = time.perf_counter()
    solver = PowerIteration(graph)
    setup = time.perf_counter() - began
    k = solver.iterations_to(reference, TARGET)
    times, x = time_runs(lambda: solver.run(k), repeat)
    seconds = statistics.median(times)
    error = l1(x / x.sum(), reference)
    jacobi = solver.jacobi_iterations_to(reference, TARGET)
    return Row("scipy power iteration, 1 process", seconds, setup=setup, spread=spread(times),
               rounds=(k, k, k), per_round=seconds / k,
               note=f"{k} iterations, error {error:.1e}; linear-system Jacobi needs {jacobi}")


def bench_igraph(graph: Graph, reference: np.ndarray, repeat: int) -> Row | None:
    """igraph PRPACK: one call, which solves to ~1e-12."""
    try:
        import igraph
    except ImportError:
        return None
    began = time.perf_counter()
    src, dst = dense_edges(graph)
    g = igraph.Graph(n=graph.n, directed=True)
    g.add_edges(np.column_stack([src, dst]).astype(np.int32))
    setup = time.perf_counter() - began
    times, ranks = time_runs(lambda: g.pagerank(directed=True, damping=DAMPING), repeat)
    ranks = np.asarray(ranks)
    error = l1(ranks / ranks.sum(), reference)
    return Row("igraph pagerank (PRPACK), 1 process", statistics.median(times), setup=setup,
               spread=spread(times),
               note=f"error {error:.2e}")


def networkx_graph(graph: Graph):
    """A networkx DiGraph on the dense ids (built outside any timing)."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(range(graph.n))
    src, dst = dense_edges(graph)
    g.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    return g


def nx_ranks(g, n: int, tol: float) -> np.ndarray:
    """networkx.pagerank as an array by dense id."""
    import networkx as nx

    ranks = nx.pagerank(g, alpha=DAMPING, tol=tol, max_iter=10_000)
    return np.fromiter((ranks[v] for v in range(n)), dtype=np.float64, count=n)


def bench_networkx(g, graph: Graph, reference: np.ndarray, repeat: int, setup: float) -> Row:
    """networkx at the loosest tol whose answer meets the target."""
    tried = []
    for tol in NX_TOLS:
        began = time.perf_counter()
        error = l1(nx_ranks(g, graph.n, tol), reference)
        first = time.perf_counter() - began
        tried.append(f"tol {tol:g}: {error:.1e}")
        if error <= TARGET:
            rest = time_runs(lambda t=tol: nx_ranks(g, graph.n, t), repeat - 1)[0] \
                if repeat > 1 else []
            times = [first, *rest]
            return Row("networkx.pagerank, 1 process", statistics.median(times),
                       setup=setup, tol=tol, spread=spread(times), note="; ".join(tried))
    return Row("networkx.pagerank, 1 process", None, setup=setup, note="; ".join(tried))


# ---------------------------------------------------------------------------------- rounds
@dataclass
class Rounds:
    """Fewest BSP supersteps to the target, and the median compute time of that many."""

    workers: int
    rounds: int
    time: float


def bsp_rounds(graph: Graph, reference: np.ndarray, workers: int, repeat: int) -> Rounds:
    """Bisect ``max_iter`` for the fewest BSP supersteps whose answer meets the target."""
    parts = partition(PageRank().matrix(graph), workers)
    with Engine(workers) as engine:

        def run(rounds: int) -> tuple[float, float]:
            program = PageRank(tol=1e-15, max_iter=rounds)  # stops at max_iter, not on tol
            outcome = engine.run(program, graph, partitioning=parts, mode="bsp")
            error = l1(program.finish(outcome.state, graph), reference)
            return error, outcome.stats.compute_seconds

        low, high = 0, 8
        while run(high)[0] > TARGET:
            low, high = high, 2 * high
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if run(middle)[0] > TARGET else (low, middle)
        return Rounds(workers, high, statistics.median(run(high)[1] for _ in range(repeat)))


def rounds_lines(scipy: Row, found: list[Rounds]) -> list[str]:
    """``asapgraph bsp 2w vs scipy: 0.71x time, 1.1x iterations`` per worker count."""
    iterations = scipy.rounds[0] if scipy.rounds else None
    lines = [f"asapgraph bsp {r.workers}w vs scipy: {ratio(r.time, scipy.time)} time, "
             f"{ratio(r.rounds, iterations)} iterations ({r.rounds} rounds, {iterations} "
             f"iterations; {r.time:.3f} s, {fmt(scipy.time)} s)" for r in found]
    by_workers = {r.workers: r for r in found}
    if 1 in by_workers and 2 in by_workers:
        lines.append(ratio_line("asapgraph bsp 2w", "1w", by_workers[2].time, by_workers[1].time,
                                " (same rounds oracle)"))
    return lines


def rounds_only(path: Path, repeat: int, log: Callable[[str], None]) -> str:
    """scipy's iterations and BSP's rounds (1 and 2 workers) to the target on one graph."""
    graph = asapgraph.read_edgelist(path)
    with threadpool_limits(limits=1):
        reference, _ = PowerIteration(graph).solve(REFERENCE_TOL)
        scipy = bench_scipy(graph, reference, repeat)
    found = [bsp_rounds(graph, reference, workers, repeat) for workers in (1, 2)]
    dangling = float(np.mean(graph.out_degree == 0))
    title = (f"### Rounds to L1 error {TARGET:g}: {path.name} (n={graph.n:,}, m={graph.m:,}, "
             f"{100 * dangling:.0f}% dangling; load {os.getloadavg()[0]:.1f})")
    log(title)
    return "\n".join([title, "", *rounds_lines(scipy, found)])


# ---------------------------------------------------------------------------------- asapgraph
def sample_interval(graph: Graph, reference: np.ndarray) -> float:
    """A trace interval at which the parent's error sampling costs ~10% of one core.

    The engine's sample gathers every part's values, finishes them and takes the error; a BSP
    run on as many workers as cores loses that core time at every barrier, so it must stay small.
    """
    program = PageRank()
    parts = partition(program.matrix(graph), 2)
    local = [np.ones(part.n_local) for part in parts.parts]
    cost, _ = median_time(
        lambda: l1(program.finish(parts.gather(local, graph.n), graph), reference), 5)
    return float(min(0.25, max(0.003, 10 * cost)))


def tol_ladder(n: int) -> list[float]:
    """Decades from 1e-9 (or from where n·tol nears the target) down to 1e-15."""
    top = min(-9, math.ceil(math.log10(10 * TARGET / n)))
    return [10.0 ** e for e in range(top, -16, -1)]


def asap_runs(graph: Graph, reference: np.ndarray, cfgs: list[Config], repeat: int,
              interval: float, log: Callable[[str], None]) -> list[Row]:
    """Every configuration, one Engine per worker count, repeats interleaved across configs."""
    trace_tol = min(1e-12, 0.1 * TARGET / graph.n)  # the traced run goes on past the target
    ladder = tol_ladder(graph.n)
    matrix = PageRank().matrix(graph)
    rows = []
    for P in sorted({c.workers for c in cfgs}):
        mine = [c for c in cfgs if c.workers == P]
        began = time.perf_counter()
        parts: Partitioning = partition(matrix, P)
        part_seconds = time.perf_counter() - began
        found = {c.label: 0 for c in mine}  # index into the ladder, kept across repeats
        samples: dict[str, list[dict]] = {c.label: [] for c in mine}
        with Engine(P) as engine:
            for rep in range(repeat):
                for c in mine:
                    options = {"engine": engine, "mode": c.mode, "fan_in": c.fan_in,
                               "straggler": STRAGGLER if c.straggler else None,
                               "partitioning": parts, "seed": rep}
                    traced = asapgraph.pagerank(graph, tol=trace_tol, reference=reference,
                                                trace_interval=interval, **options).stats
                    reach = traced.time_to_error(TARGET)
                    final = traced.trace[-1].error
                    while True:
                        tol = ladder[found[c.label]]
                        result = asapgraph.pagerank(graph, tol=tol, **options)
                        error = l1(result.values, reference)
                        if error <= TARGET or found[c.label] == len(ladder) - 1:
                            break
                        found[c.label] += 1
                    s = result.stats
                    w = s.per_worker
                    samples[c.label].append({
                        "time": reach, "final": final, "compute": s.compute_seconds, "tol": tol,
                        "error": error, "setup": s.setup_seconds, "bytes": s.bytes,
                        "received": s.bytes_received, "messages": s.messages,
                        "rounds": s.rounds, "wait": s.wait_share,
                        "work": sum(x.compute for x in w), "merge": sum(x.merge for x in w),
                        "waited": sum(x.wait + x.idle for x in w),
                    })
                    log(f"  {c.label:<36} rep {rep + 1}: to 1e-6 {fmt(reach)} s (final error "
                        f"{final:.1e}); tol {tol:g}: {s.compute_seconds:.3f} s, error "
                        f"{error:.1e}, rounds {s.rounds}, {s.bytes / 1e6:.1f} MB")
        for c in mine:
            got = samples[c.label]
            rounds = tuple(statistics.median(g["rounds"][i] for g in got) for i in range(3))
            compute = median([g["compute"] for g in got])
            worst = max(g["final"] for g in got)
            total = sum(got[-1][k] for k in ("work", "merge", "waited")) or 1.0
            rows.append(Row(
                c.label, median([g["time"] for g in got]),
                spread=spread([g["time"] for g in got]),
                setup=part_seconds + median([g["setup"] for g in got]),
                crosscheck=compute, tol=max(g["tol"] for g in got),
                mb=median([g["bytes"] for g in got]) / 1e6,
                mb_received=median([g["received"] for g in got]) / 1e6,
                messages=median([g["messages"] for g in got]),
                rounds=rounds, wait=median([g["wait"] for g in got]),
                workers=P, mode=c.mode, fan_in=str(c.fan_in or "all"), straggler=c.straggler,
                per_round=compute / rounds[2] if compute and rounds[2] else None,
                busy={k: got[-1][k] / total for k in ("work", "merge", "waited")},
                note="" if worst <= TARGET else f"FINAL ERROR {worst:.1e} > target",
            ))
    return rows


# ---------------------------------------------------------------------------------- report
def find(rows: list[Row], workers: int, mode: str, fan_in: str, straggler: bool) -> Row | None:
    """The asapgraph row of one configuration."""
    for r in rows:
        if (r.workers, r.mode, r.fan_in, r.straggler) == (workers, mode, fan_in, straggler):
            return r
    return None


def report(title: str, baselines: list[Row], rows: list[Row], found: list[Rounds]) -> str:
    """The Markdown table, the ratio lines and the fan_in trade-off for one graph."""
    scipy_time = baselines[0].time
    out = [f"### {title}", ""]
    table = []
    for r in baselines + rows:
        bsp = find(rows, r.workers, "bsp", "all", r.straggler) if r.mode else None
        rounds = "—" if r.rounds is None else "/".join(f"{x:g}" for x in r.rounds)
        table.append([
            r.name, fmt(r.time), fmt(r.spread, 2), ratio(r.time, scipy_time),
            ratio(r.time, bsp.time) if bsp is not None and r.workers > 1 else "—",
            "—" if r.crosscheck is None else f"{r.crosscheck:.3g} (tol {r.tol:g})",
            fmt(r.mb), rounds, "—" if r.wait is None else f"{100 * r.wait:.0f}",
            fmt(r.setup), r.note,
        ])
    out.append(markdown_table(
        ["configuration", "time to 1e-6 [s]", "spread", "vs scipy", "vs bsp (same P, straggler)",
         "compute @ tol [s] (cross-check)", "MB moved", "rounds min/med/max", "wait %",
         "setup [s]", "notes"], table))
    out += ["", LEGEND, ""]
    out += rounds_lines(baselines[0], found)
    out += ratio_lines(baselines, rows)
    out += ["", "Stochastic reduce trade-off (ASAP, fan_in 1 / 2 / all):", ""]
    trade = []
    for r in rows:
        if r.mode == "asap":
            trade.append([r.name, fmt(r.time), fmt(r.crosscheck), fmt(r.mb),
                          fmt(r.mb_received), fmt(r.messages, 6),
                          "/".join(f"{x:g}" for x in r.rounds or ())])
    out.append(markdown_table(["configuration", "time to 1e-6 [s]", "compute @ tol [s]",
                               "MB sent", "MB merged", "messages", "rounds"], trade))
    out += ["", "Where the time goes (runs at the cross-check tol, no straggler):", ""]
    diag = []
    per_iter = baselines[0].per_round
    for r in rows:
        if r.straggler:
            continue
        diag.append([r.name, fmt(r.per_round), ratio(r.per_round, per_iter),
                     f"{100 * r.busy.get('work', 0):.0f}", f"{100 * r.busy.get('merge', 0):.0f}",
                     f"{100 * r.busy.get('waited', 0):.0f}", fmt(r.setup)])
    out.append(markdown_table(["configuration", "s per round (slowest worker)",
                               "vs scipy s/iteration", "step %", "merge %", "wait+idle %",
                               "setup [s]"], diag))
    return "\n".join(out)


def ratio_lines(baselines: list[Row], rows: list[Row]) -> list[str]:
    """``A vs B: 0.71x`` lines for the comparisons that matter."""
    by_name = {b.name.split()[0].split(".")[0]: b for b in baselines}
    scipy_time = by_name["scipy"].time
    lines = []
    one = find(rows, 1, "bsp", "all", False)
    free = [r for r in rows if not r.straggler and r.time is not None]
    best = min(free, key=lambda r: r.time) if free else None
    if one is not None:
        lines.append(ratio_line("asapgraph 1 worker", "scipy 1 process", one.time, scipy_time))
    for P in WORKER_COUNTS:
        mine = [r for r in free if r.workers == P]
        if not mine:
            continue
        fastest = min(mine, key=lambda r: r.time)
        lines.append(ratio_line(f"asapgraph {P} workers", "scipy 1 process", fastest.time,
                                scipy_time, f" (best: {fastest.name})"))
    for P in WORKER_COUNTS:
        for slow in (False, True):
            bsp = find(rows, P, "bsp", "all", slow)
            for fan in ("all", "2", "1"):
                r = find(rows, P, "asap", fan, slow)
                if r is None or bsp is None:
                    continue
                where = f", {P} workers" + (", 3x straggler" if slow else "")
                lines.append(ratio_line(f"asap(fan_in {fan})", "bsp", r.time, bsp.time, where))
            asap = [r for r in rows if (r.workers, r.mode, r.straggler) == (P, "asap", slow)
                    and r.time is not None]
            if asap and bsp is not None:
                best = min(asap, key=lambda r: r.time)
                lines.append(ratio_line(f"asap best fan_in ({best.fan_in})", "bsp", best.time,
                                        bsp.time, f", {P} workers" + (", 3x straggler"
                                                                      if slow else "")))
    for name in ("igraph", "networkx"):
        base = by_name.get(name)
        if base is None or base.time is None or best is None:
            continue
        lines.append(ratio_line(f"asapgraph (best: {best.name})", name, best.time, base.time,
                                f" ({name} takes {base.time / best.time:.1f}x as long)"))
        if one is not None:
            lines.append(ratio_line("asapgraph 1 worker", name, one.time, base.time))
    return lines


# ---------------------------------------------------------------------------------- main
def bench_graph(title: str, graph: Graph, args: argparse.Namespace, with_networkx: bool,
                log: Callable[[str], None]) -> str:
    """Reference, baselines and asapgraph runs on one graph; returns its report."""
    log(f"== {title}: {graph!r}")
    load = os.getloadavg()[0]
    began = time.perf_counter()
    with threadpool_limits(limits=1):  # one-process baselines: one BLAS/OpenMP thread, fairly
        reference, k = PowerIteration(graph).solve(REFERENCE_TOL)
        log(f"reference: scipy power iteration, {k} iterations to L1 change < {REFERENCE_TOL:g} "
            f"({time.perf_counter() - began:.1f} s)")
        baselines = [bench_scipy(graph, reference, args.repeat)]
        log(f"scipy: {baselines[0].time:.4f} s, {baselines[0].note}")
        igraph_row = bench_igraph(graph, reference, args.repeat)
        if igraph_row is not None:
            baselines.append(igraph_row)
            log(f"igraph: {igraph_row.time:.4f} s, {igraph_row.note} (cross-check)")
        if with_networkx:
            began = time.perf_counter()
            g = networkx_graph(graph)
            nx_setup = time.perf_counter() - began
            check = l1(nx_ranks(g, graph.n, 1e-12), reference)
            log(f"networkx.pagerank(tol=1e-12) vs reference: L1 {check:.2e} (cross-check)")
            baselines.append(bench_networkx(g, graph, reference, args.repeat, nx_setup))
            log(f"networkx: {fmt(baselines[-1].time)} s at tol {baselines[-1].tol}; "
                f"{baselines[-1].note}")
            del g
        found = [bsp_rounds(graph, reference, workers, args.repeat) for workers in (1, 2)]
        for r in found:
            log(f"bsp {r.workers}w: {r.rounds} rounds to {TARGET:g} in {r.time:.3f} s")
    gc.collect()
    interval = args.trace_interval or sample_interval(graph, reference)
    log(f"asapgraph: trace interval {interval:.3f} s, tol ladder from {tol_ladder(graph.n)[0]:g}")
    rows = asap_runs(graph, reference, configs(tuple(args.workers)), args.repeat, interval, log)
    machine = (f"{os.cpu_count()} cores, load average {load:.1f} at start / "
               f"{os.getloadavg()[0]:.1f} at end; median of {args.repeat}; trace interval "
               f"{1000 * interval:.0f} ms")
    return report(f"{title}: n={graph.n:,}, m={graph.m:,} ({machine})", baselines, rows, found)


def main(argv: list[str] | None = None) -> None:
    """Parse options, run both graphs, print the reports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", type=Path, help="SNAP edge list (default: largest in snap/)")
    parser.add_argument("--rmat-scale", type=int, default=20)
    parser.add_argument("--edge-factor", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="R-MAT scale 16, repeat 1")
    parser.add_argument("--with-networkx", action="store_true",
                        help="also time networkx on the R-MAT graph (slow)")
    parser.add_argument("--workers", type=int, nargs="+", default=list(WORKER_COUNTS))
    parser.add_argument("--trace-interval", type=float, default=None,
                        help="seconds between error samples (default: from the graph size)")
    parser.add_argument("--skip-snap", action="store_true")
    parser.add_argument("--skip-rmat", action="store_true")
    parser.add_argument("--rounds-graphs", nargs="*", default=list(ROUNDS_GRAPHS),
                        help="SNAP files (in the shared folder) for the rounds table only")
    args = parser.parse_args(argv)
    if args.quick:
        args.rmat_scale, args.repeat = 16, 1

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    reports = [rounds_only(SNAP_DIR / name, args.repeat, log) for name in args.rounds_graphs]
    if not args.skip_snap:
        path = args.graph or largest_snap()
        began = time.perf_counter()
        graph = asapgraph.read_edgelist(path)
        log(f"read {path} in {time.perf_counter() - began:.2f} s")
        reports.append(bench_graph(path.name, graph, args, True, log))
    if not args.skip_rmat:
        began = time.perf_counter()
        graph = rmat_graph(args.rmat_scale, args.edge_factor)
        log(f"R-MAT scale {args.rmat_scale} generated in {time.perf_counter() - began:.1f} s")
        reports.append(bench_graph(f"R-MAT scale {args.rmat_scale}, edge factor "
                                   f"{args.edge_factor}", graph, args, args.with_networkx, log))
    print("\n\n".join(reports))


if __name__ == "__main__":
    main()
