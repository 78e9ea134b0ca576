"""What networkx learns about the backend when it is imported: names, functions, configuration.

networkx calls :func:`get_info` at the end of its own import, so this module must stay cheap,
must not import the engine, and must not import networkx (an ``import networkx`` started here
would load this module again, half done); the functions live in ``interface``.
"""

from __future__ import annotations

from typing import Any

# Every function the backend implements, with what a user should know beyond networkx's docs.
FUNCTIONS = {
    "pagerank": "Runs asapgraph's PageRank vertex program on the configured workers. It stops on "
    "a bound of the L1 error (below n·tol) rather than on one round's change, so its answer is "
    "at least as close to the exact ranks as networkx's; max_iter counts its rounds.",
    "connected_components": "Weak components by least-label propagation on the workers.",
    "number_connected_components": "Counts the components asapgraph finds.",
    "is_connected": "One component run; the null graph raises as in networkx.",
    "node_connected_component": "The component of the node, from one components run.",
    "weakly_connected_components": "Least-label propagation on the symmetrised graph.",
    "number_weakly_connected_components": "Counts the weak components asapgraph finds.",
    "is_weakly_connected": "One weak components run; the null graph raises as in networkx.",
    "label_propagation_communities": "asapgraph's seeded label propagation: each vertex ends "
    "with a most frequent neighbour label, as in networkx, but vertices move in rounds with a "
    "seeded coin instead of networkx's colouring, so communities may differ.",
    "asyn_lpa_communities": "asapgraph's seeded label propagation (see "
    "label_propagation_communities), each neighbour counted once or by its positive weight; "
    "undirected graphs only (networkx's reads the out-neighbours of a directed one).",
    "fast_label_propagation_communities": "asapgraph's seeded label propagation (see "
    "label_propagation_communities), counting parallel edges, both directions and positive "
    "weights as networkx does.",
}


# Engine options for dispatched calls, checked where the engine uses them (at the next call)
# by the same checks as asapgraph.run's options: worker processes (one engine per process,
# started at the first call and kept), 'bsp' or 'asap', and the ASAP fan-in (None = all).
DEFAULT_CONFIG = {"workers": 1, "mode": "bsp", "fan_in": None}


def get_info() -> dict[str, Any]:
    """The backend's description for networkx (the ``networkx.backend_info`` entry point)."""
    return {
        "backend_name": "asapgraph",
        "project": "asapgraph",
        "package": "asapgraph",
        "short_summary": "PageRank, components and label propagation on partitioned graphs, "
        "run by worker processes in BSP or ASAP mode.",
        "default_config": dict(DEFAULT_CONFIG),  # networkx makes it a Config
        "functions": {name: {"additional_docs": docs} for name, docs in FUNCTIONS.items()},
    }
