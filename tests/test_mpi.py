"""The MPI transport: the same programs and modes under ``mpiexec``, equal to shared memory.

Every MPI run is a subprocess (``mpiexec -n P asapgraph run ...``) with a timeout, so a hang fails
the test instead of stalling the suite, and MPI is never initialised inside pytest (whose other
tests fork shared-memory workers). The references are networkx and the shared-memory transport on
the same partitioning: BSP must equal it bit for bit (the same supersteps on the same values),
ASAP within the tolerance. Without mpi4py these tests skip, saying why — except under CI=true,
where the ``mpi`` extra is installed and a skip would hide a broken transport: there they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from conftest import load_snap, require_snap
from helpers_engine import as_in_a_terminal
from scipy.sparse.csgraph import connected_components

import asapgraph
from asapgraph.algorithms.pagerank import PageRank
from asapgraph.api import execute
from asapgraph.partition import partition

GRAPH = "wiki-Vote.txt"  # directed, 7k vertices, 104k edges: every rank feeds every other
TOL = 1e-10
ACCURACY = 1e-6  # L1 distance to networkx (and between transports) at TOL
STRAGGLER = "1:3"
TIMEOUT = 120  # seconds an mpiexec run may take before the test calls it a hang
FAILURE_TIMEOUT = 60
REAP_GRACE = 5.0  # seconds the launcher may take to reap the other ranks after it returns


MPICH_SEGMENTS = "mpich_shm_*"


@pytest.fixture(autouse=True)
def no_mpich_segments_left():
    """A rank killed on purpose cannot remove MPICH's shared-memory segments; remove the ones
    this test made (never older ones), and fail if the asapgraph engine left any of its own."""
    shm = Path("/dev/shm")
    before = set(shm.glob(MPICH_SEGMENTS))
    yield
    for segment in set(shm.glob(MPICH_SEGMENTS)) - before:
        segment.unlink(missing_ok=True)
    assert not [path for path in shm.glob("asapgraph-*") if _left_behind(path)]


def _left_behind(segment: Path) -> bool:
    """Whether an arena was left by this process or by one that has ended (this test's ranks
    have all ended by now); a live process's arena is another run's, in flight (other test
    sessions may share the machine)."""
    creator = segment.name.split("-")[1]
    if not creator.isdigit():
        return True
    pid = int(creator)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def mpiexec() -> str:
    """The launcher beside this Python (the mpich wheel installs it there), else on PATH."""
    if os.environ.get("CI", "").lower() == "true":
        import mpi4py  # noqa: F401 (CI installs the mpi extra: a missing mpi4py fails, not skips)
    else:
        pytest.importorskip("mpi4py", reason="the MPI tests need the mpi extra: "
                                             "pip install 'asapgraph[mpi]'")
    beside = Path(sys.executable).with_name("mpiexec")
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.fail("mpi4py is installed but no mpiexec was found beside Python or on PATH")
    return found


def launch(ranks: int, argv: list[str], timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """``mpiexec -n ranks python argv...``; on timeout every rank is killed and the test fails."""
    command = [mpiexec(), "-n", str(ranks), sys.executable, *argv]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True, preexec_fn=as_in_a_terminal) as process:
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
            pytest.fail(f"mpiexec -n {ranks} hung for {timeout}s:\n{out}\n{err}")
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def run_cli(ranks: int, *args: str) -> subprocess.CompletedProcess:
    """``mpiexec -n ranks python -m asapgraph run ... --transport mpi``."""
    return launch(ranks, ["-m", "asapgraph", "run", *args, "--transport", "mpi"])


def read_values(path: Path, graph: asapgraph.Graph) -> np.ndarray:
    """An --out file as an array in ``graph.ids`` order."""
    pairs = np.loadtxt(path, comments="#", delimiter="\t", ndmin=2)
    values = np.empty(graph.n)
    values[graph.dense_ids(pairs[:, 0].astype(np.int64).tolist())] = pairs[:, 1]
    return values


_REFERENCE: dict[str, np.ndarray] = {}


def networkx_pagerank(graph: asapgraph.Graph) -> np.ndarray:
    """networkx PageRank (tol 1e-12) in ``graph.ids`` order, computed once."""
    if GRAPH not in _REFERENCE:
        ranks = nx.pagerank(graph.to_networkx(), tol=1e-12, max_iter=10_000)
        _REFERENCE[GRAPH] = np.array([ranks[v] for v in graph.ids.tolist()])
    return _REFERENCE[GRAPH]


def shared_memory(graph: asapgraph.Graph, ranks: int, mode: str, **options) -> np.ndarray:
    """The same run on the shared-memory transport, as the user-facing PageRank vector."""
    program = PageRank(tol=TOL)
    outcome = execute(program, graph, workers=ranks, mode=mode, straggler={1: 3.0}, **options)
    return program.finish(outcome.state, graph)


@pytest.mark.parametrize("ranks", [3, 4])
@pytest.mark.parametrize("mode", ["bsp", "asap"])
def test_pagerank_equals_shared_memory_and_networkx(tmp_path: Path, ranks: int,
                                                    mode: str) -> None:
    path = require_snap(GRAPH)
    graph = load_snap(GRAPH)
    out, stats = tmp_path / "ranks.tsv", tmp_path / "stats.json"
    fan_in = ["--fan-in", "1"] if mode == "asap" else []
    # --ingest whole: the transport's own gather and finish. The parallel ingest normalises with
    # a sum of per-rank sums, which may round the last bit differently (tests/test_mpi_ingest.py).
    result = run_cli(ranks, "pagerank", str(path), "--mode", mode, *fan_in, "--tol", str(TOL),
                     "--straggler", STRAGGLER, "--out", str(out), "--stats", str(stats),
                     "--no-cache", "--ingest", "whole")
    assert result.returncode == 0, result.stderr
    # One rank speaks: a single summary, and nobody else's temp files beside --out.
    assert result.stdout.count("converged=True") == 1, result.stdout
    assert f"workers={ranks}" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ranks.tsv", "stats.json"]

    values = read_values(out, graph)
    assert np.abs(values - networkx_pagerank(graph)).sum() <= ACCURACY
    same = shared_memory(graph, ranks, mode, fan_in=1 if mode == "asap" else None)
    if mode == "bsp":  # the same supersteps; the ranks' final normalising sum is reduced
        # across them (parallel ingest: no rank holds the vector), so the last bit may differ
        np.testing.assert_allclose(values, same, rtol=1e-13, atol=0,
                                   err_msg="BSP over MPI must equal BSP on shared memory")
    else:
        assert np.abs(values - same).sum() <= ACCURACY

    document = json.loads(stats.read_text())
    assert document["converged"] is True
    assert document["workers"] == ranks
    assert document["straggler"] == {"1": 3.0}
    workers = document["per_worker"]
    assert [w["worker"] for w in workers] == list(range(ranks))
    # Every message sent was received, and every mailbox q -> p carried traffic.
    assert sum(w["messages_sent"] for w in workers) == sum(w["messages_received"] for w in workers)
    assert len(document["mailboxes"]) == ranks * (ranks - 1)
    assert all(box["messages"] > 0 for box in document["mailboxes"])
    if mode == "bsp":
        rounds = {w["rounds"] for w in workers}
        assert len(rounds) == 1  # lockstep
        assert document["totals"]["messages"] == rounds.pop() * ranks * (ranks - 1)
    else:
        assert all(w["verifications"] >= 1 for w in workers)


@pytest.mark.parametrize("policy", ["latest", "queue"])
def test_asap_policies_count_their_messages(tmp_path: Path, policy: str) -> None:
    path = require_snap(GRAPH)
    graph = load_snap(GRAPH)
    out, stats = tmp_path / "ranks.tsv", tmp_path / "stats.json"
    result = run_cli(4, "pagerank", str(path), "--mode", "asap", "--fan-in", "1",
                     "--policy", policy, "--tol", str(TOL), "--straggler", STRAGGLER,
                     "--out", str(out), "--stats", str(stats), "--no-cache")
    assert result.returncode == 0, result.stderr
    assert np.abs(read_values(out, graph) - networkx_pagerank(graph)).sum() <= ACCURACY
    workers = json.loads(stats.read_text())["per_worker"]
    if policy == "queue":
        # One message in flight per mailbox: nothing is ever superseded, the fast ranks defer.
        assert all(w["superseded"] == 0 for w in workers)
        assert sum(w["deferred"] for w in workers) > 0
    else:
        # The straggler's inboxes fill faster than it reads: it drains and counts the extra.
        assert sum(w["superseded"] for w in workers) > 0
        assert all(w["deferred"] == 0 for w in workers)


def test_library_call_on_every_rank_returns_the_same_result(tmp_path: Path) -> None:
    """``asapgraph.pagerank(..., transport='mpi')`` in a script that mpiexec starts P times."""
    path = require_snap(GRAPH)
    graph = load_snap(GRAPH)
    script = tmp_path / "script.py"
    script.write_text(
        "import sys, numpy as np, asapgraph\n"
        "from mpi4py import MPI\n"
        "graph = asapgraph.read_edgelist(sys.argv[1], cache=False)\n"
        "for mode in ('bsp', 'asap'):\n"
        "    result = asapgraph.pagerank(graph, tol=1e-10, mode=mode, transport='mpi')\n"
        "    np.save(f'{sys.argv[2]}/{mode}-{MPI.COMM_WORLD.Get_rank()}.npy', result.values)\n"
    )
    result = launch(3, [str(script), str(path), str(tmp_path)])
    assert result.returncode == 0, result.stderr
    for mode in ("bsp", "asap"):
        copies = [np.load(tmp_path / f"{mode}-{rank}.npy") for rank in range(3)]
        assert all(np.array_equal(copies[0], copy) for copy in copies[1:])
        assert np.abs(copies[0] - networkx_pagerank(graph)).sum() <= ACCURACY


MODES_AND_MESSAGES = """
import json, sys, numpy as np, asapgraph
from mpi4py import MPI
graph = asapgraph.read_edgelist(sys.argv[1], cache=False)
rank = MPI.COMM_WORLD.Get_rank()
for mode, messages, fan_in in (("auto", "values", None), ("auto", "deltas", None),
                               ("bsp", "deltas", None), ("asap", "deltas", 1)):
    result = asapgraph.pagerank(graph, tol=1e-10, mode=mode, messages=messages, fan_in=fan_in,
                                straggler={1: 3.0}, transport="mpi")
    np.save(f"{sys.argv[2]}/{mode}-{messages}-{rank}.npy", result.values)
    if rank == 0:
        with open(f"{sys.argv[2]}/{mode}-{messages}.json", "w") as out:
            json.dump({"phases": result.stats.phases, "bytes": result.stats.bytes}, out)
"""


def test_auto_and_delta_messages_over_mpi(tmp_path: Path) -> None:
    """Mode auto and accumulative messages work over MPI with the shared-memory results."""
    path = require_snap(GRAPH)
    graph = load_snap(GRAPH)
    script = tmp_path / "modes.py"
    script.write_text(MODES_AND_MESSAGES)
    result = launch(4, [str(script), str(path), str(tmp_path)])
    assert result.returncode == 0, result.stderr
    for run in ("auto-values", "auto-deltas", "bsp-deltas", "asap-deltas"):
        copies = [np.load(tmp_path / f"{run}-{rank}.npy") for rank in range(4)]
        assert all(np.array_equal(copies[0], copy) for copy in copies[1:]), run
        assert np.abs(copies[0] - networkx_pagerank(graph)).sum() <= ACCURACY, run
        summary = json.loads((tmp_path / f"{run}.json").read_text())
        if run.startswith("auto"):
            assert summary["phases"][0]["mode"] == "bsp", run
            assert summary["phases"][-1]["last"] is not None, run
    # Accumulative BSP is as deterministic as BSP: the same increments on both transports.
    program = PageRank(tol=TOL, messages="deltas")
    outcome = execute(program, graph, workers=4, mode="bsp", straggler={1: 3.0})
    assert np.array_equal(np.load(tmp_path / "bsp-deltas-0.npy"),
                          program.finish(outcome.state, graph))
    values_bytes = execute(PageRank(tol=TOL), graph, workers=4, mode="bsp").stats.bytes
    assert json.loads((tmp_path / "bsp-deltas.json").read_text())["bytes"] < 0.4 * values_bytes


UNDIRECTED = "ca-GrQc.txt"  # 355 components, communities for LPA
PROGRAMS = """
import sys
import numpy as np
from mpi4py import MPI
import asapgraph
from asapgraph.algorithms.components import ConnectedComponents
from asapgraph.algorithms.label_propagation import LabelPropagation
graph = asapgraph.read_edgelist(sys.argv[1], cache=False)
for name, make in (("cc", ConnectedComponents), ("lpa", lambda: LabelPropagation(seed=3))):
    for mode in ("bsp", "asap", "auto"):
        result = asapgraph.run(make(), graph, mode=mode, transport="mpi", straggler={1: 3.0},
                               fan_in=1 if mode == "asap" else None)
        if MPI.COMM_WORLD.Get_rank() == 0:
            np.save(f"{sys.argv[2]}/{name}-{mode}.npy", result.values)
"""


@pytest.mark.parametrize("ranks", [3, 4])
def test_components_and_label_propagation(tmp_path: Path, ranks: int) -> None:
    components = pytest.importorskip("asapgraph.algorithms.components",
                                     reason="connected components are not in this checkout yet")
    lpa = pytest.importorskip("asapgraph.algorithms.label_propagation",
                              reason="label propagation is not in this checkout yet")
    quality = pytest.importorskip("asapgraph.algorithms.quality",
                                  reason="the modularity helper is not in this checkout yet")
    path = require_snap(UNDIRECTED)
    graph = load_snap(UNDIRECTED)
    script = tmp_path / "programs.py"
    script.write_text(PROGRAMS)
    result = launch(ranks, ["-m", "mpi4py", str(script), str(path), str(tmp_path)])
    assert result.returncode == 0, result.stderr

    count, groups = connected_components(graph.adjacency, directed=True, connection="weak")
    smallest = np.full(count, np.iinfo(np.int64).max)
    np.minimum.at(smallest, groups, graph.ids)
    reference = nx.community.modularity(
        graph.to_networkx().to_undirected(),
        nx.community.label_propagation_communities(graph.to_networkx().to_undirected()),
    )
    for mode in ("bsp", "asap", "auto"):
        options = {"workers": ranks, "mode": mode, "straggler": {1: 3.0},
                   "fan_in": 1 if mode == "asap" else None}
        labels = np.load(tmp_path / f"cc-{mode}.npy")
        assert np.array_equal(labels, smallest[groups]), f"cc {mode}: not scipy's components"
        shared = asapgraph.run(components.ConnectedComponents(), graph, **options).values
        assert np.array_equal(labels, shared)

        communities = np.load(tmp_path / f"lpa-{mode}.npy")
        assert quality.modularity(graph, communities) >= reference - 0.03, f"lpa {mode}"
        if mode != "asap":  # seeded BSP is repeatable (auto runs LPA bulk-synchronously)
            shared = asapgraph.run(lpa.LabelPropagation(seed=3), graph, **options).values
            assert np.array_equal(communities, shared)


PARTS = """
import sys
import numpy as np
from mpi4py import MPI
import asapgraph
from asapgraph.engine.mpi_partition import own_part
from asapgraph.partition import partition
matrix = asapgraph.read_edgelist(sys.argv[1], cache=False).transpose
comm = MPI.COMM_WORLD
for order in ("none", "degree", "random"):
    mine = own_part(comm, matrix, order, 7)
    whole = partition(matrix, comm.Get_size(), order=order, seed=7)
    expected = whole.parts[comm.Get_rank()]
    assert np.array_equal(mine.order, whole.order) and np.array_equal(mine.bounds, whole.bounds)
    for name in ("vertices", "indptr", "indices", "ghosts"):
        got, want = getattr(mine.part, name), getattr(expected, name)
        assert got.dtype == want.dtype and np.array_equal(got, want), (order, name)
    for name in ("recv", "send"):
        got, want = getattr(mine.part, name), getattr(expected, name)
        assert got.keys() == want.keys(), (order, name)
        assert all(np.array_equal(got[k], want[k]) for k in got), (order, name)
    assert mine.incoming == [{q: s.size for q, s in p.recv.items()} for p in whole.parts]
print(f"rank {comm.Get_rank()}: parts equal")
"""


def test_each_rank_builds_the_part_partition_would(tmp_path: Path) -> None:
    script = tmp_path / "parts.py"
    script.write_text(PARTS)
    # python -m mpi4py: an assertion on one rank aborts every rank instead of hanging the rest.
    result = launch(3, ["-m", "mpi4py", str(script), str(require_snap(GRAPH))])
    assert result.returncode == 0, result.stderr
    assert all(f"rank {r}: parts equal" in result.stdout for r in range(3)), result.stdout


# A rank that fails mid-run: the test's own code, patched in before the command line runs; no
# hook in the package. Rank 1 (also the straggler) fails when it starts its sixth round.
FAILING = """
import os, signal, sys
from asapgraph.engine import rounds
how = sys.argv[1]
compute_round = rounds.WorkerRun.compute_round
def failing(self, **kwargs):
    if self.index == 1 and self.stats.rounds == 5:
        if how == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
        if how == "exit":
            os._exit(3)
        raise RuntimeError("injected failure")
    return compute_round(self, **kwargs)
rounds.WorkerRun.compute_round = failing
from asapgraph.cli import main
raise SystemExit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("mode", ["bsp", "asap"])
@pytest.mark.parametrize("how", ["sigkill", "exit", "raise"])
def test_a_failing_rank_ends_the_job(tmp_path: Path, how: str, mode: str) -> None:
    path = require_snap(GRAPH)
    script = tmp_path / "failing.py"
    script.write_text(FAILING)
    out = tmp_path / "ranks.tsv"
    began = time.monotonic()
    result = launch(3, [str(script), how, "run", "pagerank", str(path), "--transport", "mpi",
                        "--mode", mode, "--tol", "1e-12", "--straggler", STRAGGLER,
                        "--out", str(out), "--no-cache"], timeout=FAILURE_TIMEOUT)
    assert result.returncode != 0
    assert time.monotonic() - began < FAILURE_TIMEOUT
    assert not out.exists()
    if how == "raise":
        assert "rank 1 of 3 failed" in result.stderr
        assert "RuntimeError: injected failure" in result.stderr
    deadline = time.monotonic() + REAP_GRACE
    while (left := leftover_ranks(script)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"ranks still running after mpiexec returned: {left}"


def leftover_ranks(script: Path) -> list[str]:
    """Live processes (zombies aside) whose command line names ``script``."""
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            running = str(script).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if running and state != "Z":
            left.append(f"{pid} ({state})")
    return left


def test_without_mpiexec_one_process_is_one_rank(tmp_path: Path) -> None:
    mpiexec()  # the same requirement: mpi4py (a singleton MPI start needs no launcher)
    path = require_snap(GRAPH)
    graph = load_snap(GRAPH)
    out = tmp_path / "ranks.tsv"
    result = subprocess.run(
        [sys.executable, "-m", "asapgraph", "run", "pagerank", str(path), "--transport", "mpi",
         "--tol", str(TOL), "--out", str(out), "--no-cache"],
        capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "workers=1 converged=True" in result.stdout
    assert np.abs(read_values(out, graph) - networkx_pagerank(graph)).sum() <= ACCURACY


def test_ctrl_c_ends_every_rank() -> None:
    command = [mpiexec(), "-n", "3", sys.executable, "-m", "asapgraph", "run", "pagerank",
               "rmat:16", "--transport", "mpi", "--mode", "asap", "--straggler", "1:100",
               "--tol", "1e-15"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True, preexec_fn=as_in_a_terminal) as process:
        time.sleep(5)  # loading and generating take about a second; the run takes minutes
        process.send_signal(signal.SIGINT)  # what a terminal's Ctrl-C sends mpiexec
        began = time.monotonic()
        try:
            _, err = process.communicate(timeout=FAILURE_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("mpiexec did not end after Ctrl-C")
    assert process.returncode == 130, err
    assert time.monotonic() - began < 10
    assert "asapgraph: interrupted" in err


def test_workers_must_match_the_ranks() -> None:
    path = require_snap(GRAPH)
    result = run_cli(2, "pagerank", str(path), "--workers", "3", "--no-cache")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["asapgraph: error: workers=3 does not match the 2 MPI ranks: under the MPI "
                     "transport every rank is one worker (choose the count with mpiexec -n)."]


def test_non_convergence_is_reported_once() -> None:
    path = require_snap(GRAPH)
    result = run_cli(3, "pagerank", str(path), "--mode", "asap", "--max-iter", "3",
                     "--no-cache")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("asapgraph: error: pagerank did not converge in 3 rounds")


def test_missing_mpi4py_says_how_to_install_it(tmp_path: Path) -> None:
    """Runs without mpi4py too: the error names the extra to install, in one line."""
    edges = tmp_path / "edges.txt"
    edges.write_text("1 2\n2 3\n3 1\n")
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "from asapgraph.cli import main\n"
            f"raise SystemExit(main(['run', 'pagerank', {str(edges)!r}, '--transport', 'mpi',"
            " '--no-cache']))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=TIMEOUT, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "asapgraph: error: the MPI transport needs mpi4py and an MPI library: "
        "pip install 'asapgraph[mpi]'"
    )


def test_an_open_engine_is_not_an_mpi_transport() -> None:
    graph = asapgraph.Graph.from_edges([0, 1], [1, 0])
    with asapgraph.Engine(1) as engine, pytest.raises(ValueError, match="drop engine="):
        execute(PageRank(), graph, engine=engine, transport="mpi")
    with pytest.raises(ValueError, match="Unknown transport 'tcp'"):
        execute(PageRank(), graph, transport="tcp")


ROWS_ONLY = """
import json, sys
from pathlib import Path
from mpi4py import MPI
import asapgraph
from asapgraph.algorithms.pagerank import PageRank
from asapgraph.api import execute
from asapgraph.engine import mpi_runner


def measured(comm, matrix, order, seed):
    # The matrix the rank cuts its part from: which file backs its indices, if any.
    mapped.append(str(getattr(matrix.indices.base, "filename", None)))
    return own_part(comm, matrix, order, seed)


own_part, mapped = mpi_runner.own_part, []
mpi_runner.own_part = measured
rank = MPI.COMM_WORLD.Get_rank()
graph = asapgraph.read_edgelist(sys.argv[1], cache_dir=sys.argv[2])
for run in range(2):
    outcome = execute(PageRank(tol=1e-10), graph, transport="mpi")
    report = dict(outcome.local, run=run, rank=rank, values=outcome.state.tolist(),
                  built=sorted(set(vars(graph)) | set(vars(graph.unweighted))),
                  mapped=mapped[-1])
    Path(sys.argv[3], f"{run}-{rank}.json").write_text(json.dumps(report))
"""


def test_ranks_map_only_their_rows_of_the_cached_transpose(tmp_path: Path) -> None:
    """Directed PageRank from the binary cache: each rank reads its own rows of the transpose.

    The first run finds no cached transpose: rank 0 builds and stores it, the others map it.
    The second finds it. In both, no rank holds ``graph.transpose`` and every rank read exactly
    its own rows' entries of the view, which is memory-mapped from the cache (not built).
    """
    path = require_snap(GRAPH)
    graph = load_snap(GRAPH)
    script, cache = tmp_path / "rows_only.py", tmp_path / "cache"
    script.write_text(ROWS_ONLY)
    asapgraph.read_edgelist(path, cache_dir=cache)  # the graph is cached, its transpose not yet
    result = launch(3, [str(script), str(path), str(cache), str(tmp_path)])
    assert result.returncode == 0, result.stderr
    expected = partition(graph.transpose, 3)
    for run, sources in ((0, ["stored", "cache", "cache"]), (1, ["cache"] * 3)):
        reports = [json.loads((tmp_path / f"{run}-{rank}.json").read_text()) for rank in range(3)]
        assert [r["matrix"] for r in reports] == sources
        for rank, report in enumerate(reports):
            part = expected.parts[rank]
            assert report["rows"] == part.n_local
            assert report["entries_read"] == int(part.indptr[-1]) < graph.transpose.indices.size
            assert not {"transpose", "symmetric"} & set(report["built"])
            assert report["mapped"].endswith(os.path.join("views", "transpose", "indices.npy"))
            values = PageRank().finish(np.asarray(report["values"]), graph)
            assert np.abs(values - networkx_pagerank(graph)).sum() <= ACCURACY
    assert sorted(p.name for p in next(cache.iterdir()).joinpath("views").iterdir()) == [
        "transpose"
    ]
