"""Progress events: what a long step reports while it runs, for whoever wants to show it.

The engine, the loader and :func:`asapgraph.compare` call a ``progress`` callback with a
:class:`ProgressEvent` and know nothing about terminals; the command line subscribes one that
draws (``asapgraph/commands/display.py``), a library user may log them or ignore them. A
callback must be quick: the engine calls it between waits, every trace interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

LOAD, PARTITION, ROUNDS, CONFIGURATIONS = "load", "partition", "rounds", "configurations"


@dataclass(frozen=True)
class ProgressEvent:
    """One report of a step in progress, or of its end (``finished``).

    Attributes
    ----------
    stage : str
        ``load`` (reading a graph), ``partition`` (splitting it), ``rounds`` (the workers
        computing) or ``configurations`` (a comparison's runs).
    elapsed : float
        Seconds since the step began.
    done, total : float, optional
        How far it is, in the step's own unit: bytes for ``load``, runs for ``configurations``.
    change : float, optional
        ``rounds``: the total change of the workers' latest rounds (inf before the first).
    target : float, optional
        ``rounds``: the change under which a round may end the run (the program's
        :meth:`~asapgraph.program.VertexProgram.change_target`).
    label : str
        What is running: a file name, a configuration.
    finished : bool
        The step has ended; ``elapsed`` is its duration.
    """

    stage: str
    elapsed: float
    done: float | None = None
    total: float | None = None
    change: float | None = None
    target: float | None = None
    label: str = ""
    finished: bool = False


ProgressCallback = Callable[[ProgressEvent], None]
