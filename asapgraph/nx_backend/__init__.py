"""asapgraph as a networkx backend: ``nx.pagerank(G, backend="asapgraph")``.

networkx finds the backend through the ``networkx.backends`` entry point (``interface``) and
reads its description and default configuration through ``networkx.backend_info`` (``info``,
loaded while networkx itself is imported, so it imports nothing heavy). Engine options are
networkx configuration: ``nx.config.backends.asapgraph.workers = 4`` (also ``mode``, ``fan_in``).
"""
