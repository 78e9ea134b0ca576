"""R-MAT: Graph500's distribution level by level, deterministic by seed, skewed degrees."""

from __future__ import annotations

import numpy as np
import pytest

from asapgraph.datasets import rmat_edges, rmat_graph
from asapgraph.datasets.rmat import GRAPH500_PROBABILITIES


def test_same_seed_same_edges_other_seed_other_edges() -> None:
    src, dst = rmat_edges(12, 8, seed=7)
    again = rmat_edges(12, 8, seed=7)
    other = rmat_edges(12, 8, seed=8)
    assert np.array_equal(src, again[0])
    assert np.array_equal(dst, again[1])
    assert not np.array_equal(src, other[0])


def test_sizes_and_ids() -> None:
    src, dst = rmat_edges(10, 4, seed=1)
    assert src.size == dst.size == 4 << 10
    assert src.dtype == dst.dtype == np.int32
    assert min(src.min(), dst.min()) >= 0
    assert max(src.max(), dst.max()) < 1 << 10


@pytest.mark.parametrize("scale", [1, 5, 6, 7, 13])
def test_every_level_follows_the_quadrant_probabilities(scale: int) -> None:
    """Each level's (source bit, target bit) is a, b, c, d = 0.57, 0.19, 0.19, 0.05 apart, and
    two levels are independent (the alias tables draw up to six levels at once)."""
    m = 1 << 17
    src, dst = rmat_edges(scale, m >> scale, seed=11, permute=False)
    p = np.array(GRAPH500_PROBABILITIES)
    quadrants = [((src >> bit) & 1) * 2 + ((dst >> bit) & 1) for bit in range(scale)]
    for q in quadrants:
        frequency = np.bincount(q, minlength=4) / m
        assert np.all(np.abs(frequency - p) <= 5 * np.sqrt(p * (1 - p) / m))
    if scale > 1:
        pairs = np.bincount(quadrants[0] * 4 + quadrants[-1], minlength=16) / m
        joint = np.outer(p, p).ravel()
        assert np.all(np.abs(pairs - joint) <= 5 * np.sqrt(joint * (1 - joint) / m))


def test_graph_has_all_vertices_collapsed_edges_and_skewed_degrees() -> None:
    scale, edge_factor = 14, 16
    graph = rmat_graph(scale, edge_factor, seed=3)
    n = 1 << scale
    assert graph.n == n
    assert graph.directed
    assert 0.8 * edge_factor * n < graph.m <= edge_factor * n  # duplicates collapse
    degree = graph.out_degree + graph.in_degree
    assert degree.max() > 50 * degree.mean()
    assert np.count_nonzero(degree == 0) > 0.1 * n  # R-MAT leaves many vertices isolated


def test_permutation_relabels_consistently() -> None:
    """Permuting renames vertices: one bijection applied to the very same edges."""
    plain = np.concatenate(rmat_edges(11, 8, seed=9, permute=False))
    permuted = np.concatenate(rmat_edges(11, 8, seed=9))
    relabel = np.full(1 << 11, -1)
    relabel[plain] = permuted
    assert np.array_equal(relabel[plain], permuted)  # a function of the old id
    used = relabel[relabel >= 0]
    assert np.unique(used).size == used.size  # injective


def test_permutation_hides_the_hub() -> None:
    plain = rmat_graph(12, 16, seed=5, permute=False)
    permuted = rmat_graph(12, 16, seed=5)
    assert int(np.argmax(plain.out_degree)) == 0  # all-`a` quadrant: vertex 0 is the hub
    assert int(np.argmax(permuted.out_degree)) != 0
    assert sorted(plain.out_degree) == sorted(permuted.out_degree)


def test_undirected_graph_is_symmetric() -> None:
    graph = rmat_graph(8, 8, seed=2, directed=False, drop_self_loops=True)
    matrix = graph.to_scipy()
    assert graph.n == 256
    assert (matrix != matrix.T).nnz == 0
    assert not matrix.diagonal().any()


@pytest.mark.parametrize(
    ("args", "needle"),
    [((0,), "scale"), ((41,), "scale"), ((4, 0), "edge factor")],
)
def test_bad_arguments(args: tuple[int, ...], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        rmat_edges(*args)


def test_bad_probabilities() -> None:
    with pytest.raises(ValueError, match="summing to 1"):
        rmat_edges(4, probabilities=(0.5, 0.2, 0.2, 0.2))
