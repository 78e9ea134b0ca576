"""How good a vertex partition is: modularity (networkx's definition) and NMI against ground truth.

Both are vectorised over edges: networkx's ``modularity`` walks every community in Python, which
costs more than the label propagation it scores.
"""

from __future__ import annotations

import numpy as np

from asapgraph.graph import Graph


def modularity(graph: Graph, labels: np.ndarray, resolution: float = 1.0) -> float:
    """Newman's modularity of the partition ``labels`` of ``graph``'s undirected, unweighted view.

    What the engine's label propagation optimises, and the score the CLI and ``compare`` report:
    equal to ``networkx.community.modularity`` on the undirected graph without weights (a
    directed graph is scored on its symmetrised adjacency, u–v if u → v or v → u).
    :func:`partition_modularity` scores the graph as it is, as networkx does.

    Parameters
    ----------
    graph : Graph
        The graph.
    labels : numpy.ndarray
        One community label per dense vertex.
    resolution : float
        Weight of the null-model term (networkx's ``resolution``).
    """
    return partition_modularity(graph.symmetric, labels, resolution)


def partition_modularity(graph: Graph, labels: np.ndarray, resolution: float = 1.0) -> float:
    """Modularity of ``labels`` on ``graph`` as it is: networkx's ``modularity`` exactly.

    Weights count when the graph has them. An undirected graph uses Newman's formula (a self-loop
    counts once among the edges and twice in its vertex's degree); a directed one the directed
    form, Σ_c (L_c/m − γ·out_c·in_c/m²) (Leicht and Newman). Both are one computation: the
    undirected CSR holds each edge in both directions, so with self-loops doubled it is the
    directed case with m = twice the edge weight.
    """
    n = graph.n
    _, groups = np.unique(np.asarray(labels), return_inverse=True)
    if groups.size != n:
        raise ValueError(f"labels must have one entry per vertex ({n}), got {groups.size}.")
    rows = np.repeat(np.arange(n), graph.out_degree)
    cols = graph.indices
    weights = np.ones(cols.size) if graph.weights is None else graph.weights.astype(np.float64)
    if not graph.directed:
        weights = np.where(rows == cols, 2 * weights, weights)
    total = weights.sum()
    if total == 0:
        raise ValueError("Modularity is undefined for a graph without edges.")
    inside = weights[groups[rows] == groups[cols]].sum()
    out_weight = np.bincount(groups[rows], weights=weights, minlength=n)
    in_weight = np.bincount(groups[cols], weights=weights, minlength=n)
    return float(inside / total - resolution * np.dot(out_weight, in_weight) / total**2)


def normalized_mutual_info(truth: np.ndarray, found: np.ndarray) -> float:
    """Normalised mutual information of two labellings, arithmetic-mean normalised.

    The same number as scikit-learn's ``normalized_mutual_info_score`` (its default
    ``average_method="arithmetic"``): I(U; V) / ((H(U) + H(V)) / 2), and 1 when both labellings
    put everything in one group.
    """
    _, u = np.unique(np.asarray(truth), return_inverse=True)
    _, v = np.unique(np.asarray(found), return_inverse=True)
    if u.size != v.size:
        raise ValueError(f"Labellings differ in length ({u.size} vs {v.size}).")
    if u.size == 0:
        return 1.0
    width = int(v.max()) + 1
    pairs, joint = np.unique(u * width + v, return_counts=True)
    pu, pv, pj = np.bincount(u) / u.size, np.bincount(v) / u.size, joint / u.size
    mutual = np.sum(pj * np.log(pj / (pu[pairs // width] * pv[pairs % width])))
    entropy = -np.sum(pu * np.log(pu)) - np.sum(pv * np.log(pv))
    return float(max(mutual, 0.0) / (entropy / 2)) if entropy > 0 else 1.0
