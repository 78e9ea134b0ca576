"""The progress display of the command line: rich's live bars on stderr, only on a terminal.

It subscribes to :class:`~asapgraph.progress.ProgressEvent` (the engine, the loader and the
comparison send them) and draws one line per stage: loading (bytes read, the rate, and the share
and time left when the size is known; the loader reports as it reads), partitioning,
rounds (the current change against the change that ends the run) and a comparison's runs. The
display appears only once the command has run for ``SHOW_AFTER`` seconds (a timer starts it,
so a long load or partitioning shows while it lasts, with every step so far), and a quicker
command prints nothing extra; when stderr is not a terminal (piped, redirected, under CI) there
is no display at all and rich is not even imported, which keeps start-up fast.
"""

from __future__ import annotations

import contextlib
import math
import sys
import threading
from collections.abc import Iterator
from typing import Any

from asapgraph.progress import LOAD, ROUNDS, ProgressCallback, ProgressEvent

SHOW_AFTER = 0.5  # seconds a command runs before the display appears


def wanted(stream: Any = None) -> bool:
    """Whether a display belongs on ``stream`` (default stderr): only on a terminal."""
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed, or not a file at all
        return False


@contextlib.contextmanager
def progress_display(enabled: bool | None = None) -> Iterator[ProgressCallback | None]:
    """Yield a callback that draws events on stderr, or None when no display is wanted."""
    if not (wanted() if enabled is None else enabled):
        yield None
        return
    display = _Display()
    try:
        yield display
    finally:
        display.close()


class _Display:
    """One rich ``Progress`` with a task per stage, drawn from ``SHOW_AFTER`` seconds on."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._due = False  # SHOW_AFTER has passed
        self._timer = threading.Timer(SHOW_AFTER, self._show)
        self._timer.daemon = True
        self._timer.start()
        self._first_change: float | None = None  # of the current run: where its bar starts

    def __call__(self, event: ProgressEvent) -> None:
        progress = self._made()
        if self._due:
            self._show()
        task = self._tasks.get(event.stage)
        restarted = task is not None and progress.tasks[task].finished and not event.finished
        if event.stage == ROUNDS and restarted:
            self._first_change = None  # a new run: its bar starts from its own first change
        description, info = describe(event)
        completed = event.done if event.done is not None else (1 if event.finished else 0)
        total = event.total if event.total is not None else (1 if event.finished else None)
        if event.stage == ROUNDS and not event.finished:
            fraction = self._rounds_fraction(event)
            completed, total = (0, None) if fraction is None else (fraction, 1)
        if task is None:
            task = progress.add_task(description, total=total, info=info)
            self._tasks[event.stage] = task
        elif restarted:  # the stage runs again
            progress.reset(task, total=total)
        progress.update(task, description=description, info=info, completed=completed,
                        total=total)

    def _rounds_fraction(self, event: ProgressEvent) -> float | None:
        """How far the change has fallen toward the target, on a log scale (None: unknown)."""
        change, target = event.change, event.target
        if change is None or not math.isfinite(change) or change <= 0 or not target:
            return None
        if self._first_change is None:
            self._first_change = change
        if self._first_change <= target:
            return 1.0
        return min(1.0, max(0.0, math.log(self._first_change / change)
                            / math.log(self._first_change / target)))

    def _made(self) -> Any:
        """The rich Progress, created (not yet drawn) on the first event."""
        if self._progress is None:
            from rich.console import Console  # imported only when a display is drawn
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description:<13}"), BarColumn(bar_width=24),
                TextColumn("{task.fields[info]}"), TimeElapsedColumn(),
                console=Console(file=sys.stderr), transient=False,
            )
        return self._progress

    def _show(self) -> None:
        """The timer's end: start drawing, unless the command ended or nothing happened yet."""
        with self._lock:
            self._due = True
            progress = self._progress
            if not self._closed and progress is not None and not progress.live.is_started:
                progress.start()

    def close(self) -> None:
        """Stop drawing and leave the last state of every line on the terminal."""
        self._timer.cancel()
        with self._lock:
            self._closed = True
            if self._progress is not None and self._progress.live.is_started:
                self._progress.stop()


def describe(event: ProgressEvent) -> tuple[str, str]:
    """The description and the detail text of one event's line."""
    if event.stage == LOAD:
        return _describe_load(event)
    if event.stage == ROUNDS:
        verb = "rounds done" if event.finished else "rounds"
        return verb, f"change {_number(event.change)} → stops below {_number(event.target)}"
    if event.done is not None and event.total is not None:
        return event.stage, f"{event.label} ({event.done:g}/{event.total:g})"
    return ("partitioned" if event.finished else "partitioning"), event.label


def _describe_load(event: ProgressEvent) -> tuple[str, str]:
    """Loading: the bytes read (of the size, with the share, when known), the rate and, when
    the size is known, the time left, then that the graph is being built; once loaded, the
    size and the rate over the whole load."""
    rate = event.done / event.elapsed if event.done and event.elapsed > 0 else None
    if event.finished:
        if rate is None:
            return "loaded", event.label
        return "loaded", f"{event.label} {_megabytes(event.done)} at {_megabytes(rate)}/s"
    if not event.done:
        size = "" if event.total is None else _megabytes(event.total)
        return "loading", f"{event.label} {size}".strip()
    if event.total and event.done >= event.total:  # the last piece parses, the CSR is built
        return "loading", f"{event.label} {_megabytes(event.total)} read, building the graph"
    read = _megabytes(event.done)
    if event.total:
        share = event.done / event.total
        read = f"{event.done / 1e6:.1f}/{_megabytes(event.total)} {share:.0%}"
    detail = f"{event.label} {read} at {_megabytes(rate)}/s"
    if event.total and rate:
        left = max(event.total - event.done, 0) / rate
        detail += f", {int(left) // 60}:{int(left) % 60:02d} left"
    return "loading", detail


def _megabytes(count: float) -> str:
    return f"{count / 1e6:.1f} MB"


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    if math.isinf(value):
        return "∞"
    return f"{value:.3g}"
