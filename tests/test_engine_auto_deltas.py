"""Mode auto and accumulative (delta) PageRank messages on worker processes equal the references.

PageRank with ``messages="deltas"`` equals networkx in every mode, with and without a straggler;
mode auto gives every program the answer of its fixed modes: PageRank networkx's, components
scipy's exactly, label propagation the very labels of BSP (auto runs it bulk-synchronously, as its
path says). A straggler with auto must take the run into ASAP (measured, not told).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SNAP_GRAPHS, load_snap
from helpers_engine import ACCURACY, l1, reference
from test_components import reference as components_reference

import asapgraph
from asapgraph.algorithms.pagerank import PageRank
from asapgraph.compare import pagerank_solution
from asapgraph.datasets.resolve import resolve_graph

TOL = 1e-10
SETTINGS = [
    {"mode": "bsp"},
    {"mode": "asap", "fan_in": 1},
    {"mode": "asap"},
    {"mode": "auto"},
]


def settings_id(settings: dict) -> str:
    return "-".join(str(value) for value in settings.values())


@pytest.mark.parametrize("settings", SETTINGS, ids=settings_id)
@pytest.mark.parametrize("name", ["p2p-Gnutella08.txt.gz", "ca-GrQc.txt", "wiki-Vote.txt"])
def test_pagerank_deltas_equal_networkx(engines, name: str, settings: dict) -> None:
    graph = load_snap(name)
    for workers, straggler in ((4, {1: 3.0}), (3, None)):
        what = f"{name} {settings} workers={workers} straggler={straggler}"
        result = asapgraph.pagerank(graph, tol=TOL, messages="deltas", engine=engines(workers),
                                    straggler=straggler, **settings)
        distance = l1(result.values, reference(graph))
        assert result.converged, what
        assert distance <= ACCURACY, f"{what}: L1 distance {distance:.3e} to networkx"


def test_deltas_send_a_quarter_of_the_bytes_of_values(engines) -> None:
    graph = load_snap("email-Enron.txt.gz")
    runs = {messages: asapgraph.pagerank(graph, tol=TOL, messages=messages, engine=engines(4),
                                         mode="bsp")
            for messages in ("values", "deltas")}
    ratio = runs["deltas"].stats.bytes / runs["values"].stats.bytes
    assert ratio < 0.4, f"deltas sent {ratio:.2f}x the bytes of values"
    assert l1(runs["deltas"].values, runs["values"].values) <= 2 * ACCURACY


@pytest.mark.parametrize("name", SNAP_GRAPHS[::2], ids=[n.split(".")[0] for n in SNAP_GRAPHS[::2]])
def test_auto_pagerank_equals_networkx(engines, name: str) -> None:
    graph = load_snap(name)
    for messages, straggler in (("values", {2: 3.0}), ("deltas", None)):
        result = asapgraph.pagerank(graph, tol=TOL, messages=messages, engine=engines(4),
                                    mode="auto", straggler=straggler)
        what = f"{name} auto {messages} straggler={straggler}"
        assert result.converged, what
        assert l1(result.values, reference(graph)) <= ACCURACY, what
        phases = result.stats.phases
        assert (phases[0]["mode"], phases[0]["first"]) == ("bsp", 0), what
        assert phases[-1]["last"] is not None, what


def test_auto_leaves_bsp_for_a_straggler_it_measures(engines) -> None:
    graph = resolve_graph("rmat:15")
    result = asapgraph.pagerank(graph, tol=TOL, engine=engines(4), mode="auto",
                                straggler={1: 4.0})
    expected = pagerank_solution(PageRank(), graph, 1e-12)
    modes = [phase["mode"] for phase in result.stats.phases]
    assert modes[:2] == ["bsp", "asap"], result.stats.phases
    assert "imbalance" in result.stats.phases[1]["reason"]
    # The fast workers stopped waiting for the slow one: some rounds waited for fewer than all.
    fast = result.stats.per_worker[0]
    assert any(k < 3 for k in fast.waited_for), fast.waited_for
    assert l1(result.values, expected) <= ACCURACY


@pytest.mark.parametrize("name", SNAP_GRAPHS, ids=[name.split(".")[0] for name in SNAP_GRAPHS])
def test_auto_components_equal_scipy_and_stay_synchronous(engines, name: str) -> None:
    graph = load_snap(name)
    result = asapgraph.connected_components(graph, engine=engines(4), mode="auto",
                                            straggler={1: 3.0})
    assert result.converged
    assert np.array_equal(result.values, components_reference(graph))
    (phase,) = result.stats.phases
    assert phase["mode"] == "bsp"
    assert "cannot gain from asynchrony" in phase["reason"]


@pytest.mark.parametrize("name", ["ca-GrQc.txt", "email-Eu-core.txt.gz", "wiki-Vote.txt"])
def test_auto_label_propagation_gives_the_bsp_labels(engines, name: str) -> None:
    graph = load_snap(name)
    bsp, auto = (asapgraph.label_propagation(graph, seed=3, engine=engines(4), mode=mode,
                                             straggler={1: 3.0}) for mode in ("bsp", "auto"))
    assert np.array_equal(auto.values, bsp.values)
    assert auto.stats.rounds == bsp.stats.rounds
    assert [phase["mode"] for phase in auto.stats.phases] == ["bsp"]
