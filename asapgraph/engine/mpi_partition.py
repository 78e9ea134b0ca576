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
from typing import Any

import numpy as np
from mpi4py import MPI

from asapgraph.graph import Graph
from asapgraph.io.cache import View, cached_view
from asapgraph.partition import Part, Partitioning, build_part, cut
from asapgraph.program import VertexProgram

ROOT = 0


@dataclass(frozen=True)
class _Pulled:
    """What a probed ``program.matrix`` returned: view ``view`` of ``graph`` (or its unweighted)."""

    graph: Graph
    view: View | None  # None: the graph itself
    weighted: bool


class _ViewProbe:
    """Stands in for the graph while ``program.matrix`` says which view it pulls; builds nothing.

    ``VertexProgram`` has no attribute naming its view, and calling ``program.matrix(graph)``
    would build it (O(m)) — the very thing a rank must not do. The probe answers every attribute
    from the real graph except ``transpose``, ``symmetric`` and ``unweighted``, which return
    markers: the built-in programs (``graph.transpose``, ``graph.unweighted.transpose``,
    ``graph.symmetric``) are recognised, and a program that reads anything else simply gets it.
    """

    def __init__(self, graph: Graph, weighted: bool = True) -> None:
        self._graph = graph
        self._weighted = weighted

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph if self._weighted else self._graph.unweighted, name)

    @property
    def weighted(self) -> bool:
        """As ``graph.weighted``, or False once ``unweighted`` was taken."""
        return self._weighted and self._graph.weighted

    @property
    def unweighted(self) -> _ViewProbe:
        """A probe of ``graph.unweighted`` (still building nothing)."""
        return _ViewProbe(self._graph, weighted=False)

    @property
    def transpose(self) -> _Pulled:
        """The marker of ``graph.transpose``."""
        return _Pulled(self._graph, "transpose", self._weighted)

    @property
    def symmetric(self) -> _Pulled:
        """The marker of ``graph.symmetric``."""
        return _Pulled(self._graph, "symmetric", self._weighted)


def probe_view(program: VertexProgram, graph: Graph) -> _Pulled | None:
    """Which view of ``graph`` the program pulls, without building it; None if not recognised."""
    probe = _ViewProbe(graph)
    try:
        pulled = program.matrix(probe)  # type: ignore[arg-type]  (duck-typed on purpose)
    except Exception:  # a program that needs the real Graph: call it for real below
        return None
    if isinstance(pulled, _ViewProbe):
        return _Pulled(graph, None, pulled.weighted)
    return pulled if isinstance(pulled, _Pulled) else None


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
