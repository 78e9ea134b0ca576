"""What the algorithms return: values by vertex, read back under the graph's original ids.

:class:`Result` holds one value per vertex (a rank, a label) with the run's statistics;
:class:`Grouping` is the result of a program that labels groups of vertices (components,
communities), read as networkx reads them: sets of original ids, and their sizes.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from asapgraph import checks
from asapgraph.engine.stats import RunStats
from asapgraph.graph import Graph


@dataclass
class Result:
    """Values by dense id, the graph they belong to, and the run's statistics."""

    values: np.ndarray
    graph: Graph
    stats: RunStats

    @property
    def converged(self) -> bool:
        """Whether the program's convergence test held when the run stopped."""
        return self.stats.converged

    def to_dict(self) -> dict[Hashable, Any]:
        """Original vertex id → value."""
        return dict(zip(self.graph.ids.tolist(), self.values.tolist(), strict=True))

    def top(self, k: int) -> list[tuple[Hashable, Any]]:
        """The ``k`` largest values as (original id, value), largest first.

        Ties keep the graph's vertex order (the smaller dense id first), so the list is the same
        on every call.
        """
        k = min(checks.non_negative_int("k", k), self.values.size)
        order = np.argsort(-self.values, kind="stable")[:k]
        return list(zip(self.graph.ids[order].tolist(), self.values[order].tolist(), strict=True))


@dataclass
class Grouping(Result):
    """A result whose values name groups of vertices: weak components, or communities.

    Each vertex's value is the label of its group (the smallest original id in it).
    """

    def sets(self, order: str = "size") -> list[set[Hashable]]:
        """The groups as sets of original ids, as networkx's ``connected_components`` gives them.

        ``order``: 'size' puts the largest first (ties: by label); 'vertex' puts them in the
        order of each group's first vertex in the graph (networkx's order).
        """
        checks.choice("order", order, ("size", "vertex"))
        _, members = self._members()
        if order == "vertex":
            members.sort(key=lambda group: group[0])  # a group's dense ids come sorted
        return [set(self.graph.ids[group].tolist()) for group in members]

    def sizes(self) -> dict[Hashable, int]:
        """Group label → number of vertices, largest first (ties: by label)."""
        labels, members = self._members()
        return {label: len(group) for label, group in zip(labels, members, strict=True)}

    def __len__(self) -> int:
        """The number of groups (networkx's ``number_connected_components``)."""
        return int(_codes(self.values).max()) + 1 if self.values.size else 0

    def _members(self) -> tuple[list[Hashable], list[np.ndarray]]:
        """Group labels and their members' dense ids, largest group first, then by label."""
        if self.values.size == 0:
            return [], []
        codes = _codes(self.values)
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        members = np.split(order, bounds)
        members.sort(key=len, reverse=True)  # stable: equal sizes stay in label order
        return self.values[[group[0] for group in members]].tolist(), members


def _codes(values: np.ndarray) -> np.ndarray:
    """Dense group numbers: in label order for numbers, first-seen order for other ids."""
    if values.dtype != object:
        return np.unique(values, return_inverse=True)[1]
    order = {label: i for i, label in enumerate(dict.fromkeys(values.tolist()))}
    return np.fromiter((order[label] for label in values.tolist()), np.int64, values.size)
