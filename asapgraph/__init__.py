"""asapgraph: PageRank, connected components and label propagation on partitioned graphs.

Two execution models over the same partitioned graph: bulk-synchronous (BSP) and ASAP
(NOTIFY-ACK point-to-point synchronisation with stochastic reduce).

The public names are imported on first use (PEP 562): ``import asapgraph`` costs a few
milliseconds, and a command such as ``asapgraph --version`` loads neither scipy nor the engine.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> the module that defines it, imported when the name is first read.
_LAZY = {
    "Grouping": "asapgraph.api",
    "Result": "asapgraph.api",
    "connected_components": "asapgraph.api",
    "label_propagation": "asapgraph.api",
    "modularity": "asapgraph.api",
    "pagerank": "asapgraph.api",
    "run": "asapgraph.api",
    "PersonalizedRanks": "asapgraph.personalized",
    "personalized_pagerank": "asapgraph.personalized",
    "compare": "asapgraph.compare",
    "Engine": "asapgraph.engine.engine",
    "AsapGraphError": "asapgraph.errors",
    "ConvergenceError": "asapgraph.errors",
    "GraphFormatError": "asapgraph.errors",
    "WorkerError": "asapgraph.errors",
    "Graph": "asapgraph.graph",
    "read_edgelist": "asapgraph.io",
}

__all__ = [
    "AsapGraphError",
    "ConvergenceError",
    "Engine",
    "Graph",
    "GraphFormatError",
    "Grouping",
    "PersonalizedRanks",
    "Result",
    "WorkerError",
    "__version__",
    "compare",
    "connected_components",
    "label_propagation",
    "modularity",
    "pagerank",
    "personalized_pagerank",
    "read_edgelist",
    "run",
]

if TYPE_CHECKING:
    from asapgraph.api import (
        Grouping,
        Result,
        connected_components,
        label_propagation,
        modularity,
        pagerank,
        run,
    )
    from asapgraph.compare import compare
    from asapgraph.engine.engine import Engine
    from asapgraph.errors import AsapGraphError, ConvergenceError, GraphFormatError, WorkerError
    from asapgraph.graph import Graph
    from asapgraph.io import read_edgelist
    from asapgraph.personalized import PersonalizedRanks, personalized_pagerank


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'asapgraph' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later reads skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Package(types.ModuleType):
    """The package module, keeping ``asapgraph.compare`` the function.

    Importing the submodule ``asapgraph.compare`` makes the import system set the package's
    ``compare`` attribute to that module; eagerly imported, the function was bound after it.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
