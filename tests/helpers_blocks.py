"""Run a vertex program over P blocks in this process: the engine's data flow, without processes.

Each round, every block merges the boundary values its in-neighbour parts send (through the
partition's ``send``/``recv`` lists and the program's combine), then steps over its chunks.
``jacobi`` merges what every part held at the end of the last round (BSP); ``gauss-seidel`` lets a
block read what the blocks before it computed this round. ``drop`` skips a seeded random share of
the messages (stochastic reduce: ghosts go stale); a round whose test passes after a lossy merge
is then repeated with a full merge before the run may stop (the engine's verification round).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from asapgraph.engine.blocks import block_from_part
from asapgraph.graph import Graph
from asapgraph.partition import partition
from asapgraph.program import VertexProgram, merge_into

ORDERS = ("jacobi", "gauss-seidel")


@dataclass
class BlockSolution:
    """Gathered state (dense vertex order) of a multi-block run, before ``finish``."""

    values: np.ndarray
    rounds: int
    converged: bool


def solve_blocks(
    program: VertexProgram,
    graph: Graph,
    parts: int,
    *,
    order: str = "jacobi",
    vertex_order: str = "none",
    chunks: int = 8,
    drop: float = 0.0,
    shuffle_seed: int = 0,
) -> BlockSolution:
    """Run ``program`` on ``parts`` blocks until it converges or hits ``max_iter`` rounds.

    ``shuffle_seed`` seeds the random vertex order and the dropped messages.
    """
    if order not in ORDERS:
        raise ValueError(f"Unknown order {order!r}; choose one of {', '.join(ORDERS)}.")
    partitioning = partition(program.matrix(graph), parts, order=vertex_order, seed=shuffle_seed)
    data = program.vertex_data(graph)
    blocks = [block_from_part(part, data) for part in partitioning.parts]
    values = [np.asarray(program.init(block), dtype=program.dtype) for block in blocks]
    row_chunks = [block.chunks(program.chunks or chunks) for block in blocks]
    rng = np.random.default_rng(shuffle_seed)
    sent = [value.copy() for value in values]  # what each part published last
    rounds, converged, full = 0, False, True
    while rounds < program.max_iter and not converged:
        lossless = full or drop == 0
        change = 0.0
        totals = sum(program.partials(b, v) for b, v in zip(blocks, values, strict=True))
        for p, part in enumerate(partitioning.parts):
            blocks[p].totals = totals.copy()  # a step may move its own copy
            for q, slots in part.recv.items():
                if lossless or rng.random() >= drop:
                    source = values[q] if order == "gauss-seidel" else sent[q]
                    incoming = source[partitioning.parts[q].send[p]]
                    merge_into(program.combine, values[p], part.n_local + slots, incoming)
            change += sum(program.step(blocks[p], values[p], c) for c in row_chunks[p])
        sent = [value.copy() for value in values]
        rounds += 1
        norm = sum(program.norm(block, value) for block, value in zip(blocks, values, strict=True))
        passed = program.converged(change, norm, graph.n)
        converged, full = passed and lossless, passed
    return BlockSolution(partitioning.gather(values, graph.n), rounds, converged)
