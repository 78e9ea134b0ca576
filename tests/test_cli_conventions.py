"""Command-line conventions: defaults in --help, -v anywhere, --top K, `-` for stdout, strict
JSON, and a progress display on a terminal (loading, rounds) that stays silent everywhere
else."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

from asapgraph.cli import build_parser, main, verbosity

HELP_SCREENS = ([], ["info"], ["run"], ["compare"], ["datasets"], ["datasets", "list"],
                ["datasets", "fetch"])


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "asapgraph", *args], capture_output=True,
                          text=True, check=False, timeout=120)


def in_process(capsys: pytest.CaptureFixture, *args: str) -> subprocess.CompletedProcess:
    """The CLI run in this process (no interpreter start-up), shaped like :func:`cli`'s result."""
    status = main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, status, captured.out, captured.err)


def refuse_constant(name: str) -> float:
    raise AssertionError(f"non-JSON number {name} in the output")


@pytest.fixture
def two_piece_file(tmp_path: Path) -> Path:
    """A directed graph with a 30-vertex piece, a 12-vertex piece and a 3-vertex path."""
    big = nx.gnp_random_graph(30, 0.25, seed=3, directed=True)
    small = nx.gnp_random_graph(12, 0.4, seed=4, directed=True)
    edges = [*big.edges(), *((u + 100, v + 100) for u, v in small.edges()), (500, 501), (501, 502)]
    path = tmp_path / "pieces.txt"
    path.write_text("# Directed graph\n" + "".join(f"{u}\t{v}\n" for u, v in edges))
    return path


def option_blocks(text: str) -> dict[str, str]:
    """Each option of a help screen: its signature (``--workers WORKERS``) → its help text."""
    blocks: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"^  (-\S.*?)(?:\s{2,}(.*))?$", line)
        if match:
            current = match.group(1)
            blocks[current] = match.group(2) or ""
        elif current is not None and line.startswith("    ") and line.strip():
            blocks[current] += " " + line.strip()
        else:
            current = None
    return blocks


@pytest.mark.parametrize("screen", HELP_SCREENS, ids=lambda s: " ".join(s) or "asapgraph")
def test_help_shows_the_default_of_every_option_that_takes_a_value(
    screen: list[str], capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*screen, "--help"])
    assert exit_info.value.code == 0
    blocks = option_blocks(capsys.readouterr().out)
    valued = {sig: text for sig, text in blocks.items() if re.search(r"[A-Z{]", sig.split()[-1])
              and len(sig.split()) > 1}
    assert valued or screen in ([], ["datasets"], ["datasets", "list"])
    missing = [sig for sig, text in valued.items() if "default" not in text]
    assert missing == [], f"no default shown for {missing}"
    assert "-v, --verbose" in blocks  # -v is accepted on every screen


def test_run_help_shows_concrete_defaults(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    blocks = option_blocks(capsys.readouterr().out)
    assert "(default: 1)" in blocks["--workers WORKERS"]
    assert "(default: bsp)" in blocks["--mode {bsp,asap,auto}"]
    assert "(default: 1e-06)" in blocks["--tol TOL"]


@pytest.mark.parametrize(("argv", "level"), [
    (["run", "cc", "g.txt"], 0),
    (["-v", "run", "cc", "g.txt"], 1),
    (["run", "cc", "g.txt", "-v"], 1),
    (["run", "-vv", "cc", "g.txt"], 2),
    (["-v", "run", "cc", "g.txt", "-v"], 2),
    (["datasets", "list", "-v"], 1),
    (["datasets", "-v", "list"], 1),
])
def test_verbose_counts_wherever_it_is_given(argv: list[str], level: int) -> None:
    assert verbosity(build_parser().parse_args(argv)) == level


def test_verbose_after_the_subcommand_logs_engine_events(two_piece_file: Path) -> None:
    result = cli("run", "cc", str(two_piece_file), "--workers", "2", "--no-cache", "-v")
    assert result.returncode == 0, result.stderr
    assert "asapgraph.engine" in result.stderr


def test_top_pagerank_prints_the_k_best_vertices_sorted(
    two_piece_file: Path, capsys: pytest.CaptureFixture
) -> None:
    result = in_process(capsys, "run", "pagerank", str(two_piece_file), "--workers", "2",
                        "--tol", "1e-10", "--top", "5", "--no-cache")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    assert len(lines) == 5
    rows = [(int(a), float(b)) for a, b in (line.split("\t") for line in lines)]
    expected = nx.pagerank(nx.read_edgelist(two_piece_file, create_using=nx.DiGraph,
                                            nodetype=int), tol=1e-12)
    best = sorted(expected, key=lambda v: (-expected[v], v))[:5]
    assert [vertex for vertex, _ in rows] == best
    ranks = [rank for _, rank in rows]
    assert ranks == sorted(ranks, reverse=True)
    assert "converged=True" in result.stderr  # the summary steps aside for the data


@pytest.mark.parametrize("algorithm", ["cc", "lpa"])
def test_top_groups_lists_the_largest_by_size(
    two_piece_file: Path, algorithm: str, capsys: pytest.CaptureFixture
) -> None:
    result = in_process(capsys, "run", algorithm, str(two_piece_file), "--workers", "2",
                        "--top", "2", "--no-cache")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    assert len(lines) == 2
    sizes = [int(line.split("\t")[1]) for line in lines]
    assert sizes == sorted(sizes, reverse=True)
    if algorithm == "cc":  # labels are the smallest original id of each component
        assert [line.split("\t") for line in lines] == [["0", "30"], ["100", "12"]]


def test_out_dash_writes_every_vertex_to_stdout(
    two_piece_file: Path, capsys: pytest.CaptureFixture
) -> None:
    result = in_process(capsys, "run", "cc", str(two_piece_file), "--out", "-", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# cc on ")
    rows = dict(line.split("\t") for line in result.stdout.splitlines()[1:])
    assert len(rows) == 45
    assert rows["502"] == "500"
    assert "components: 3" in result.stderr
    assert not Path("-").exists()


def test_stats_and_results_are_strict_json(
    two_piece_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    stats = tmp_path / "stats.json"
    result = in_process(capsys, "run", "pagerank", str(two_piece_file), "--workers", "2",
                        "--mode", "asap", "--stats", str(stats), "--no-cache")
    assert result.returncode == 0, result.stderr
    document = json.loads(stats.read_text(), parse_constant=refuse_constant)
    assert document["trace"][0]["change"] is None  # the first sample precedes any round
    out = tmp_path / "cmp"
    result = in_process(capsys, "compare", "cc", str(two_piece_file), "--workers", "2",
                        "--repeat", "1", "--fan-in", "1", "--out", str(out), "--no-cache")
    assert result.returncode == 0, result.stderr
    json.loads((out / "results.json").read_text(), parse_constant=refuse_constant)


def run_on_a_terminal(args: list[str], seconds: float = 120) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal; return its status and what it drew."""
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    process = subprocess.Popen([sys.executable, "-m", "asapgraph", *args], stderr=follower,
                               stdout=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks, deadline = [], time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # the terminal closed: the process is gone
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
        status = process.wait(timeout=10)
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
    return status, b"".join(chunks).decode(errors="replace")


SLOW_RUN = ["run", "pagerank", "rmat:12", "--workers", "2", "--straggler", "1:100",
            "--tol", "1e-12", "--no-cache"]


def test_progress_is_drawn_on_a_terminal() -> None:
    status, drawn = run_on_a_terminal(SLOW_RUN)
    assert status == 0, drawn
    assert "rounds" in drawn
    assert "stops below" in drawn
    assert "\x1b[" in drawn  # rich redraws the live lines in place


def test_no_progress_when_stderr_is_not_a_terminal() -> None:
    result = cli(*SLOW_RUN)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "\x1b[" not in result.stdout


@contextlib.contextmanager
def trickled(fifo: Path, text: bytes, parts: int = 15, pause: float = 0.1) -> Iterator[None]:
    """A FIFO at ``fifo`` fed ``text`` in ``parts`` with ``pause`` seconds between them, so a
    load from it lasts about ``parts * pause`` seconds."""
    os.mkfifo(fifo)

    def feed() -> None:
        step = -(-len(text) // parts)
        try:
            with fifo.open("wb") as handle:
                for start in range(0, len(text), step):
                    handle.write(text[start:start + step])
                    handle.flush()
                    time.sleep(pause)
        except BrokenPipeError:  # the reader stopped early; its own test says why
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        yield
    finally:
        if writer.is_alive():  # nobody opened the FIFO: open it so the writer ends
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        writer.join(timeout=30)


def slow_edge_text() -> bytes:
    return "".join(f"{i}\t{(i * 7919) % 5000}\n" for i in range(20_000)).encode()


def test_loading_shows_bytes_and_rate_on_a_terminal(tmp_path: Path) -> None:
    """A load of about 1.5 s (a FIFO fed slowly) draws a live line with bytes and the rate."""
    fifo = tmp_path / "slow.pipe"
    with trickled(fifo, slow_edge_text()):
        status, drawn = run_on_a_terminal(["info", str(fifo)])
    assert status == 0, drawn
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn)  # the colours and redraws, not the words
    assert re.search(r"loading[\s━]+slow\.pipe \d+\.\d MB at \d+\.\d MB/s", text), text
    assert re.search(r"loaded[\s━]+slow\.pipe 0\.2 MB at \d+\.\d MB/s", text), text


def test_loading_prints_nothing_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    fifo = tmp_path / "slow.pipe"
    with trickled(fifo, slow_edge_text()):
        result = cli("info", str(fifo), "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout)["m"] == 20_000


def test_top_with_parallel_ingest_is_refused_in_one_line(
    two_piece_file: Path, capsys: pytest.CaptureFixture
) -> None:
    result = in_process(capsys, "run", "cc", str(two_piece_file), "--transport", "mpi",
                        "--top", "2")
    assert result.returncode == 2
    assert result.stderr.strip() == ("asapgraph: error: --top needs the whole result on one "
                                     "rank: add --ingest whole")
