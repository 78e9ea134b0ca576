"""The read-only half of a run's shared memory: a partitioning's blocks, vertex maps and pack lists.

A partitioning is laid out once in a *static arena* — each part's rows in local columns, its
local vertex map (owned, then ghosts), each mailbox's pack and slot lists, and the cut itself —
and every run of an engine on the same graph, view and worker count maps it again; a run makes
only its values, mailboxes and control words (``engine._lay_out``). The static arena is either

- an anonymous memory file (``arena.Arena.create``: never a name in /dev/shm) for a graph built
  in memory, which the engine keeps open while it keeps the layout, or
- a file in the graph's binary cache (a graph memory-mapped from ``io/cache.py``): the partition
  is stored beside the graph, keyed by view, worker count and order, and mapped read-only by the
  parent and the workers alike, so its pages are in memory once, shared; a later process (the
  next ``asapgraph run``) skips partitioning altogether. Such a file is used only if this user
  alone can have written it, and after its checksums and structure are checked; otherwise the
  partition is computed again (one warning line).

Either way the parent reads the parts back as views of the mapping, so nothing graph-sized is
held twice while the run computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asapgraph.engine.arena import Arena, map_file, write_file
from asapgraph.engine.mailbox import Edge
from asapgraph.engine.pull import Pulled, probe_view
from asapgraph.engine.workers import edge_array, part_array
from asapgraph.graph import Graph
from asapgraph.io import cache
from asapgraph.io.cache_check import DamagedEntryError, check_checksums, checksums
from asapgraph.partition import VERTEX_COST, Part, Partitioning, partition
from asapgraph.program import VertexProgram

ARENA_FILE = "static.bin"


@dataclass
class StaticLayout:
    """A laid-out partitioning: its mapping, the parts as views of it, and the mailboxes.

    ``source`` says where it came from: ``built`` (partitioned here, laid out in an anonymous
    memory file), ``stored`` (partitioned here and stored in the graph cache) or ``cache``
    (mapped from there).
    """

    arena: Arena
    partitioning: Partitioning
    edges: tuple[Edge, ...]
    source: str

    def close(self) -> None:
        """Unmap (an anonymous memory file made here is closed too; a cache file stays)."""
        self.arena.close()


def lay_out_static(
    program: VertexProgram, graph: Graph, parts: int, *, order: str = "none", seed: int = 0,
    partitioning: Partitioning | None = None,
) -> StaticLayout:
    """The static layout of ``program``'s matrix of ``graph`` cut into ``parts``.

    A given ``partitioning`` is laid out in an anonymous memory file. Otherwise a graph mapped
    from the binary cache has its partition read from (or stored into) the cache, its pulled view
    mapped from there too when it has to be built; any other graph is partitioned here, in
    memory.
    """
    if partitioning is not None:
        return _in_memory(partitioning, "built")
    pulled = probe_view(program, graph)
    folder = cache.entry_folder(graph) if pulled is not None else None
    if folder is None or pulled is None:
        return _in_memory(partition(program.matrix(graph), parts, order=order, seed=seed),
                          "built")
    key = partition_key(pulled, graph, parts, order, seed)
    where = cache.partition_folder(folder, key)
    if not cache.partition_trusted(where):
        return _in_memory(partition(_pulled_matrix(pulled), parts, order=order, seed=seed),
                          "built")
    meta = cache.load_partition_meta(where, key)
    loaded = _from_folder(where, meta, "cache") if meta is not None else None
    if loaded is not None:
        return loaded
    built = partition(_pulled_matrix(pulled), parts, order=order, seed=seed)
    if cache.store_partition(where, key, lambda temp: _write(temp, built)):
        meta = cache.load_partition_meta(where, key)
        stored = _from_folder(where, meta, "stored") if meta is not None else None
        if stored is not None:
            return stored
    return _in_memory(built, "built")


def partition_key(pulled: Pulled, graph: Graph, parts: int, order: str,
                  seed: int) -> dict[str, object]:
    """What a stored partition depends on, beside the graph entry it is stored in."""
    return {"view": pulled.view or "graph", "weighted": pulled.weighted, "parts": parts,
            "order": order, "seed": seed if order == "random" else None,
            "vertex_cost": VERTEX_COST, "n": graph.n, "nnz": int(graph.indices.size)}


def _pulled_matrix(pulled: Pulled) -> Graph:
    if pulled.view is None:
        return pulled.graph if pulled.weighted else pulled.graph.unweighted
    return cache.cached_view(pulled.graph, pulled.view, weighted=pulled.weighted)[0]


def mailbox_edges(parts: list[Part]) -> tuple[Edge, ...]:
    """One mailbox q → p per ghost owner q of each part p, with its slots' offset."""
    edges, offset = [], 0
    for part in parts:
        for q in sorted(part.recv):
            size = part.recv[q].size
            edges.append(Edge(len(edges), q, part.index, offset, size))
            offset += size
    return tuple(edges)


def static_contents(partitioning: Partitioning) -> dict[str, np.ndarray]:
    """Every read-only array the workers and the parent share, by arena name."""
    parts = partitioning.parts
    contents = {"order": partitioning.order, "bounds": partitioning.bounds,
                "owner": partitioning.owner}
    for part in parts:
        arrays = {"indptr": part.indptr, "indices": part.indices, "weights": part.weights,
                  "vertices": np.concatenate([part.vertices, part.ghosts])}
        contents.update({part_array(part.index, name): array
                         for name, array in arrays.items() if array is not None})
    for edge in mailbox_edges(parts):
        receiver = parts[edge.receiver]
        contents[edge_array(edge.index, "pack")] = parts[edge.sender].send[edge.receiver]
        contents[edge_array(edge.index, "slots")] = receiver.n_local + receiver.recv[edge.sender]
    return contents


def _describe(partitioning: Partitioning) -> dict[str, object]:
    """The sizes that, with the arrays, give the partitioning back (see :func:`_read_back`)."""
    parts = partitioning.parts
    return {"n_total": parts[0].n_total if parts else 0,
            "n_local": [part.n_local for part in parts],
            "mailboxes": [[edge.sender, edge.receiver] for edge in mailbox_edges(parts)]}


def _in_memory(partitioning: Partitioning, source: str) -> StaticLayout:
    contents = static_contents(partitioning)
    arena = Arena.create({name: (a.dtype, a.shape) for name, a in contents.items()}, contents)
    return _read_back(arena, _describe(partitioning), source)


def _write(folder: Path, partitioning: Partitioning) -> dict[str, object]:
    contents = static_contents(partitioning)
    layout = write_file(folder / ARENA_FILE,
                        {name: (a.dtype, a.shape) for name, a in contents.items()}, contents)
    return {"size": layout.size, "arrays": layout.arrays, "checksums": checksums(contents),
            **_describe(partitioning)}


def _from_folder(folder: Path, meta: dict, source: str) -> StaticLayout | None:
    """The partition stored in ``folder``, mapped and checked; None (warned, removed) if damaged."""
    arena = None
    try:
        arrays = {name: (int(offset), str(dtype), tuple(int(s) for s in shape))
                  for name, (offset, dtype, shape) in meta["arrays"].items()}
        arena = map_file(folder / ARENA_FILE, int(meta["size"]), arrays)
        check_checksums(arena.arrays, meta["checksums"])
        static = _read_back(arena, meta, source)
        _check_structure(static.partitioning, int(meta["key"]["n"]))
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        if arena is not None:
            arena.close()
        cache.drop_partition(folder, error)
        return None
    return static


def _check_structure(partitioning: Partitioning, n: int) -> None:
    """Raise :class:`DamagedEntryError` unless every index a worker follows is in range.

    Checksums find damage; this finds a partition that could never have been computed (written
    by hand, or by another version): a row pointer or column out of range would read outside a
    part's arrays.
    """
    parts = partitioning.parts
    _within("order", partitioning.order, 0, n)
    _within("owner", partitioning.owner, 0, len(parts))
    bounds = partitioning.bounds
    if bounds.size != len(parts) + 1 or bounds[0] != 0 or bounds[-1] != n or (
            np.diff(bounds).min(initial=0) < 0):
        raise DamagedEntryError("bounds do not split the vertices into the parts")
    for part in parts:
        indptr, columns = part.indptr, part.n_local + part.n_ghost
        if indptr.size != part.n_local + 1 or indptr[0] != 0 or indptr[-1] != part.nnz or (
                np.diff(indptr).min(initial=0) < 0):
            raise DamagedEntryError(f"part {part.index}: indptr is not monotone to its nnz")
        if part.weights is not None and part.weights.size != part.nnz:
            raise DamagedEntryError(f"part {part.index}: weights do not match its edges")
        _within(f"part {part.index} indices", part.indices, 0, columns)
        _within(f"part {part.index} vertices", part.vertices, 0, n)
        _within(f"part {part.index} ghosts", part.ghosts, 0, n)
        for q, slots in part.recv.items():
            _within(f"mailbox {q}->{part.index} slots", slots, 0, part.n_ghost)
        for p, pack in part.send.items():
            _within(f"mailbox {part.index}->{p} pack", pack, 0, part.n_local)


def _within(what: str, array: np.ndarray, low: int, high: int) -> None:
    if array.size and (array.min() < low or array.max() >= high):
        raise DamagedEntryError(f"{what} lie outside [{low}, {high})")


def _read_back(arena: Arena, sizes: dict, source: str) -> StaticLayout:
    """The partitioning as views of ``arena`` (only the small recv lists are computed)."""
    n_total = int(sizes["n_total"])
    parts = []
    for p, n_local in enumerate(sizes["n_local"]):
        local = arena[part_array(p, "vertices")]
        weights = arena.arrays.get(part_array(p, "weights"))
        parts.append(Part(p, n_total, local[:n_local], arena[part_array(p, "indptr")],
                          arena[part_array(p, "indices")], weights, local[n_local:]))
    edges, offset = [], 0
    for sender, receiver in sizes["mailboxes"]:
        slots = arena[edge_array(len(edges), "slots")]
        parts[receiver].recv[sender] = slots - parts[receiver].n_local
        parts[sender].send[receiver] = arena[edge_array(len(edges), "pack")]
        edges.append(Edge(len(edges), sender, receiver, offset, slots.size))
        offset += slots.size
    partitioning = Partitioning(parts, arena["order"], arena["bounds"], arena["owner"])
    return StaticLayout(arena, partitioning, tuple(edges), source)
