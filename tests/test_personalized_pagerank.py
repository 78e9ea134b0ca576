"""Personalised PageRank for many seeds in one run, against networkx seed by seed."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from conftest import load_snap, require_snap

import asapgraph
from asapgraph.cli import main

GRAPH = "wiki-Vote.txt"  # directed, many dangling vertices: the personalization catches them
TOL = 1e-10
ACCURACY = 1e-6  # L1 distance to networkx per seed


def seeds_of(graph: asapgraph.Graph) -> list:
    """Vertex seeds (a hub, a dangling vertex, an ordinary one) and two personalization dicts."""
    ids = graph.ids
    hub = int(ids[np.argmax(graph.in_degree)])
    dangling = int(ids[np.flatnonzero(graph.out_degree == 0)[0]])
    return [hub, dangling, int(ids[100]), {int(ids[3]): 1.0, int(ids[7]): 3.0},
            {int(v): 1.0 for v in ids[::50]}]


_REFERENCE: dict = {}


def networkx_ranks(graph: asapgraph.Graph, seed) -> np.ndarray:
    """networkx's personalised PageRank (tol 1e-13) in dense-id order, computed once per seed."""
    key = repr(seed)
    if key not in _REFERENCE:
        if "nx" not in _REFERENCE:
            _REFERENCE["nx"] = graph.to_networkx()
        personalization = seed if isinstance(seed, dict) else {seed: 1.0}
        ranks = nx.pagerank(_REFERENCE["nx"], personalization=personalization, tol=1e-13,
                            max_iter=10_000)
        _REFERENCE[key] = np.array([ranks[v] for v in graph.ids.tolist()])
    return _REFERENCE[key]


@pytest.mark.parametrize(("workers", "mode"), [(1, "bsp"), (2, "bsp"), (3, "bsp"), (2, "asap"),
                                               (3, "asap")])
def test_every_seed_equals_networkx(engines, workers: int, mode: str) -> None:
    graph = load_snap(GRAPH)
    seeds = seeds_of(graph)
    options = {"straggler": {1: 3.0}, "fan_in": 1} if mode == "asap" else {}
    result = asapgraph.personalized_pagerank(graph, seeds, tol=TOL, engine=engines(workers),
                                             mode=mode, **options)
    assert result.values.shape == (graph.n, len(seeds))
    assert result.converged
    for j, seed in enumerate(seeds):
        assert np.abs(result.column(j) - networkx_ranks(graph, seed)).sum() < ACCURACY, seed


def test_one_seed_keeps_the_flat_layout_and_equals_networkx(engines) -> None:
    graph = load_snap(GRAPH)
    seed = seeds_of(graph)[0]
    result = asapgraph.personalized_pagerank(graph, [seed], tol=TOL, engine=engines(2))
    assert result.values.shape == (graph.n, 1)
    assert np.abs(result.column(0) - networkx_ranks(graph, seed)).sum() < ACCURACY


def test_each_seed_converges_on_its_own(engines) -> None:
    """BSP: the columns do not interact, so k seeds take the rounds of the slowest seed alone."""
    graph = load_snap(GRAPH)
    seeds = seeds_of(graph)[:3]
    alone = [asapgraph.personalized_pagerank(graph, [s], tol=TOL, engine=engines(2)).stats
             for s in seeds]
    together = asapgraph.personalized_pagerank(graph, seeds, tol=TOL, engine=engines(2)).stats
    assert together.rounds[2] == max(stats.rounds[2] for stats in alone)
    assert len({stats.rounds[2] for stats in alone}) > 1  # the seeds do differ


def test_results_by_original_id() -> None:
    graph = asapgraph.Graph.from_edges([10, 20, 30, 30], [20, 30, 10, 40])
    result = asapgraph.personalized_pagerank(graph, [10, {30: 1, 40: 1}], tol=1e-12)
    reference = nx.pagerank(graph.to_networkx(), personalization={30: 1, 40: 1}, tol=1e-13)
    assert result.to_dict(1) == pytest.approx(reference, abs=1e-9)
    top = result.top(2, 0)
    assert [vertex for vertex, _ in top] == [10, 20]
    assert top[0][1] == pytest.approx(result.to_dict(0)[10])


def test_bad_seeds_are_named() -> None:
    graph = asapgraph.Graph.from_edges([1, 2], [2, 3])
    with pytest.raises(KeyError, match="vertex 9 is not in the graph"):
        asapgraph.personalized_pagerank(graph, [1, 9])
    with pytest.raises(ValueError, match="at least one"):
        asapgraph.personalized_pagerank(graph, [])
    with pytest.raises(ValueError, match="personalization 1 sums to zero"):
        asapgraph.personalized_pagerank(graph, [1, {2: 0.0}])


def read_rows(path: Path) -> list[tuple[int, int, float]]:
    rows = np.loadtxt(path, comments="#", delimiter="\t", ndmin=2)
    return [(int(s), int(v), r) for s, v, r in rows.tolist()]


def check_top_rows(rows, graph: asapgraph.Graph, seeds: list[int], top: int) -> None:
    """Each seed's rows are its ``top`` best vertices by networkx, with networkx's ranks."""
    assert [s for s, _, _ in rows] == [s for s in seeds for _ in range(top)]
    for j, seed in enumerate(seeds):
        reference = networkx_ranks(graph, seed)
        mine = rows[j * top : (j + 1) * top]
        ranks = np.array([r for _, _, r in mine])
        assert np.all(np.diff(ranks) <= 0)
        expected = reference[graph.dense_ids([v for _, v, _ in mine])]
        assert np.abs(ranks - expected).max() < ACCURACY
        assert ranks[-1] >= np.sort(reference)[::-1][top - 1] - ACCURACY


def test_cli_writes_seed_vertex_rank_rows(tmp_path: Path, capsys) -> None:
    path = require_snap(GRAPH)
    graph = load_snap(GRAPH)
    seeds = [s for s in seeds_of(graph) if not isinstance(s, dict)]
    seed_file, out = tmp_path / "seeds.txt", tmp_path / "ppr.tsv"
    seed_file.write_text("# seeds\n" + "\n".join(map(str, seeds)) + "\n")
    assert main(["run", "ppr", str(path), "--seeds", str(seed_file), "--top", "7", "--tol",
                 str(TOL), "--workers", "2", "--mode", "asap", "--no-cache",
                 "--out", str(out)]) == 0
    assert f"seeds={len(seeds)}" in capsys.readouterr().out
    check_top_rows(read_rows(out), graph, seeds, 7)


@pytest.mark.parametrize(("seeds", "needle"), [
    ("1,x", "neither a file nor a comma-separated list"),
    ("999999999", "vertex 999999999 is not in the graph"),
])
def test_cli_bad_seeds_are_one_line(tmp_path: Path, capsys, seeds: str, needle: str) -> None:
    graph = tmp_path / "g.txt"
    graph.write_text("1 2\n2 3\n")
    assert main(["run", "ppr", str(graph), "--seeds", seeds, "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert needle in err


def test_cli_bad_seed_file_names_file_and_line(tmp_path: Path, capsys) -> None:
    graph, seeds = tmp_path / "g.txt", tmp_path / "seeds.txt"
    graph.write_text("1 2\n2 3\n")
    seeds.write_text("1\n\n2 # fine\nthree\n")
    assert main(["run", "ppr", str(graph), "--seeds", str(seeds), "--no-cache"]) == 2
    assert capsys.readouterr().err == (f"asapgraph: error: {seeds}:4: seed 'three' is not an "
                                       "integer vertex id\n")


@pytest.mark.parametrize("mode", ["bsp", "asap"])
def test_mpi_equals_networkx_and_shared_memory(tmp_path: Path, mode: str) -> None:
    from test_mpi import run_cli

    path = require_snap(GRAPH)
    graph = load_snap(GRAPH)
    seeds = [s for s in seeds_of(graph) if not isinstance(s, dict)]
    out = tmp_path / "ppr.tsv"
    result = run_cli(3, "ppr", str(path), "--seeds", ",".join(map(str, seeds)), "--top", "10",
                     "--mode", mode, "--tol", str(TOL), "--straggler", "1:3", "--out", str(out),
                     "--no-cache")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("converged=True") == 1
    rows = read_rows(out)
    check_top_rows(rows, graph, seeds, 10)
    if mode == "bsp":  # the same supersteps on the same values as shared memory
        same = asapgraph.personalized_pagerank(graph, seeds, tol=TOL, workers=3,
                                               straggler={1: 3.0})
        for j, seed in enumerate(seeds):
            mine = [(v, r) for s, v, r in rows if s == seed]
            assert mine == same.top(10, j)


def test_compiled_and_numpy_steps_agree(monkeypatch, engines) -> None:
    """The fast extra's one-pass step gives the numpy step's ranks (to rounding)."""
    from conftest import require_numba

    require_numba()
    graph = load_snap(GRAPH)
    seeds = seeds_of(graph)
    runs = {}
    for flag in ("0", "1"):
        monkeypatch.setenv("ASAPGRAPH_NUMBA", flag)
        runs[flag] = asapgraph.personalized_pagerank(graph, seeds, tol=TOL, workers=1)
    assert np.abs(runs["0"].values - runs["1"].values).max() < 1e-12
    assert runs["0"].stats.rounds == runs["1"].stats.rounds
