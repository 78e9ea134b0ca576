"""One process, no workers: a program solved on the whole graph as a single block.

This is the reference path of the engine (and what ``workers=1`` without processes means): the
same ``step`` the workers run, over the same chunks, until the program's convergence test holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from asapgraph.engine.blocks import block_from_part
from asapgraph.engine.rounds import DEFAULT_CHUNKS
from asapgraph.graph import Graph
from asapgraph.partition import partition
from asapgraph.program import VertexProgram


@dataclass
class LocalSolution:
    """Gathered state of a one-block run, before the program's ``finish``."""

    values: np.ndarray
    rounds: int
    converged: bool
    residual: float


def solve_local(
    program: VertexProgram, graph: Graph, *, chunks: int = DEFAULT_CHUNKS, sweeps: int = 1
) -> LocalSolution:
    """Run ``program`` on ``graph`` in this process until it converges or hits ``max_iter``."""
    matrix = program.matrix(graph)
    (part,) = partition(matrix, 1).parts
    block = block_from_part(part, program.vertex_data(graph))
    values = program.init(block)
    row_chunks = block.chunks(program.chunks or chunks)
    residual, rounds, converged = float("inf"), 0, False
    block.totals = program.partials(block, values)
    while rounds < program.max_iter and not converged:
        for _ in range(sweeps):
            residual = sum(program.step(block, values, chunk) for chunk in row_chunks)
        rounds += 1
        block.totals = program.partials(block, values)  # one block: the global scalars
        converged = program.converged(residual, program.norm(block, values), block.n_total)
    return LocalSolution(_gathered(values, part.vertices), rounds, converged,
                         float(np.sum(residual)))


def _gathered(values: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    out = np.empty((vertices.size, *values.shape[1:]), dtype=values.dtype)
    out[vertices] = values[: vertices.size]
    return out
