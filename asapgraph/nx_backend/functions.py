"""The networkx functions asapgraph implements, with networkx's signatures and semantics.

Each takes the :class:`BackendGraph` networkx converted, runs the library on the shared engine
with the configured options, and answers in networkx's types: dicts of floats, generators or
views of sets, ints and bools, and networkx's exceptions. Which inputs each can match is decided
before the call, in ``support.py``.
"""

from __future__ import annotations

import random
from collections.abc import Generator, Hashable, Iterable, Mapping
from typing import Any

import networkx as nx

from asapgraph import api
from asapgraph.errors import ConvergenceError

from .backend_graph import BackendGraph
from .engines import shared_engine

SEED_BITS = 31  # asapgraph's label propagation takes a non-negative int seed


def run_options() -> dict[str, Any]:
    """Engine options from ``nx.config.backends.asapgraph`` (checked where they are used)."""
    config = nx.config.backends.asapgraph
    return {"engine": shared_engine(config.workers), "mode": config.mode,
            "fan_in": config.fan_in}


def pagerank(
    G: BackendGraph,
    alpha: float = 0.85,
    personalization: Mapping[Hashable, float] | None = None,
    max_iter: int = 100,
    tol: float = 1.0e-6,
    nstart: Mapping[Hashable, float] | None = None,
    weight: str | None = "weight",
    dangling: Mapping[Hashable, float] | None = None,
) -> dict[Hashable, float]:
    """networkx's ``pagerank``; ``PowerIterationFailedConvergence`` after ``max_iter`` rounds."""
    if len(G) == 0:
        return {}
    graph = G.weighted_by(weight)
    personalization = _on_graph(G, personalization)
    if personalization is not None and sum(personalization.values()) == 0:
        raise ZeroDivisionError("personalization vector sums to zero")  # as networkx
    try:
        result = api.pagerank(
            graph, alpha=alpha, tol=tol, max_iter=max_iter, personalization=personalization,
            nstart=_on_graph(G, nstart), dangling=_on_graph(G, dangling),
            weight=True if graph.weighted else None, **run_options(),
        )
    except ConvergenceError:
        raise nx.PowerIterationFailedConvergence(max_iter) from None
    return dict(zip(G.nodes, result.values.tolist(), strict=True))


def connected_components(G: BackendGraph) -> Generator[set[Hashable], None, None]:
    """Sets of nodes, in networkx's order (by each component's first node)."""
    return (component for component in _components(G))


def number_connected_components(G: BackendGraph) -> int:
    """How many components."""
    return len(_grouping(G))


def is_connected(G: BackendGraph) -> bool:
    """One component; the null graph raises ``NetworkXPointlessConcept`` as in networkx."""
    if len(G) == 0:
        raise nx.NetworkXPointlessConcept("Connectivity is undefined for the null graph.")
    return len(_grouping(G)) == 1


def node_connected_component(G: BackendGraph, n: Hashable) -> set[Hashable]:
    """The component holding ``n``; a node not in the graph raises ``KeyError`` as in networkx."""
    if n not in G:
        raise KeyError(n)
    grouping = _grouping(G)
    label = grouping.values[G.nodes.index(n)]
    return set(G.graph.ids[grouping.values == label].tolist())


weakly_connected_components = connected_components
number_weakly_connected_components = number_connected_components
is_weakly_connected = is_connected


def label_propagation_communities(G: BackendGraph) -> Iterable[set[Hashable]]:
    """Communities as networkx returns them here: a dict's values view of sets."""
    return dict(enumerate(_communities(G, 0, None, weighted=False))).values()


def asyn_lpa_communities(
    G: BackendGraph, weight: str | None = None, seed: random.Random | None = None
) -> Generator[set[Hashable], None, None]:
    """A generator of communities; each neighbour counts once, or by its ``weight``."""
    communities = _communities(G, _seed(seed), weight, weighted=weight is not None)
    return (community for community in communities)


def fast_label_propagation_communities(
    G: BackendGraph, *, weight: str | None = None, seed: random.Random | None = None
) -> Generator[set[Hashable], None, None]:
    """A generator of communities; a neighbour counts once per edge in either direction (or by
    the edges' ``weight``), as networkx's fast label propagation counts."""
    return (community for community in _communities(G, _seed(seed), weight, weighted=True))


def _grouping(G: BackendGraph) -> api.Grouping:
    return api.connected_components(G.graph, **run_options())


def _components(G: BackendGraph) -> list[set[Hashable]]:
    return _grouping(G).sets(order="vertex") if len(G) else []


def _communities(
    G: BackendGraph, seed: int, weight: str | None, *, weighted: bool
) -> list[set[Hashable]]:
    if len(G) == 0:
        return []
    graph = G.weighted_by(weight)
    result = api.label_propagation(graph, seed=seed, weight=weighted or None, **run_options())
    return result.sets(order="vertex")


def _seed(seed: random.Random | None) -> int:
    """An int seed drawn from networkx's random state (a fresh one when None, as networkx)."""
    return (seed or random.Random()).getrandbits(SEED_BITS)


def _on_graph(G: BackendGraph, values: Mapping[Hashable, float] | None) -> dict | None:
    """Keep the keys that are nodes: networkx reads a value per node and ignores the rest."""
    if values is None:
        return None
    return {node: value for node, value in values.items() if node in G}
