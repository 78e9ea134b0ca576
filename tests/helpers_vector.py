"""A vector-state test program: ``width`` independent least-value propagations at once.

Column j of a vertex ends with the least start value of column j in its weak component, so the
reference is scipy's components and a group-by minimum. Importable by the MPI script tests too.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.sparse.csgraph import connected_components

from asapgraph.graph import Graph
from asapgraph.program import Block, RowChunk, VertexProgram


def starts(vertices: np.ndarray, width: int, n: int) -> np.ndarray:
    """Column j's start value of each vertex: a different permutation of ids per column."""
    columns = np.arange(1, width + 1)
    return (vertices[:, None] * (2 * columns + 1) + 7 * columns) % max(n, 1)


class ColumnMinimum(VertexProgram):
    """Each column moves its least value across edges (combine ``min``), one hop per step."""

    name: ClassVar[str] = "column_minimum"
    dtype: ClassVar[type] = np.int64
    combine: ClassVar[str] = "min"
    must_converge: ClassVar[bool] = False  # the tests cap rounds on purpose

    def __init__(self, width: int, max_iter: int = 1000) -> None:
        self.width, self.max_iter = width, max_iter

    def matrix(self, graph: Graph) -> Graph:
        return graph.symmetric

    def init(self, block: Block) -> np.ndarray:
        values = starts(block.vertices, self.width, block.n_total)
        return values.reshape(len(values), *self.value_shape)

    def step(self, block: Block, values: np.ndarray, chunk: RowChunk) -> np.ndarray:
        rows = values[chunk.lo : chunk.hi]
        least = rows.copy()
        np.minimum.at(least, chunk.row_of_entry, values[chunk.indices])
        changed = np.count_nonzero(least != rows, axis=0).astype(np.float64)
        values[chunk.lo : chunk.hi] = least
        return changed

    def converged(self, total_change, total_norm, n_total: int) -> bool:
        assert np.shape(total_change) == self.value_shape  # summed column by column
        return bool(np.all(total_change == 0))


def expected(graph: Graph, width: int) -> np.ndarray:
    """The reference: per column, the least start value over each weak component."""
    _, labels = connected_components(graph.to_scipy(), directed=True, connection="weak")
    values = starts(np.arange(graph.n), width, graph.n)
    least = np.full((labels.max() + 1, width), np.iinfo(np.int64).max)
    np.minimum.at(least, labels, values)
    return least[labels]
