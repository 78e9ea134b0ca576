"""Every rank cuts the same row blocks but builds only its own part.

``partition()`` builds all P parts in one process. A rank needs only its own: its rows, its ghosts,
and the pack lists of the values it sends — which only the receivers know. So every rank computes
the same vertex order and cut positions (O(n), from the row lengths alone), builds its part from
its own rows (a memory-mapped matrix is read there and nowhere else), and one ``alltoall`` tells
each rank, per receiver, which of its vertices that receiver holds as ghosts. The part equals
``partition(matrix, P, order=..., seed=...).parts[rank]``, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mpi4py import MPI

from asapgraph.graph import Graph
from asapgraph.partition import Part, Partitioning, _build_part, balanced_bounds, vertex_order


@dataclass
class RankLayout:
    """This rank's part, the cut every rank agrees on, and the size of every mailbox."""

    part: Part
    order: np.ndarray  # order[k] = dense vertex at position k
    bounds: np.ndarray  # rank p owns positions bounds[p]:bounds[p+1]
    incoming: list[dict[int, int]]  # for each rank p: {q: entries of mailbox q -> p}


def own_part(comm: MPI.Comm, matrix: Graph, order: str, seed: int) -> RankLayout:
    """Build this rank's part of ``matrix`` cut into one block per rank, as ``partition`` would."""
    rank, size, n = comm.Get_rank(), comm.Get_size(), matrix.n
    positions = vertex_order(matrix, order, seed)
    position_of = np.empty(n, dtype=np.int64)
    position_of[positions] = np.arange(n, dtype=np.int64)
    bounds = balanced_bounds(np.diff(matrix.indptr)[positions], size)
    owner = np.minimum(np.searchsorted(bounds, position_of, side="right") - 1, size - 1)
    part = _build_part(matrix, rank, positions[bounds[rank] : bounds[rank + 1]], position_of,
                       bounds, owner.astype(np.int64), np.full(n, -1, dtype=np.int64))
    # Tell each owner q which of its local vertices this rank's ghosts are, in slot order.
    wanted = [
        position_of[part.ghosts[part.recv[q]]] - bounds[q] if q in part.recv
        else np.empty(0, dtype=np.int64)
        for q in range(size)
    ]
    asked = comm.alltoall(wanted)
    part.send = {p: local.astype(np.int64) for p, local in enumerate(asked) if local.size}
    incoming = comm.allgather({q: slots.size for q, slots in part.recv.items()})
    return RankLayout(part, positions, bounds, incoming)


def given_part(comm: MPI.Comm, partitioning: Partitioning) -> RankLayout:
    """This rank's part of a partitioning every rank already holds."""
    return RankLayout(
        partitioning.parts[comm.Get_rank()], partitioning.order, partitioning.bounds,
        [{q: slots.size for q, slots in part.recv.items()} for part in partitioning.parts],
    )
