"""PageRank on worker processes (BSP and ASAP) equals networkx on every shared SNAP graph."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import SNAP_GRAPHS, load_snap
from helpers_engine import (
    ACCURACY,
    CONFIGS,
    WORKER_COUNTS,
    banded_graph,
    l1,
    label,
    reference,
)

import asapgraph

TOL = 1e-10
SMALL = ("email-Eu-core.txt.gz", "p2p-Gnutella08.txt.gz")  # the full cross product runs on these


def solve(engines, graph, config: dict, **options) -> asapgraph.Result:
    """asapgraph.pagerank at TOL on the shared engine of the config's worker count."""
    options = {"mode": config["mode"], "fan_in": config["fan_in"],
               "straggler": config["straggler"], **options}
    return asapgraph.pagerank(graph, tol=TOL, engine=engines(config["workers"]), **options)


def assert_accurate(result: asapgraph.Result, graph, what: str) -> None:
    distance = l1(result.values, reference(graph))
    assert result.converged, what
    assert distance <= ACCURACY, f"{what}: L1 distance {distance:.3e} to networkx"


def test_configurations_cover_every_axis() -> None:
    assert {c["workers"] for c in CONFIGS} == set(WORKER_COUNTS)
    assert {(c["mode"], c["fan_in"]) for c in CONFIGS} == {
        ("bsp", None), ("asap", None), ("asap", 1)}
    assert sum(bool(c["straggler"]) for c in CONFIGS) == 9
    assert len(CONFIGS) == 21


@pytest.mark.parametrize("index", range(len(SNAP_GRAPHS)),
                         ids=[name.split(".")[0] for name in SNAP_GRAPHS])
def test_every_graph_rotating_configurations(engines, index: int) -> None:
    """Each graph with three configurations; together the graphs run every one of them."""
    graph = load_snap(SNAP_GRAPHS[index])
    step = len(CONFIGS) // 3
    for config in (CONFIGS[(index + k * step) % len(CONFIGS)] for k in range(3)):
        result = solve(engines, graph, config)
        assert_accurate(result, graph, f"{SNAP_GRAPHS[index]} {label(config)}")


def test_rotation_covers_every_configuration() -> None:
    step = len(CONFIGS) // 3
    used = {(i + k * step) % len(CONFIGS) for i in range(len(SNAP_GRAPHS)) for k in range(3)}
    assert used == set(range(len(CONFIGS)))


@pytest.mark.parametrize("config", CONFIGS, ids=label)
@pytest.mark.parametrize("name", SMALL, ids=lambda name: name.split(".")[0])
def test_cross_product_on_small_graphs(engines, name: str, config: dict) -> None:
    graph = load_snap(name)
    result = solve(engines, graph, config)
    assert_accurate(result, graph, f"{name} {label(config)}")
    assert result.stats.workers == config["workers"]
    assert result.stats.mode == config["mode"]


@pytest.mark.parametrize("policy", ["queue", "latest"])
@pytest.mark.parametrize("name", ["ca-GrQc.txt", "wiki-Vote.txt"])
def test_mailbox_policies(engines, name: str, policy: str) -> None:
    graph = load_snap(name)
    config = {"workers": 4, "mode": "asap", "fan_in": 1, "straggler": {1: 3.0}}
    result = solve(engines, graph, config, policy=policy)
    assert_accurate(result, graph, f"{name} policy={policy}")
    assert result.stats.policy == policy
    if policy == "queue":  # strict NOTIFY-ACK never overwrites an unread message
        assert sum(w.superseded for w in result.stats.per_worker) == 0


@pytest.mark.parametrize("order", ["degree", "random"])
@pytest.mark.parametrize("mode", ["bsp", "asap"])
def test_vertex_orders(engines, mode: str, order: str) -> None:
    for name in ("ca-HepTh.txt", "p2p-Gnutella31.txt"):
        graph = load_snap(name)
        config = {"workers": 4, "mode": mode, "fan_in": None, "straggler": None}
        result = solve(engines, graph, config, order=order, seed=5)
        assert_accurate(result, graph, f"{name} {mode} order={order}")


def test_to_dict_is_keyed_by_original_ids(engines) -> None:
    graph = load_snap("ca-GrQc.txt")
    config = {"workers": 2, "mode": "asap", "fan_in": None, "straggler": None}
    result = solve(engines, graph, config)
    ranks = result.to_dict()
    assert set(ranks) == set(graph.to_networkx().nodes)
    assert set(ranks) != set(range(graph.n))  # SNAP ids are sparse: not the dense ids
    expected = reference(graph)
    distance = sum(abs(ranks[v] - expected[i]) for i, v in enumerate(graph.ids.tolist()))
    assert distance <= ACCURACY
    assert sum(ranks.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("mode", ["bsp", "asap"])
def test_stats_sanity(engines, mode: str) -> None:
    graph = load_snap("email-Eu-core.txt.gz")
    config = {"workers": 4, "mode": mode, "fan_in": None, "straggler": None}
    stats = solve(engines, graph, config).stats
    lo, _, hi = stats.rounds
    assert 0 < lo <= hi
    assert stats.messages > 0
    assert stats.bytes > 0
    assert 0 < stats.bytes_received <= stats.bytes
    assert stats.trace
    assert stats.compute_seconds > 0
    assert stats.converged
    data = json.loads(stats.to_json())
    assert data["workers"] == 4
    assert data["mode"] == mode
    assert [w["worker"] for w in data["per_worker"]] == [0, 1, 2, 3]
    assert data["totals"]["messages"] == stats.messages
    assert len(data["trace"]) == len(stats.trace)
    rows = stats.table().splitlines()
    workers_listed = [int(line.split()[0]) for line in rows if line.split()[0].isdigit()]
    assert workers_listed == [0, 1, 2, 3]


def test_stats_of_one_worker(engines) -> None:
    graph = load_snap("email-Eu-core.txt.gz")
    config = {"workers": 1, "mode": "asap", "fan_in": None, "straggler": None}
    stats = solve(engines, graph, config).stats
    assert stats.rounds[0] > 0
    assert stats.messages == 0  # one part: no boundary, nothing to send
    assert stats.trace
    assert json.loads(stats.to_json())["workers"] == 1
    assert len(stats.per_worker) == 1


def test_bsp_is_repeatable(engines) -> None:
    graph = load_snap("ca-HepTh.txt")
    config = {"workers": 4, "mode": "bsp", "fan_in": None, "straggler": None}
    first = solve(engines, graph, config, seed=11)
    second = solve(engines, graph, config, seed=11)
    slowed = solve(engines, graph, {**config, "straggler": {1: 3.0}}, seed=11)
    assert np.array_equal(first.values, second.values)
    assert np.array_equal(first.values, slowed.values)  # BSP does not depend on timing
    assert first.stats.rounds == second.stats.rounds == slowed.stats.rounds


def test_one_engine_serves_many_runs(engines) -> None:
    engine = engines(2)
    pids = [process.pid for process in engine._processes]
    names = ["email-Eu-core.txt.gz", "ca-GrQc.txt", "facebook_combined.txt.gz",
             "email-Eu-core.txt.gz"]
    for k, name in enumerate(names):
        graph = load_snap(name)
        mode = ("bsp", "asap")[k % 2]
        config = {"workers": 2, "mode": mode, "fan_in": None, "straggler": None}
        assert_accurate(solve(engines, graph, config), graph, f"run {k}: {name} {mode}")
    assert [process.pid for process in engine._processes] == pids
    assert all(process.is_alive() for process in engine._processes)


def test_more_workers_than_cores() -> None:
    """64 workers on 2 cores, on a graph where each part feeds only a few others."""
    # On email-Eu-core each of 64 parts feeds nearly every other (about 4000 mailboxes): an
    # ASAP run then takes over 10 s on 2 cores, every post waking its receiver.
    graph = banded_graph()
    with asapgraph.Engine(64) as engine:
        assert len(engine._processes) == 64
        for mode, fan_in in (("bsp", None), ("asap", 2)):
            result = asapgraph.pagerank(graph, tol=TOL, engine=engine, mode=mode, fan_in=fan_in)
            assert_accurate(result, graph, f"P=64 {mode}")
            assert len(result.stats.per_worker) == 64
            assert min(w.rounds for w in result.stats.per_worker) > 0
            assert result.stats.messages > 0


def test_own_engine_per_call() -> None:
    """Without ``engine``, ``workers`` starts a pool for the call and stops it afterwards."""
    graph = load_snap("p2p-Gnutella08.txt.gz")
    result = asapgraph.pagerank(graph, tol=TOL, workers=3, mode="asap", fan_in=1)
    assert_accurate(result, graph, "workers=3")
    assert result.stats.workers == 3


@pytest.mark.parametrize("tol", [1e-6, 1e-8])
@pytest.mark.parametrize(("workers", "mode"), [(1, "bsp"), (2, "bsp"), (4, "bsp"), (4, "asap")])
def test_tol_bounds_the_error(engines, workers: int, mode: str, tol: float) -> None:
    """``tol`` is per vertex: the L1 error stays under n·tol (email-Eu-core nears the bound)."""
    graph = load_snap("email-Eu-core.txt.gz")
    result = asapgraph.pagerank(graph, tol=tol, engine=engines(workers), mode=mode)
    assert l1(result.values, reference(graph)) < graph.n * tol


@pytest.mark.parametrize("mode", ["bsp", "asap"])
def test_several_sweeps_per_round(engines, mode: str) -> None:
    """Extra local sweeps must not fool the stopping test (the last sweep alone changes little)."""
    for name in ("ca-GrQc.txt", "wiki-Vote.txt"):
        graph = load_snap(name)
        config = {"workers": 4, "mode": mode, "fan_in": None, "straggler": None}
        result = solve(engines, graph, config, sweeps=3)
        assert_accurate(result, graph, f"{name} {mode} sweeps=3")
