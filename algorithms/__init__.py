"""Vertex programs, written only against the engine's public API (``asapgraph.program``)."""
