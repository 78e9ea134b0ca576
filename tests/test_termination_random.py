"""Randomised soundness of ASAP termination: random delays never make a run stop early or hang.

Modes asap and auto, with value and accumulative (delta) messages.

Each case draws its settings from its own seed (shown in the test id and in any failure). To
rerun one case alone: ``ASAPGRAPH_SOAK_SEED=<seed> ASAPGRAPH_SOAK_RUNS=1 pytest <this file>``.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import load_snap
from helpers_engine import ACCURACY, l1, reference, watchdog

import asapgraph

BASE_SEED = int(os.environ.get("ASAPGRAPH_SOAK_SEED", "20251125"))
RUNS = int(os.environ.get("ASAPGRAPH_SOAK_RUNS", "60"))
GRAPHS = ("p2p-Gnutella08.txt.gz", "ca-GrQc.txt")
RUN_TIMEOUT = 30.0  # seconds; a healthy run takes well under one
SEEDS = [BASE_SEED + k for k in range(RUNS)]


def draw(seed: int) -> dict:
    """Engine options for one case: workers, stochastic reduce, policy, per-round delays."""
    rng = np.random.default_rng(seed)
    workers = int(rng.integers(2, 9))
    delayed = rng.choice(workers, size=int(rng.integers(1, workers + 1)), replace=False)
    options = {
        "workers": workers,
        "fan_in": [1, 2, None][int(rng.integers(3))],
        "policy": ["latest", "queue"][int(rng.integers(2))],
        "max_staleness": int(rng.integers(1, 7)),
        "sweeps": int(rng.integers(1, 3)),
        "round_delay": {int(w): float(rng.uniform(0.0, 0.005)) for w in delayed},
        "seed": seed,
    }
    if rng.random() < 0.3:
        options["straggler"] = {int(rng.integers(workers)): float(rng.uniform(1.5, 4.0))}
    options["mode"] = ["asap", "auto"][int(rng.integers(2))]
    options["messages"] = ["values", "deltas"][int(rng.integers(2))]
    return options


def test_cases_cover_the_settings() -> None:
    """The default cases (whatever the environment overrides) exercise every setting."""
    cases = [draw(20251125 + k) for k in range(60)]
    assert {c["workers"] for c in cases} == set(range(2, 9))
    assert {c["fan_in"] for c in cases} == {1, 2, None}
    assert {c["policy"] for c in cases} == {"latest", "queue"}
    assert {c["sweeps"] for c in cases} == {1, 2}
    assert any("straggler" in c for c in cases)
    assert {(c["mode"], c["messages"]) for c in cases} == {
        (mode, messages) for mode in ("asap", "auto") for messages in ("values", "deltas")}
    assert all(0 < len(c["round_delay"]) <= c["workers"] for c in cases)
    assert draw(5) == draw(5)  # a seed names its case


@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{seed}" for seed in SEEDS])
def test_asap_stops_only_at_the_answer(engines, seed: int) -> None:
    options = draw(seed)
    name = GRAPHS[seed % len(GRAPHS)]
    graph = load_snap(name)
    workers = options.pop("workers")
    what = f"seed {seed}: {name}, workers={workers}, {options}"
    # A third of the cases start from a random vector: the answer is the same, and the ASAP
    # rounds (stale global scalars) must still stop only there.
    if seed % 3 == 0:
        start = np.random.default_rng(seed).random(graph.n)
        options["nstart"] = dict(zip(graph.ids.tolist(), start, strict=True))
    with watchdog(RUN_TIMEOUT, what):
        result = asapgraph.pagerank(graph, tol=1e-10, engine=engines(workers), **options)
    distance = l1(result.values, reference(graph))
    assert result.converged, what
    assert distance <= ACCURACY, f"{what}: L1 distance {distance:.3e} to networkx"
    # ASAP ends only through a verification round, which every worker takes part in; auto ends
    # in one too unless it stayed in BSP throughout (then a superstep's test ended it).
    if options["mode"] == "asap" or result.stats.phases[-1]["mode"] == "asap":
        assert all(w.verifications >= 1 for w in result.stats.per_worker), what
