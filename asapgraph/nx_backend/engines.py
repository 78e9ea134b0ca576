"""The engine behind networkx calls: one per process, started at the first call and kept.

networkx calls the backend once per algorithm call, often many times on small graphs (its own
test-suite runs hundreds); forking workers for each would cost more than the algorithms. The
engine is replaced when the configured worker count changes, and stops its workers at exit.
"""

from __future__ import annotations

from asapgraph.engine.engine import Engine

_shared: list[Engine] = []  # at most one


def shared_engine(workers: int) -> Engine:
    """The open engine with ``workers`` workers, starting (or restarting) it if needed."""
    if _shared and _shared[0].workers == workers and _shared[0].running:
        return _shared[0]
    close()
    engine = Engine(workers)
    engine.start()
    _shared.append(engine)
    return engine


def close() -> None:
    """Stop the shared engine's workers, if any are running."""
    while _shared:
        _shared.pop().close()

