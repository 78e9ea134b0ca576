"""How good a vertex partition is: modularity (networkx's definition) and NMI against ground truth.

Both are vectorised over edges: networkx's ``modularity`` walks every community in Python, which
costs more than the label propagation it scores.
"""

from __future__ import annotations

import numpy as np

from asapgraph.graph import Graph


def modularity(graph: Graph, labels: np.ndarray, resolution: float = 1.0) -> float:
    """Newman's modularity of the partition ``labels`` of ``graph``'s undirected view.

    Equal to ``networkx.community.modularity`` on the undirected graph (unweighted): a self-loop
    counts once among the edges and twice in its vertex's degree.

    Parameters
    ----------
    graph : Graph
        The graph; a directed one is scored on its symmetrised adjacency (u–v if u → v or v → u).
    labels : numpy.ndarray
        One community label per dense vertex.
    resolution : float
        Weight of the null-model term (networkx's ``resolution``).
    """
    undirected = graph.symmetric
    n = undirected.n
    _, groups = np.unique(np.asarray(labels), return_inverse=True)
    if groups.size != n:
        raise ValueError(f"labels must have one entry per vertex ({n}), got {groups.size}.")
    rows = np.repeat(np.arange(n), undirected.out_degree)
    cols = undirected.indices
    loops = rows == cols
    degree = undirected.out_degree + np.bincount(rows[loops], minlength=n)
    edges = degree.sum() / 2
    if edges == 0:
        raise ValueError("Modularity is undefined for a graph without edges.")
    intra_pairs = np.count_nonzero(groups[rows] == groups[cols]) - np.count_nonzero(loops)
    inside = intra_pairs / 2 + np.count_nonzero(loops)
    community_degree = np.bincount(groups, weights=degree)
    return float(inside / edges - resolution * np.sum(community_degree**2) / (2 * edges) ** 2)


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
