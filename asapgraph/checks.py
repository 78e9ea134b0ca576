"""Parameter validation, one place: each check raises ValueError with one readable sentence."""

from __future__ import annotations

import math

import numpy as np

MAX_WORKERS = 64


def probability(name: str, value: float, *, upper_open: bool = False) -> float:
    """Check that ``value`` lies in [0, 1] (or [0, 1) with ``upper_open``)."""
    value = float(value)
    upper_ok = value < 1 if upper_open else value <= 1
    if not (value >= 0 and upper_ok):
        bound = "[0, 1)" if upper_open else "[0, 1]"
        raise ValueError(f"{name} must lie in {bound}, got {value}.")
    return value


def positive(name: str, value: float) -> float:
    """Check that ``value`` is a finite number > 0."""
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value}.")
    return value


def positive_int(name: str, value: int, *, upper: int | None = None) -> int:
    """Check that ``value`` is an integer >= 1 (and <= ``upper`` when given)."""
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if upper is not None and value > upper:
        raise ValueError(f"{name} must be at most {upper}, got {value}.")
    return int(value)


def non_negative_int(name: str, value: int) -> int:
    """Check that ``value`` is an integer >= 0."""
    if isinstance(value, bool) or int(value) != value or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}.")
    return int(value)


def choice(name: str, value: str, options: tuple[str, ...]) -> str:
    """Check that ``value`` is one of ``options``; never fall back to a default silently."""
    if value not in options:
        raise ValueError(f"Unknown {name} {value!r}; choose one of {', '.join(options)}.")
    return value


def workers(value: int) -> int:
    """Check a worker count: 1..MAX_WORKERS (more workers than cores is allowed)."""
    return positive_int("workers", value, upper=MAX_WORKERS)


def distribution(name: str, values: object) -> np.ndarray | None:
    """Check non-negative finite weights with a positive sum; return them normalised to sum 1."""
    if values is None:
        return None
    array = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must hold finite, non-negative values.")
    total = array.sum()
    if total <= 0:
        raise ValueError(f"{name} must not sum to zero.")
    return array / total


def transition_weights(weights: np.ndarray | None) -> None:
    """Check that edge weights can be followed as transition probabilities: finite, >= 0.

    networkx returns negative ranks for negative weights; here they are refused. A vertex whose
    weights sum to zero is dangling, as in networkx.
    """
    if weights is None or not weights.size:
        return
    if not np.isfinite(weights).all():
        raise ValueError(f"edge weights must be finite, got {weights[~np.isfinite(weights)][0]}.")
    if weights.min() < 0:
        raise ValueError(f"PageRank follows links in proportion to their weights, which must be "
                         f"non-negative; got {weights.min()}.")
