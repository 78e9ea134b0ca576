"""Graph500 R-MAT generator: scale-free test graphs of any size, deterministic by seed.

Each edge drops into one quadrant of the adjacency matrix per level (probabilities a, b, c, d
for top-left, top-right, bottom-left, bottom-right), one bit of its source and target per level.
Instead of one random draw per level, up to ``LEVELS_PER_DRAW`` levels are drawn jointly from
their product distribution with Walker's alias method: one 64-bit random word and two table
lookups per group of levels: the same distribution (to 2**-52) at a fraction of the numpy passes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from asapgraph.graph import Graph, index_dtype
from asapgraph.memory import available_memory, gib

GRAPH500_PROBABILITIES = (0.57, 0.19, 0.19, 0.05)
DEFAULT_EDGE_FACTOR = 16
DEFAULT_SEED = 1
# 6 levels = 4096 outcomes: the alias tables stay in L1/L2 and 52 bits remain for the threshold.
LEVELS_PER_DRAW = 6
MAX_SCALE = 40
# Multiply-xorshift rounds of the vertex relabelling: with 2 or 3, a vertex id's bits still told
# something about its degree on some seeds (measured); with 4 none did, as for a random permutation.
SCRAMBLE_ROUNDS = 4
# Edges per chunk: small enough that every numpy pass stays in cache. Part of the stream layout,
# so changing it changes the graph a seed gives.
CHUNK = 1 << 14
# Peak bytes of rmat_graph (generation, then the CSR build), from the growth of the peak RSS at
# scales 17-21, edge factors 4 and 16, with 4-byte ids: 13.6 B per generated edge (35.6 for an
# undirected graph, built with each edge both ways) and 21 B per vertex, rounded up here, plus
# about 15 MiB that the first call imports; twice the per-item bytes with 8-byte ids (scale 31+).
FIXED_BYTES = 20 << 20
EDGE_BYTES = 14
UNDIRECTED_EDGE_BYTES = 37
VERTEX_BYTES = 24


def rmat_edges(
    scale: int,
    edge_factor: int = DEFAULT_EDGE_FACTOR,
    *,
    seed: int = DEFAULT_SEED,
    probabilities: tuple[float, float, float, float] = GRAPH500_PROBABILITIES,
    permute: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """``edge_factor * 2**scale`` R-MAT edges over vertices ``0..2**scale-1``, as (src, dst).

    Duplicates and self-loops are kept, as Graph500 generates them. ``permute`` relabels the
    vertices by a seeded pseudo-random bijection (Graph500 permutes them, so that a vertex id
    says nothing about its degree). The arrays are int32 while ids fit, else int64.
    """
    _check(scale, edge_factor, probabilities)
    m = edge_factor << scale
    dtype = index_dtype(1 << scale)
    generator = np.random.Generator(np.random.SFC64(seed))
    groups = [LEVELS_PER_DRAW] * (scale // LEVELS_PER_DRAW)
    if scale % LEVELS_PER_DRAW:
        groups.append(scale % LEVELS_PER_DRAW)
    tables = {levels: _alias_table(levels, tuple(probabilities)) for levels in set(groups)}
    keys = generator.bit_generator.random_raw(1 + SCRAMBLE_ROUNDS) | np.uint64(1)
    src, dst = np.zeros(m, dtype), np.zeros(m, dtype)
    for lo in range(0, m, CHUNK):
        hi = min(m, lo + CHUNK)
        _drop_edges(generator, groups, tables, src[lo:hi], dst[lo:hi])
        if permute:
            src[lo:hi] = _scramble(src[lo:hi], keys, scale)
            dst[lo:hi] = _scramble(dst[lo:hi], keys, scale)
    return src, dst


def rmat_graph(
    scale: int,
    edge_factor: int = DEFAULT_EDGE_FACTOR,
    *,
    seed: int = DEFAULT_SEED,
    directed: bool = True,
    drop_self_loops: bool = False,
    permute: bool = True,
) -> Graph:
    """The R-MAT graph of :func:`rmat_edges` on all ``2**scale`` vertices (isolated ones too).

    Duplicate edges collapse as :class:`Graph` collapses them, so ``m <= edge_factor * n``.
    A graph that cannot fit in the memory left is refused before anything is allocated.
    """
    refuse_what_cannot_fit(scale, edge_factor, directed=directed)
    src, dst = rmat_edges(scale, edge_factor, seed=seed, permute=permute)
    ids = np.arange(1 << scale, dtype=np.int64)
    return Graph.from_dense_edges(
        src, dst, ids, directed=directed, drop_self_loops=drop_self_loops
    )


def estimated_bytes(scale: int, edge_factor: int = DEFAULT_EDGE_FACTOR, *,
                    directed: bool = True) -> int:
    """Peak bytes :func:`rmat_graph` takes (a lower bound for a run on the graph)."""
    _check(scale, edge_factor, GRAPH500_PROBABILITIES)
    widen = index_dtype(1 << scale).itemsize // 4
    per_edge = EDGE_BYTES if directed else UNDIRECTED_EDGE_BYTES
    return FIXED_BYTES + widen * ((edge_factor << scale) * per_edge + (1 << scale) * VERTEX_BYTES)


def refuse_what_cannot_fit(scale: int, edge_factor: int = DEFAULT_EDGE_FACTOR, *,
                           directed: bool = True) -> None:
    """ValueError, with the estimate and the limit, if the graph cannot fit in memory."""
    need = estimated_bytes(scale, edge_factor, directed=directed)
    bound = available_memory()
    if bound is None or need <= bound[0]:
        return
    have, where = bound
    raise ValueError(
        f"rmat:{scale}:{edge_factor} needs about {gib(need)} to generate and build "
        f"({edge_factor << scale:,} edges, {1 << scale:,} vertices), more than the {gib(have)} "
        f"{where}; choose a smaller scale or edge factor"
    )


def _check(scale: int, edge_factor: int, probabilities: tuple[float, ...]) -> None:
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"R-MAT scale must be between 1 and {MAX_SCALE}, got {scale}.")
    if edge_factor < 1:
        raise ValueError(f"R-MAT edge factor must be at least 1, got {edge_factor}.")
    if len(probabilities) != 4 or min(probabilities) < 0 or abs(sum(probabilities) - 1) > 1e-9:
        raise ValueError(
            f"R-MAT probabilities must be four non-negative numbers summing to 1, "
            f"got {probabilities}."
        )


def _drop_edges(
    generator: np.random.Generator,
    groups: list[int],
    tables: dict[int, tuple[np.ndarray, np.ndarray]],
    src: np.ndarray,
    dst: np.ndarray,
) -> None:
    """Fill ``src``/``dst`` (zeroed) with one chunk of edges, most significant levels first."""
    words = generator.bit_generator.random_raw((len(groups), src.size))
    for word, levels in zip(words, groups, strict=True):
        threshold, alias = tables[levels]
        spare = 64 - 2 * levels
        outcome = (word >> np.uint64(spare)).view(np.int64)
        keep = (word & np.uint64((1 << spare) - 1)) < threshold[outcome]
        outcome = np.where(keep, outcome, alias[outcome])
        src <<= levels
        src |= (outcome >> levels).astype(src.dtype)
        dst <<= levels
        dst |= (outcome & ((1 << levels) - 1)).astype(dst.dtype)


def _scramble(ids: np.ndarray, keys: np.ndarray, scale: int) -> np.ndarray:
    """A seeded bijection of ``0..2**scale-1``: a xor, then odd multiplications and xor-shifts
    modulo ``2**scale`` (each one invertible), mixing high and low bits both ways. Arithmetic on the
    chunk in cache, where a permutation table would cost a cache miss per endpoint."""
    mask = np.uint64((1 << scale) - 1)
    shift = np.uint64(scale // 2 + 1)
    x = ids.astype(np.uint64)
    x ^= keys[0] & mask  # moves 0, which multiplications and shifts keep in place
    for key in keys[1:]:
        x *= key
        x &= mask
        x ^= x >> shift
    return x


@lru_cache(maxsize=8)
def _alias_table(
    levels: int, probabilities: tuple[float, float, float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Walker alias table of ``levels`` R-MAT levels drawn at once.

    Outcome ``(s << levels) | t`` is the pair of ``levels``-bit source and target prefixes; its
    probability is the product of the quadrant probabilities level by level. Returns the keep
    thresholds (uint64, compared with the word's low ``64 - 2*levels`` bits) and the aliases.
    """
    a, b, c, d = probabilities
    weights = np.ones((1, 1))
    for _ in range(levels):
        weights = np.kron(weights, np.array([[a, b], [c, d]]))
    scaled = weights.ravel() * weights.size
    keep = np.ones(weights.size)
    alias = np.arange(weights.size, dtype=np.int64)
    small = [i for i in range(weights.size) if scaled[i] < 1.0]
    large = [i for i in range(weights.size) if scaled[i] >= 1.0]
    while small and large:
        low, high = small.pop(), large.pop()
        keep[low], alias[low] = scaled[low], high
        scaled[high] += scaled[low] - 1.0
        (small if scaled[high] < 1.0 else large).append(high)
    unit = float(1 << (64 - 2 * levels))
    threshold = np.minimum(np.round(keep * unit), unit).astype(np.uint64)
    return threshold, alias
