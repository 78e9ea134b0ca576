"""Which calls the backend can answer as networkx would; the others go back to networkx.

networkx asks ``can_run(name, args, kwargs)`` before converting anything. A string answer is a
"no" with its reason, which networkx logs before it runs its own implementation (inside
networkx's test-suite it is an expected failure instead, see ``testing.py``). Only label
propagation has limits: asapgraph's reads both directions of a directed graph where networkx's
``asyn_lpa_communities`` reads out-neighbours only, and it needs positive weights.
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
    return _positive_weights(G, weight)


def _fast_lpa(G: Any, weight: str | None, **_: Any) -> bool | str:
    return _positive_weights(G, weight)


def _positive_weights(G: Any, weight: str | None) -> bool | str:
    """With a weight of 0 or less networkx may move a vertex to a label that counts 0; asapgraph
    keeps its own label then (it counts an absent label as 0)."""
    if weight is None:
        return True
    graph = getattr(G, "original", G)  # networkx may ask about an already converted graph
    if all(w > 0 for *_, w in graph.edges(data=weight, default=1)):
        return True
    return "asapgraph's label propagation takes positive edge weights only"


RULES: dict[str, Callable[..., bool | str]] = {
    "asyn_lpa_communities": _asyn_lpa,
    "fast_label_propagation_communities": _fast_lpa,
}
