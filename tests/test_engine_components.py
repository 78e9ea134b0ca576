"""Connected components on worker processes equal scipy's in every engine configuration."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SNAP_GRAPHS, load_snap
from helpers_engine import CONFIGS, label
from test_components import reference, scattered

import asapgraph


def components(engines, graph, config: dict) -> asapgraph.Result:
    """asapgraph.connected_components on the shared engine of the config's worker count."""
    return asapgraph.connected_components(
        graph, engine=engines(config["workers"]), mode=config["mode"],
        fan_in=config["fan_in"], straggler=config["straggler"])


@pytest.mark.parametrize("index", range(len(SNAP_GRAPHS)),
                         ids=[name.split(".")[0] for name in SNAP_GRAPHS])
def test_every_graph_every_configuration(engines, index: int) -> None:
    graph = load_snap(SNAP_GRAPHS[index])
    expected = reference(graph)
    for config in CONFIGS:
        result = components(engines, graph, config)
        assert result.converged, label(config)
        assert np.array_equal(result.values, expected), f"{SNAP_GRAPHS[index]} {label(config)}"


@pytest.mark.parametrize("config", CONFIGS, ids=label)
def test_long_path_and_many_small_components(engines, config: dict) -> None:
    graph = scattered()
    result = components(engines, graph, config)
    assert np.array_equal(result.values, reference(graph))
    assert result.stats.workers == config["workers"]
    assert result.stats.mode == config["mode"]
