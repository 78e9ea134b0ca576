"""R-MAT: Graph500's distribution level by level, deterministic by seed, skewed degrees."""

from __future__ import annotations

import resource
import subprocess
import sys

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


# Peak of what rmat_graph allocates (numpy reports its buffers to tracemalloc), against the
# estimate the refusal uses less its fixed part; after a small graph, so that what the first call
# imports is loaded. (Peak RSS growth, which the estimate was fitted to, is within 5% of it.)
PEAK = """
import sys, tracemalloc
from asapgraph.datasets.rmat import FIXED_BYTES, estimated_bytes, rmat_graph
scale, factor, directed = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "directed"
rmat_graph(8, directed=directed)
tracemalloc.start()
rmat_graph(scale, factor, directed=directed)
print(tracemalloc.get_traced_memory()[1],
      estimated_bytes(scale, factor, directed=directed) - FIXED_BYTES)
"""


@pytest.mark.parametrize(("scale", "factor", "kind"), [
    (18, 16, "directed"), (18, 4, "directed"), (17, 16, "undirected")])
def test_memory_estimate_covers_the_measured_peak(scale: int, factor: int, kind: str) -> None:
    """The estimate holds what generation and the CSR build really take, without much to
    spare: too low lets a graph that cannot fit start; too high refuses one that fits."""
    measured = subprocess.run([sys.executable, "-c", PEAK, str(scale), str(factor), kind],
                              capture_output=True, text=True, check=True, timeout=120)
    grown, estimate = map(int, measured.stdout.split())
    assert 0.8 * estimate <= grown <= estimate


def limited_address_space() -> None:
    """``preexec_fn``: 3 GiB of address space (the interpreter with numpy takes about 0.2)."""
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


@pytest.mark.parametrize(("spec", "limit", "needs"), [
    ("rmat:26", limited_address_space, "rmat:26:16 needs about 15.5 GiB"),
    ("rmat:40:8", None, "rmat:40:8 needs about 278528.0 GiB"),
])
def test_a_graph_that_cannot_fit_is_refused_before_any_allocation(
        spec: str, limit: object, needs: str) -> None:
    """One line with the estimate and the limit, exit 2, and no MemoryError (exit 1): nothing
    the size of the graph was allocated."""
    result = subprocess.run([sys.executable, "-m", "asapgraph", "run", "pagerank", spec],
                            capture_output=True, text=True, timeout=120, check=False,
                            preexec_fn=limit)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"asapgraph: error: {needs} to generate and build")
    assert "choose a smaller scale or edge factor" in lines[0]
    if limit is not None:
        assert "left under this process's address-space limit (ulimit -v)" in lines[0]
