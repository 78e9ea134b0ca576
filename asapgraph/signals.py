"""SIGTERM and SIGHUP end a command the way Ctrl-C does: by an exception, so cleanup runs.

Python's default for SIGTERM and SIGHUP is to die on the spot, skipping every ``finally``: the
temp file of an output being written, the engine's workers and a run's shared memory would stay
behind. Raised as :class:`Terminated` (a ``KeyboardInterrupt``), they take the path an
interruption takes: the engine aborts the run, outputs remove their temp files, MPI ranks end the
job. Worker processes ignore all three signals; their parent decides how a run ends.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

HANDLED = (signal.SIGTERM, signal.SIGHUP)
IGNORED_BY_WORKERS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM or SIGHUP; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"terminated by {signal.Signals(signum).name}")


def _raise(signum: int, frame: object) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def raising_on_termination() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise :class:`Terminated` in the main thread (unless
    ignored, as ``nohup`` ignores SIGHUP: an ignored signal stays ignored). The previous handlers
    come back on leaving: ``main()`` called from a library or a test must not leave its handlers
    in the caller's process (forked children would inherit them)."""
    previous = {signum: signal.getsignal(signum) for signum in HANDLED}
    for signum, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(signum, _raise)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            if handler is not None:  # None: installed outside Python, nothing to put back
                signal.signal(signum, handler)


def ignore_in_worker() -> None:
    """In a worker process: SIGINT, SIGTERM and SIGHUP do nothing (the parent ends the run)."""
    for signum in IGNORED_BY_WORKERS:
        signal.signal(signum, signal.SIG_IGN)


def exit_status(interruption: KeyboardInterrupt) -> int:
    """128 + the signal number, as a shell reports a process a signal ended (130 for Ctrl-C)."""
    return 128 + getattr(interruption, "signum", signal.SIGINT)
