"""The command line: version, help, info, run with --out/--stats, and usage errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

import asapgraph
from asapgraph.cli import main


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "asapgraph", *args], capture_output=True, text=True, check=False
    )


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    graph = nx.gnp_random_graph(60, 0.08, seed=2, directed=True)
    path = tmp_path / "small.txt"
    lines = ["# Directed graph: test", *(f"{u + 100}\t{v + 100}" for u, v in graph.edges())]
    path.write_text("\r\n".join(lines) + "\r\n")
    return path


def test_version_and_help(capsys: pytest.CaptureFixture) -> None:
    assert cli("--version").stdout.strip() == f"asapgraph {asapgraph.__version__}"
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "examples:" in out
    assert "asapgraph run pagerank" in out


def test_info_json(small_file: Path) -> None:
    result = cli("info", str(small_file), "--json", "--no-cache")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    reference = nx.read_edgelist(small_file, create_using=nx.DiGraph, nodetype=int)
    assert figures["n"] == reference.number_of_nodes()
    assert figures["m"] == reference.number_of_edges()
    assert figures["directed"] is True
    assert figures["from_cache"] is False
    assert {"self_loops", "dangling", "degree_median", "load_seconds"} <= set(figures)


def test_run_pagerank_writes_output_and_stats(small_file: Path, tmp_path: Path) -> None:
    out, stats = tmp_path / "ranks.tsv", tmp_path / "stats.json"
    result = cli("run", "pagerank", str(small_file), "--workers", "2", "--mode", "asap",
                 "--fan-in", "1", "--straggler", "1:2", "--tol", "1e-10",
                 "--out", str(out), "--stats", str(stats), "--no-cache")
    assert result.returncode == 0, result.stderr
    assert "converged=True" in result.stdout
    lines = out.read_text().splitlines()
    assert lines[0].startswith("# pagerank")
    reference = nx.pagerank(nx.read_edgelist(small_file, create_using=nx.DiGraph, nodetype=int),
                            tol=1e-12)
    values = {int(i): float(v) for i, v in (line.split("\t") for line in lines[1:])}
    assert values.keys() == reference.keys()
    assert sum(abs(values[k] - reference[k]) for k in values) <= 1e-6
    document = json.loads(stats.read_text())
    assert document["mode"] == "asap"
    assert document["straggler"] == {"1": 2.0}
    assert len(document["per_worker"]) == 2
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--workers", "0"], "workers"),
        (["--workers", "2", "--straggler", "5:3"], "straggler worker 5"),
        (["--mode", "asap", "--max-staleness", "0"], "max_staleness"),
    ],
)
def test_bad_options_exit_2(small_file: Path, args: list[str], needle: str) -> None:
    result = cli("run", "pagerank", str(small_file), "--no-cache", *args)
    assert result.returncode == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_straggler_syntax(small_file: Path) -> None:
    result = cli("run", "pagerank", str(small_file), "--straggler", "1-3")
    assert result.returncode == 2
    assert "WORKER:FACTOR" in result.stderr


def test_worker_logs_reach_the_parent(small_file: Path) -> None:
    result = cli("-vv", "run", "pagerank", str(small_file), "--workers", "2", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert "asapgraph-worker-1 asapgraph.worker: worker 1: bsp run of pagerank starts" in (
        result.stderr
    )


def test_run_cc_and_lpa(small_file: Path, tmp_path: Path) -> None:
    graph = nx.read_edgelist(small_file, create_using=nx.DiGraph, nodetype=int)
    out = tmp_path / "cc.tsv"
    result = cli("run", "cc", str(small_file), "--workers", "3", "--mode", "asap", "--fan-in", "1",
                 "--out", str(out), "--no-cache")
    assert result.returncode == 0, result.stderr
    components = list(nx.weakly_connected_components(graph))
    assert f"components: {len(components)}" in result.stdout
    labels = {int(i): int(v) for i, v in (line.split("\t") for line in
                                          out.read_text().splitlines()[1:])}
    for component in components:
        assert {labels[v] for v in component} == {min(component)}
    result = cli("run", "lpa", str(small_file), "--workers", "2", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert "communities:" in result.stdout
    assert "modularity" in result.stdout


def test_library_shape_is_the_same_for_every_algorithm() -> None:
    graph = nx.karate_club_graph()
    for function in (asapgraph.pagerank, asapgraph.connected_components,
                     asapgraph.label_propagation):
        result = function(graph, workers=2, mode="asap")
        assert result.values.shape == (34,)
        assert set(result.to_dict()) == set(graph)
        assert result.stats.workers == 2


def test_output_file_has_ordinary_permissions(small_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "ranks.tsv"
    result = cli("run", "pagerank", str(small_file), "--out", str(out), "--no-cache")
    assert result.returncode == 0, result.stderr
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
