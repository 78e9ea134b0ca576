"""The library front of personalised PageRank for many seeds: one engine run, an n×k result."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from asapgraph.algorithms.personalized_pagerank import PersonalizedPageRank
from asapgraph.api import as_graph, execute
from asapgraph.engine.stats import RunStats
from asapgraph.graph import Graph

Seed = Hashable | Mapping[Hashable, float]


@dataclass
class PersonalizedRanks:
    """k personalised PageRank vectors: ``values[v, j]`` is vertex v's rank for seed j.

    Rows follow the graph's dense ids (``graph.ids[v]`` is vertex v's original id); each column
    sums to 1.
    """

    values: np.ndarray
    graph: Graph
    seeds: list[Seed]
    stats: RunStats

    @property
    def converged(self) -> bool:
        """Whether every column passed the tolerance when the run stopped."""
        return self.stats.converged

    def __len__(self) -> int:
        return len(self.seeds)

    def column(self, j: int) -> np.ndarray:
        """Seed j's ranks by dense id."""
        return self.values[:, j]

    def to_dict(self, j: int) -> dict[Hashable, float]:
        """Seed j's ranks as original vertex id → rank (networkx's return value)."""
        return dict(zip(self.graph.ids.tolist(), self.values[:, j].tolist(), strict=True))

    def top(self, count: int, j: int) -> list[tuple[Hashable, float]]:
        """Seed j's ``count`` best-ranked vertices, best first: (original id, rank)."""
        ranks = self.values[:, j]
        count = min(count, ranks.size)
        best = np.argpartition(-ranks, count - 1)[:count] if count else np.empty(0, int)
        best = best[np.lexsort((best, -ranks[best]))]  # ties by dense id, for repeatable output
        return list(zip(self.graph.ids[best].tolist(), ranks[best].tolist(), strict=True))


def teleport_matrix(graph: Graph, seeds: Sequence[Seed]) -> sp.csc_array:
    """Seeds (vertex ids, or dicts of id → weight) as an n×k sparse matrix of teleports."""
    if isinstance(seeds, (str, bytes, Mapping)) or not isinstance(seeds, Sequence):
        raise TypeError("seeds must be a list of vertex ids or of personalization dicts.")
    if not seeds:
        raise ValueError("seeds must hold at least one vertex or personalization.")
    rows, cols, data = [], [], []
    for j, seed in enumerate(seeds):
        if isinstance(seed, Mapping):
            ids = list(seed)
            rows.append(graph.dense_ids(ids))
            data.append(np.fromiter(seed.values(), dtype=np.float64, count=len(ids)))
        else:
            rows.append(graph.dense_ids([seed]))
            data.append(np.ones(1))
        cols.append(np.full(rows[-1].size, j))
    return sp.csc_array((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(graph.n, len(seeds)))


def personalized_pagerank(
    graph: Any,
    seeds: Sequence[Seed],
    *,
    damping: float = 0.85,
    tol: float = 1e-6,
    max_iter: int = 1000,
    weight: str | bool | None = "weight",
    **options: Any,
) -> PersonalizedRanks:
    """Personalised PageRank for every seed in one engine run (k values per boundary vertex).

    ``seeds`` is a list of vertices (original ids), each teleporting to itself, or of
    personalization dicts (original id → weight, missing ids 0). Column j equals
    ``networkx.pagerank(G, alpha=damping, personalization=seeds[j])`` (a vertex seed is
    ``{v: 1}``; dangling vertices jump like the personalization, networkx's default). ``tol``
    bounds each column's L1 error per vertex, as in :func:`asapgraph.pagerank`; the run stops
    when every column is within it. Raises :class:`~asapgraph.ConvergenceError` after
    ``max_iter`` rounds. Other options (workers, engine, mode, transport, ...): see
    :func:`asapgraph.run`.
    """
    graph = as_graph(graph, weight=weight if isinstance(weight, str) else None)
    program = PersonalizedPageRank(teleport_matrix(graph, seeds), damping, tol, max_iter,
                                   weighted=bool(weight))
    outcome = execute(program, graph, **options)
    return PersonalizedRanks(program.finish(outcome.state, graph), graph, list(seeds),
                             outcome.stats)
