"""Every rank cuts the same row blocks but builds only its own part.

``partition()`` builds all P parts in one process. A rank needs only its own: its rows, its ghosts,
and the pack lists of the values it sends — which only the receivers know. So every rank computes
the same vertex order and cut positions (O(n), from the row lengths alone), builds its part from
its own rows (a memory-mapped matrix is read there and nowhere else), and one ``alltoall`` tells
each rank, per receiver, which of its vertices that receiver holds as ghosts. The part equals
``partition(matrix, P, order=..., seed=...).parts[rank]``, bit for bit.

The matrix itself comes from :func:`pull_matrix`: for a graph memory-mapped from the binary cache,
the program's transpose or symmetrised view is mapped from the cache too (built and stored once,
see ``asapgraph/io/cache.py``), so a rank touches only its own rows of ``indices``/``weights``
and no rank holds an O(m) view in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mpi4py import MPI

from asapgraph.engine.pull import probe_view
from asapgraph.graph import Graph
from asapgraph.io.cache import cached_view
from asapgraph.partition import Part, Partitioning, build_part, cut
from asapgraph.program import VertexProgram

ROOT = 0


def pull_matrix(comm: MPI.Comm, program: VertexProgram, graph: Graph) -> tuple[Graph, str]:
    """The matrix ``program`` pulls, and where it came from (see :func:`cached_view`).

    Rank 0 loads the view first, building and storing it if the cache lacks it; the others wait
    and then map what it stored. So a view is built once per cache entry, by one rank — not by
    every rank at once (P copies of O(m) on one node). Ranks that cannot see rank 0's cache
    (another node's disk) build and store their own; concurrent stores are safe. Every rank
    calls this (it holds a barrier). A program the probe does not recognise gets its
    ``program.matrix(graph)``, as before.
    """
    pulled = probe_view(program, graph)
    matrix, how = None, "program"
    if pulled is not None and pulled.view is None:
        matrix, how = (graph if pulled.weighted else graph.unweighted), "graph"
    elif pulled is not None and comm.Get_rank() == ROOT:
        matrix, how = cached_view(pulled.graph, pulled.view, weighted=pulled.weighted)
    comm.Barrier()
    if matrix is None and pulled is not None:
        matrix, how = cached_view(pulled.graph, pulled.view, weighted=pulled.weighted)
    if matrix is None:
        matrix = program.matrix(graph)
    return matrix, how


@dataclass
class RankLayout:
    """This rank's part, the cut every rank agrees on, and the size of every mailbox."""

    part: Part
    order: np.ndarray  # order[k] = dense vertex at position k
    bounds: np.ndarray  # rank p owns positions bounds[p]:bounds[p+1]
    incoming: list[dict[int, int]]  # for each rank p: {q: entries of mailbox q -> p}


def own_part(comm: MPI.Comm, matrix: Graph, order: str, seed: int) -> RankLayout:
    """Build this rank's part of ``matrix`` cut into one block per rank, as ``partition`` would."""
    rank, size = comm.Get_rank(), comm.Get_size()
    where = cut(matrix, size, order=order, seed=seed)
    part = build_part(matrix, rank, where)
    bounds = where.bounds
    # Tell each owner q which of its local vertices this rank's ghosts are, in slot order.
    wanted = [
        where.rank[part.ghosts[part.recv[q]]] - bounds[q] if q in part.recv
        else np.empty(0, dtype=np.int64)
        for q in range(size)
    ]
    asked = comm.alltoall(wanted)
    part.send = {p: local.astype(np.int64) for p, local in enumerate(asked) if local.size}
    incoming = comm.allgather({q: slots.size for q, slots in part.recv.items()})
    return RankLayout(part, where.positions, bounds, incoming)


def given_part(comm: MPI.Comm, partitioning: Partitioning) -> RankLayout:
    """This rank's part of a partitioning every rank already holds."""
    return RankLayout(
        partitioning.parts[comm.Get_rank()], partitioning.order, partitioning.bounds,
        [{q: slots.size for q, slots in part.recv.items()} for part in partitioning.parts],
    )
