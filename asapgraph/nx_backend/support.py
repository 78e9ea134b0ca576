"""Which calls the backend can answer as networkx would; the others go back to networkx.

networkx asks ``can_run(name, args, kwargs)`` before converting anything. A string answer is a
"no" with its reason, which networkx logs before it runs its own implementation (inside
networkx's test-suite it is an expected failure instead, see ``testing.py``). Only label
propagation has limits: asapgraph's counts each neighbour once, over both directions, while
networkx's variants weigh, count parallel edges, or read one direction.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from . import functions, testing


def can_run(name: str, args: tuple, kwargs: dict[str, Any]) -> bool | str:
    """True, or why asapgraph would not give networkx's answer for these arguments."""
    rule = RULES.get(name)
    if rule is None:
        return hasattr(functions, name)
    bound = inspect.signature(getattr(functions, name)).bind(*args, **kwargs)
    bound.apply_defaults()
    verdict = rule(**bound.arguments)
    return testing.refuse(name, verdict) if isinstance(verdict, str) else verdict


def _asyn_lpa(G: Any, weight: str | None, **_: Any) -> bool | str:
    if G.is_directed():
        return ("on a directed graph networkx's asyn_lpa counts out-neighbours only; "
                "asapgraph's label propagation reads both directions")
    if weight is not None:
        return _equal_weights(G, weight, parallel=False)
    return True


def _fast_lpa(G: Any, weight: str | None, **_: Any) -> bool | str:
    if G.is_multigraph() and _has_parallel_edges(G):
        return ("networkx's fast label propagation counts parallel edges; asapgraph counts each "
                "neighbour once")
    if G.is_directed() and not _uniform_reciprocity(G):
        return ("on a directed graph networkx's fast label propagation counts a two-way "
                "neighbour twice; asapgraph counts each neighbour once")
    if weight is not None:
        return _equal_weights(G, weight, parallel=True)
    return True


def _equal_weights(G: Any, weight: str, *, parallel: bool) -> bool | str:
    """Label counts are proportional to networkx's when every edge weighs the same (> 0)."""
    if not parallel and G.is_multigraph() and _has_parallel_edges(G):
        return "weighted parallel edges add up in networkx; asapgraph counts each neighbour once"
    weights = {w for *_, w in _original(G).edges(data=weight, default=1)}
    if len(weights) > 1 or any(w <= 0 for w in weights):
        return "asapgraph's label propagation does not weigh edges (only equal weights match)"
    return True


def _has_parallel_edges(G: Any) -> bool:
    graph = _original(G)
    return any(len(keys) > 1 for _, neighbours in graph.adjacency() for keys in
               neighbours.values())


def _uniform_reciprocity(G: Any) -> bool:
    """Every edge has its reverse, or none has (and no self-loops): then counts scale alike."""
    graph = _original(G)
    reverse = sum(1 for u, v in graph.edges() if u != v and graph.has_edge(v, u))
    loops = sum(1 for u, v in graph.edges() if u == v)
    return loops == 0 and reverse in (0, graph.number_of_edges())


def _original(G: Any) -> Any:
    """The networkx graph (networkx may ask about an already converted one)."""
    return getattr(G, "original", G)


RULES: dict[str, Callable[..., bool | str]] = {
    "asyn_lpa_communities": _asyn_lpa,
    "fast_label_propagation_communities": _fast_lpa,
}
