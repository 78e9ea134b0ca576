"""``asapgraph compare`` and the library under it: configurations, references, results, outputs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from asapgraph import Graph, report
from asapgraph.algorithms.components import ConnectedComponents
from asapgraph.algorithms.label_propagation import LabelPropagation
from asapgraph.algorithms.pagerank import PageRank
from asapgraph.cli import main
from asapgraph.compare import (
    MIN_TRACE_INTERVAL,
    Comparison,
    Configuration,
    compare,
    configurations_from,
    pagerank_solution,
    pagerank_tol,
    reference_for,
)
from asapgraph.progress import CONFIGURATIONS, ProgressEvent

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TARGET = 1e-6


def small_graph() -> Graph:
    return Graph.from_networkx(nx.gnp_random_graph(300, 0.02, seed=3, directed=True))


@pytest.fixture(scope="module")
def pagerank_comparison() -> Comparison:
    graph = small_graph()
    rows = configurations_from(["bsp", "asap"], [1, None])
    return compare(lambda: PageRank(tol=pagerank_tol(TARGET, graph.n)), graph, rows,
                   workers=2, repeat=2, seed=5, straggler={1: 2.0})


@pytest.fixture
def edge_file(tmp_path: Path) -> Path:
    graph = nx.gnp_random_graph(80, 0.06, seed=2, directed=True)
    path = tmp_path / "small.txt"
    lines = "".join(f"{u + 10}\t{v + 10}\n" for u, v in graph.edges())
    path.write_text(f"# Directed graph\n{lines}")
    return path


def test_configurations_from_gives_bsp_once_and_asap_per_fan_in() -> None:
    rows = configurations_from(["bsp", "asap", "bsp"], [1, 2, None, 1])
    assert rows == [Configuration("bsp"), Configuration("asap", 1), Configuration("asap", 2),
                    Configuration("asap", None)]
    assert [row.label for row in rows] == ["bsp", "asap fan-in 1", "asap fan-in 2",
                                           "asap fan-in all"]
    with pytest.raises(ValueError, match="Unknown mode 'ssp'"):
        configurations_from(["ssp"])
    with pytest.raises(ValueError, match="fan_in must be a positive integer"):
        configurations_from(["asap"], [0])


def test_compare_returns_one_result_per_configuration(pagerank_comparison: Comparison) -> None:
    comparison = pagerank_comparison
    assert [r.configuration.label for r in comparison.results] == [
        "bsp", "asap fan-in 1", "asap fan-in all"]
    assert comparison.algorithm == "pagerank"
    assert comparison.workers == 2
    assert comparison.baseline.configuration.mode == "bsp"
    assert comparison.speedup(comparison.baseline) == pytest.approx(1.0)
    for result in comparison.results:
        assert len(result.trials) == 2
        for trial in result.trials:
            assert trial.converged
            assert trial.seconds is not None
            assert 0 < trial.seconds <= trial.stats.compute_seconds
            assert trial.score < TARGET  # tol from pagerank_tol guarantees the target
            assert trial.stats.straggler == {1: 2.0}
            assert len(trial.stats.per_worker) == 2
            assert trial.stats.trace[-1].error == pytest.approx(trial.score)
        assert min(result.times) <= result.median_time <= max(result.times)
        assert result.typical in result.trials
        assert comparison.speedup(result) > 0


def test_comparison_to_dict_holds_every_raw_figure(pagerank_comparison: Comparison) -> None:
    data = pagerank_comparison.to_dict()
    assert data["reference"]["metric"] == "L1 error"
    assert data["reference"]["target"] == TARGET
    assert data["baseline"] == "bsp"
    assert len(data["configurations"]) == 3
    row = data["configurations"][1]
    assert row["mode"] == "asap"
    assert row["fan_in"] == 1
    assert set(row["seconds_to_target"]) == {"median", "min", "max"}
    assert len(row["trials"]) == 2
    stats = row["trials"][0]["stats"]
    assert {"per_worker", "trace", "mailboxes", "totals"} <= set(stats)
    assert len(stats["per_worker"]) == 2


def test_pagerank_reference_matches_networkx() -> None:
    graph = small_graph()
    expected = nx.pagerank(graph.to_networkx(), tol=1e-13, max_iter=1000)
    solution = pagerank_solution(PageRank(), graph, 1e-11)
    assert np.abs(solution - np.array([expected[i] for i in graph.ids])).sum() < 1e-9


def test_components_are_scored_exactly() -> None:
    graph = Graph.from_networkx(nx.disjoint_union_all(
        [nx.path_graph(40), nx.cycle_graph(30), nx.star_graph(20)]))
    comparison = compare(ConnectedComponents, graph, configurations_from(["bsp", "asap"], [1]),
                         workers=2, seed=1)
    assert comparison.reference.target == 0
    assert comparison.reference.metric == "mislabelled vertices"
    for result in comparison.results:
        trial = result.trials[0]
        assert trial.score == 0
        assert trial.seconds is not None
        assert trial.stats.trace[-1].error == 0


def test_label_propagation_is_timed_to_the_end_and_scored_by_modularity() -> None:
    graph = Graph.from_networkx(nx.connected_caveman_graph(6, 8))
    comparison = compare(lambda: LabelPropagation(seed=2), graph,
                         configurations_from(["bsp", "asap"], [None]), workers=2)
    assert comparison.reference.metric == "modularity"
    assert comparison.reference.goal == "time to finish"
    for result in comparison.results:
        trial = result.trials[0]
        assert trial.seconds == trial.stats.compute_seconds
        assert 0.5 < trial.score <= 1  # the caves are found


def test_target_applies_to_pagerank_only() -> None:
    with pytest.raises(ValueError, match="A target applies to pagerank only"):
        reference_for(ConnectedComponents(), small_graph(), target=1e-3)


def test_table_has_one_row_per_configuration(pagerank_comparison: Comparison) -> None:
    header = report.headers(pagerank_comparison)
    body = report.rows(pagerank_comparison)
    assert header[1].startswith("time to L1 error ≤ 1e-06")
    assert header[-1] == "speed-up vs bsp"
    assert [row[0] for row in body] == ["bsp", "asap fan-in 1", "asap fan-in all"]
    assert body[0][-1] == "1.00×"
    text = report.text_table(header, body).splitlines()
    assert len(text) == 2 + len(body)
    markdown = report.markdown_table(header, body).splitlines()
    assert markdown[1].startswith("| --- | ---: |")


def test_convergence_figure_draws_one_curve_per_configuration(
    pagerank_comparison: Comparison, tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib", reason="the plot is the optional [plot] extra")
    figure = report.convergence_figure(pagerank_comparison, "small")
    axes = figure.axes[0]
    curves = [line for line in axes.lines if not line.get_label().startswith("_")]
    assert [line.get_label() for line in curves] == ["bsp", "asap fan-in 1", "asap fan-in all"]
    assert axes.get_yscale() == "log"
    assert all(len(line.get_xdata()) >= 1 for line in curves)
    path = tmp_path / "convergence.png"
    assert report.write_plot(path, pagerank_comparison, "small")
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_cli_writes_table_results_and_plot(edge_file: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the plot is the optional [plot] extra")
    out = tmp_path / "out"
    completed = subprocess.run(
        [sys.executable, "-m", "asapgraph", "compare", "pagerank", str(edge_file),
         "--workers", "2", "--fan-in", "1,all", "--straggler", "1:2", "--repeat", "2",
         "--no-cache", "--out", str(out), "-v"],
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "asap fan-in all" in completed.stdout
    # -v logs each run; repeat 2 runs the order rotated by one, so bsp comes last
    assert "run 3/3 bsp, repeat 2/2" in completed.stderr

    document = json.loads((out / "results.json").read_text(),
                          parse_constant=lambda name: pytest.fail(f"{name} in results.json"))
    assert {"command_line", "arguments", "machine", "configurations", "reference",
            "graph", "workers"} <= set(document)
    assert len(document["configurations"]) == 3
    assert document["command_line"][1:3] == ["compare", "pagerank"]
    assert document["arguments"]["straggler"] == [[1, 2.0]]
    versions = document["machine"]["versions"]
    assert all(versions[name] for name in ("python", "numpy", "scipy", "asapgraph"))
    assert document["machine"]["cpu_count"] >= 1
    assert document["graph"]["n"] == nx.read_edgelist(edge_file, create_using=nx.DiGraph).order()
    assert len(document["configurations"][0]["trials"]) == 2
    assert (out / "convergence.png").read_bytes().startswith(PNG_SIGNATURE)


def test_cli_without_matplotlib_still_writes_table_and_json(
    edge_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    out = tmp_path / "out"
    status = main(["compare", "pagerank", str(edge_file), "--workers", "2", "--modes", "bsp",
                   "--repeat", "1", "--no-cache", "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "bsp" in captured.out.splitlines()[3]
    assert len(json.loads((out / "results.json").read_text())["configurations"]) == 1
    assert not (out / "convergence.png").exists()
    hints = [line for line in captured.err.splitlines() if "pip install 'asapgraph[plot]'" in line]
    assert len(hints) == 1


def test_cli_compares_components_exactly(
    edge_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "out"
    status = main(["compare", "cc", str(edge_file), "--workers", "2", "--fan-in", "1",
                   "--repeat", "1", "--no-cache", "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    document = json.loads((out / "results.json").read_text())
    assert document["reference"]["metric"] == "mislabelled vertices"
    assert [row["trials"][0]["score"] for row in document["configurations"]] == [0, 0]


def test_cli_refuses_a_target_for_label_propagation(
    edge_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    status = main(["compare", "lpa", str(edge_file), "--target", "1e-3", "--no-cache",
                   "--out", str(tmp_path / "out")])
    assert status == 2
    assert capsys.readouterr().err.strip() == (
        "asapgraph: error: A target applies to pagerank only: label_propagation is timed to "
        "the end of its run.")


@pytest.mark.parametrize(
    ("dataset", "needle"),
    [("missing-graph.txt", "no such file"), ("rmat:x", "rmat:SCALE"),
     ("nosuch:thing", "is no graph source")],
)
def test_bad_dataset_exits_2_with_one_line(
    dataset: str, needle: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    status = main(["compare", "pagerank", str(tmp_path / dataset) if "." in dataset else dataset,
                   "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.strip().splitlines()) == 1
    assert needle in err
    assert not (tmp_path / "out").exists()


def test_out_that_is_a_file_exits_2_before_running(
    edge_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder")
    status = main(["compare", "pagerank", str(edge_file), "--no-cache", "--out", str(blocker)])
    err = capsys.readouterr().err
    assert status == 2
    assert err.strip() == f"asapgraph: error: cannot create the --out folder {blocker}: File exists"


def test_warm_up_and_rotating_order_are_recorded(pagerank_comparison: Comparison) -> None:
    labels = ["bsp", "asap fan-in 1", "asap fan-in all"]
    assert pagerank_comparison.warmup is not None
    assert pagerank_comparison.warmup["configuration"] == "bsp"
    assert pagerank_comparison.warmup["seconds"] > 0
    assert pagerank_comparison.orders == [labels, labels[1:] + labels[:1]]
    positions = {(r.configuration.label, t.repeat): t.position
                 for r in pagerank_comparison.results for t in r.trials}
    assert positions[("bsp", 0)] == 0
    assert positions[("bsp", 1)] == 2  # first in repeat 1, last in repeat 2
    document = report.results_document(pagerank_comparison, "small")
    assert document["warmup"]["configuration"] == "bsp"
    assert document["orders"] == pagerank_comparison.orders
    assert document["interrupted"] is False
    assert document["runs"] == 6
    trial = document["configurations"][0]["trials"][1]
    assert (trial["repeat"], trial["position"]) == (1, 2)


def test_a_short_run_still_draws_a_curve(pagerank_comparison: Comparison) -> None:
    # Sampled every millisecond on a small graph (the engine's default is every 10 ms), so a run
    # of 25 ms draws a curve rather than two points. How many samples a run actually gets
    # depends on the parent's share of the cores, so only a floor is asserted on the count.
    assert MIN_TRACE_INTERVAL <= 0.001
    assert pagerank_comparison.trace_interval == MIN_TRACE_INTERVAL
    longest = max((t for r in pagerank_comparison.results for t in r.trials),
                  key=lambda t: t.stats.compute_seconds)
    assert len(longest.stats.trace) >= 3


def test_interrupted_comparison_keeps_the_runs_that_finished() -> None:
    graph = small_graph()
    rows = configurations_from(["bsp", "asap"], [1, None])

    def interrupt_third_run(event: ProgressEvent) -> None:
        if event.stage == CONFIGURATIONS and event.done == 2 and not event.finished:
            raise KeyboardInterrupt

    comparison = compare(ConnectedComponents, graph, rows, workers=2, repeat=3,
                         progress=interrupt_third_run)
    assert comparison.interrupted
    assert comparison.runs == 2
    assert [r.configuration.label for r in comparison.results] == ["bsp", "asap fan-in 1"]
    assert all(r.trials[0].score == 0 for r in comparison.results)  # exact components
    document = report.results_document(comparison, "small")
    assert document["interrupted"] is True
    assert document["runs"] == 2
    assert "INTERRUPTED after 2 of 9 runs" in report.summary(comparison, "small")


def test_interrupt_before_any_run_finished_propagates() -> None:
    graph = small_graph()

    def interrupt(event: ProgressEvent) -> None:
        if event.stage == CONFIGURATIONS:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        compare(ConnectedComponents, graph, [Configuration("bsp")], workers=2,
                progress=interrupt)


@pytest.mark.parametrize(("program", "scale", "unit"), [
    (ConnectedComponents, "symlog", "vertices in the wrong component"),
    (lambda: LabelPropagation(seed=1), "linear", "modularity of the current labels"),
])
def test_plots_are_in_the_units_of_the_table(program, scale: str, unit: str) -> None:
    pytest.importorskip("matplotlib", reason="the plot is the optional [plot] extra")
    graph = Graph.from_networkx(nx.karate_club_graph())
    comparison = compare(program, graph, configurations_from(["bsp", "asap"], [1]), workers=2)
    axes = report.convergence_figure(comparison, "karate").axes[0]
    assert axes.get_yscale() == scale
    assert axes.get_ylabel() == unit
    curves = [line for line in axes.lines if not line.get_label().startswith("_")]
    assert len(curves) == 2
    last = [float(line.get_ydata()[-1]) for line in curves]
    for result, value in zip(comparison.results, last, strict=True):
        assert value == pytest.approx(result.typical.score)  # the curve ends at the table's value
    if scale == "symlog":
        assert last == [0.0, 0.0]  # exact components: the curve visibly reaches zero
        assert axes.get_ylim()[0] == 0


def test_cli_ctrl_c_writes_the_finished_runs_and_exits_130(edge_file: Path,
                                                          tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the plot is the optional [plot] extra")
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "asapgraph", "compare", "cc", str(edge_file), "--workers", "2",
         "--straggler", "1:20", "--repeat", "200", "--no-cache", "--out", str(out), "-v"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    finished = 0
    try:
        assert process.stderr is not None
        for line in process.stderr:
            finished += "asapgraph.compare: run " in line
            if finished == 2:
                process.send_signal(signal.SIGINT)
                break
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "INTERRUPTED after" in stdout
    document = json.loads((out / "results.json").read_text())
    assert document["interrupted"] is True
    assert document["runs"] >= 2
    assert (out / "convergence.png").read_bytes().startswith(PNG_SIGNATURE)
