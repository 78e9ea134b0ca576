"""Turn a partition's parts into the blocks a vertex program computes on."""

from __future__ import annotations

import numpy as np

from asapgraph.partition import Part
from asapgraph.program import Block


def local_vertices(part: Part) -> np.ndarray:
    """Dense global ids in the block's local layout: owned vertices, then ghosts."""
    return np.concatenate([part.vertices, part.ghosts])


def block_from_part(part: Part, vertex_data: dict[str, np.ndarray]) -> Block:
    """A block over ``part``'s arrays, with each global per-vertex array laid out locally."""
    vertices = local_vertices(part)
    return Block(
        index=part.index,
        n_local=part.n_local,
        n_ghost=part.n_ghost,
        n_total=part.n_total,
        indptr=part.indptr,
        indices=part.indices,
        weights=part.weights,
        vertices=vertices,
        data={name: array[vertices] for name, array in vertex_data.items()},
    )
