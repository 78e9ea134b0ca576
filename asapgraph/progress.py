"""Progress events: what a long step reports while it runs, for whoever wants to show it.

The engine, the loader and :func:`asapgraph.compare` call a ``progress`` callback with a
:class:`ProgressEvent` and know nothing about terminals; the command line subscribes one that
draws (``asapgraph/commands/display.py``), a library user may log them or ignore them. A
callback must be quick: the engine calls it between waits, every trace interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

LOAD, PARTITION, ROUNDS, CONFIGURATIONS = "load", "partition", "rounds", "configurations"
# Seconds between two byte counts of a load: a live display, not a callback on every read.
REPORT_EVERY = 0.1


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


class LoadMeter:
    """Turns a reader's running byte count into ``load`` events, at most one every
    ``REPORT_EVERY`` seconds, so the reader may call it after every read it makes.

    Made when the load begins (it sends the first event); ``finish`` sends the last.
    """

    def __init__(self, progress: ProgressCallback, label: str, total: int | None) -> None:
        self._progress, self._label, self._total = progress, label, total
        self._began = time.perf_counter()
        self._sent = self._began
        self._done = 0
        progress(ProgressEvent(LOAD, 0.0, 0, total, label=label))

    def __call__(self, done: int) -> None:
        """The reader has read ``done`` bytes so far."""
        self._done = done
        now = time.perf_counter()
        if now - self._sent >= REPORT_EVERY:
            self._sent = now
            self._progress(ProgressEvent(LOAD, now - self._began, done, self._total,
                                         label=self._label))

    def relabel(self, label: str) -> None:
        """Name what is being read now (the file, or its cached copy), and say so at once."""
        self._label = label
        self._progress(ProgressEvent(LOAD, time.perf_counter() - self._began, self._done,
                                     self._total, label=label))

    def finish(self, size: int) -> None:
        """The load has ended, ``size`` bytes read in all."""
        self._progress(ProgressEvent(LOAD, time.perf_counter() - self._began, size, size,
                                     label=self._label, finished=True))
