"""A vertex program written outside the engine (docs/vertex-programs.md's example) runs unchanged
in both modes: adding an algorithm takes one module and nothing in the engine."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import asapgraph
from asapgraph.program import VertexProgram


class Levels(VertexProgram):
    """Hop distance from dense vertex `source` along edges (inf if unreachable); combine: min."""

    name, dtype, combine, must_converge = "levels", np.float64, "min", True

    def __init__(self, source: int, max_iter: int = 10_000) -> None:
        self.source, self.max_iter = source, max_iter

    def matrix(self, graph):
        return graph.transpose

    def init(self, block):
        return np.where(block.vertices == self.source, 0.0, np.inf)

    def step(self, block, values, chunk):
        rows = values[chunk.lo : chunk.hi]
        nearest = np.full(rows.size, np.inf)
        np.minimum.at(nearest, chunk.row_of_entry, values[chunk.indices] + 1)
        changed = np.count_nonzero(nearest < rows)
        np.minimum(rows, nearest, out=rows)
        return float(changed)

    def converged(self, total_change, total_norm, n_total):
        return total_change == 0


@pytest.mark.parametrize(("mode", "fan_in"), [("bsp", None), ("asap", 1), ("asap", None)])
def test_levels_equal_networkx(mode: str, fan_in: int | None) -> None:
    reference_graph = nx.gnp_random_graph(400, 0.006, seed=5, directed=True)
    graph = asapgraph.Graph.from_networkx(reference_graph)
    source = int(graph.dense_ids([0])[0])
    result = asapgraph.run(Levels(source), graph, workers=3, mode=mode, fan_in=fan_in,
                           straggler={1: 2.0})
    expected = nx.single_source_shortest_path_length(reference_graph, 0)
    got = result.to_dict()
    assert {v for v, level in got.items() if np.isfinite(level)} == set(expected)
    assert all(got[v] == level for v, level in expected.items())
    assert result.stats.converged
