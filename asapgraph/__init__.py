"""asapgraph: PageRank, connected components and label propagation on partitioned graphs.

Two execution models over the same partitioned graph: bulk-synchronous (BSP) and ASAP
(NOTIFY-ACK point-to-point synchronisation with stochastic reduce).
"""

from asapgraph.api import (
    Result,
    connected_components,
    label_propagation,
    pagerank,
    run,
)
from asapgraph.compare import compare
from asapgraph.engine.engine import Engine
from asapgraph.errors import AsapGraphError, ConvergenceError, GraphFormatError, WorkerError
from asapgraph.graph import Graph
from asapgraph.io import read_edgelist

__version__ = "0.1.0"

__all__ = [
    "AsapGraphError",
    "ConvergenceError",
    "Engine",
    "Graph",
    "GraphFormatError",
    "Result",
    "WorkerError",
    "__version__",
    "compare",
    "connected_components",
    "label_propagation",
    "pagerank",
    "read_edgelist",
    "run",
]
