"""Exceptions users catch: each carries one sentence that names what was wrong and where."""

from __future__ import annotations


class AsapGraphError(Exception):
    """Base class of every error asapgraph raises on purpose."""


class GraphFormatError(AsapGraphError, ValueError):
    """An input graph file cannot be read as an edge list.

    The message is a single line: ``FILE:LINE: what was wrong`` (or ``FILE: ...`` without a line).
    """

    def __init__(self, path: object, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class ConvergenceError(AsapGraphError):
    """An iterative algorithm hit ``max_iter`` before its tolerance; carries the last residual."""

    def __init__(self, algorithm: str, max_iter: int, residual: float) -> None:
        self.algorithm = algorithm
        self.max_iter = max_iter
        self.residual = residual
        super().__init__(
            f"{algorithm} did not converge in {max_iter} rounds (last residual {residual:.3e})"
        )


class WorkerError(AsapGraphError):
    """A worker process failed (raised, crashed or was killed); names the worker."""

    def __init__(self, worker: int, message: str) -> None:
        self.worker = worker
        super().__init__(f"worker {worker} {message}")


class OutputPathError(AsapGraphError, ValueError):
    """An output path that cannot be written as asked, found before any work is done."""
