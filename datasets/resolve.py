"""One string names any graph: a file path, ``snap:NAME`` or ``rmat:SCALE[:EDGEFACTOR[:SEED]]``.

So every command and benchmark takes real and generated graphs alike, and a SNAP graph is read
the way its catalogue entry says (undirected where the file stores both directions).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from asapgraph.datasets.fetch import entry_named, fetch
from asapgraph.datasets.rmat import DEFAULT_EDGE_FACTOR, DEFAULT_SEED, rmat_graph
from asapgraph.graph import Graph
from asapgraph.io import read_edgelist
from asapgraph.progress import LoadMeter, ProgressCallback

SPEC_FORMS = "a file path, snap:NAME or rmat:SCALE[:EDGEFACTOR[:SEED]]"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):(.*)\Z", re.DOTALL)


def resolve_graph(
    spec: str | os.PathLike,
    *,
    data_dir: str | os.PathLike | None = None,
    directed: bool | None = None,
    drop_self_loops: bool = False,
    base_url: str | None = None,
    cache: bool = True,
    cache_dir: str | os.PathLike | None = None,
    progress: ProgressCallback | None = None,
) -> Graph:
    """The graph ``spec`` names.

    ``directed`` overrides how edges are read (default: the file header for a path, the
    catalogue for ``snap:``, directed for ``rmat:``). ``snap:`` fetches into ``data_dir`` (see
    :func:`asapgraph.datasets.fetch.fetch`); ``cache``/``cache_dir`` go to the edge-list reader.
    A malformed spec raises ValueError; a path that does not exist, FileNotFoundError.
    ``progress`` hears the loading (:func:`asapgraph.io.load_edgelist`; for ``rmat:`` only
    its start and end).
    """
    text = os.fspath(spec)
    match = _SCHEME.match(text) if isinstance(spec, str) else None
    if match is None or Path(text).exists():
        return read_edgelist(text, directed=directed, drop_self_loops=drop_self_loops,
                             cache=cache, cache_dir=cache_dir, progress=progress)
    kind, rest = match.group(1).lower(), match.group(2)
    if kind == "snap":
        if not rest:
            raise ValueError(f"{text!r} names no dataset; write snap:NAME, e.g. snap:ca-GrQc.")
        entry = entry_named(rest)
        path = fetch(entry, data_dir=data_dir, base_url=base_url)
        return read_edgelist(
            path,
            directed=(not entry.undirected) if directed is None else directed,
            drop_self_loops=drop_self_loops,
            cache=cache,
            cache_dir=cache_dir,
            progress=progress,
        )
    if kind == "rmat":
        scale, edge_factor, seed = _rmat_numbers(text, rest)
        meter = None if progress is None else LoadMeter(progress, text, None)
        graph = rmat_graph(scale, edge_factor, seed=seed,
                           directed=True if directed is None else directed,
                           drop_self_loops=drop_self_loops)
        if meter is not None:
            meter.finish(0)
        return graph
    raise ValueError(f"{text!r} is not an existing file and {kind}: is no graph source; "
                     f"use {SPEC_FORMS}.")


def _rmat_numbers(text: str, rest: str) -> tuple[int, int, int]:
    """SCALE, EDGEFACTOR and SEED of an ``rmat:`` spec, defaults filled in."""
    fields = rest.split(":")
    if not 1 <= len(fields) <= 3 or not all(re.fullmatch(r"\d+", field) for field in fields):
        raise ValueError(f"{text!r} is not rmat:SCALE[:EDGEFACTOR[:SEED]] with whole numbers.")
    defaults = [DEFAULT_EDGE_FACTOR, DEFAULT_SEED][len(fields) - 1 :]
    scale, edge_factor, seed = [int(field) for field in fields] + defaults
    return scale, edge_factor, seed
