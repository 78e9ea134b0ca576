"""A command-line user's wall time and peak memory, from the text file to the written result.

``python bench/bench_end_to_end.py [--graphs enron,condmat,rmat20,rmat22] [--algorithms
pagerank,cc] [--repeat 3] [--data DIR]``

Every contender is a fresh process, timed from its start to its exit (interpreter start, imports,
load, setup, compute, and writing ``original_id<TAB>value`` for every vertex):

- ``asapgraph-1`` / ``asapgraph-2``: ``asapgraph run ALGO FILE --workers P --out ...``
- ``scipy``: a script that maps the arrays of asapgraph's binary cache entry, iterates PageRank to
  the same accuracy (or calls ``csgraph.connected_components``) and writes the same file with the
  same writer (so the comparison is about everything but the file format); warm only.
- ``igraph`` (PRPACK; weak components), ``networkit`` (2 threads; PageRank to tol 1e-10 with sink
  mass distributed; weak components) and ``networkx`` (graphs under a million edges).

Cold: from the text file, asapgraph with an empty binary cache (it parses, stores the graph, its
view and partition; all timed), the others with their own edge-list readers. Warm: asapgraph from
its binary cache (graph, view and partition mapped; a first, untimed run filled it), the others
building their graph from the same mapped CSR arrays. Contenders alternate inside each repeat;
medians are printed.

Peak memory: the largest sum, over the process and all its descendants, of ``Pss`` from
``/proc/<pid>/smaps_rollup``, sampled every 20 ms. Pss splits each shared page among the
processes mapping it, so a page shared by the workers and the parent (the arenas, the mapped
cache) counts once in the sum. It is printed in MB and as a multiple of the graph's CSR bytes
(``indptr`` int64 + ``indices`` int32 of the out-edge CSR that asapgraph stores).

R-MAT graphs are generated once (Graph500 R-MAT, ``datasets/rmat.py``, edge factor 16) and written
as text into ``--data`` (default a folder under the temp dir, kept between invocations). SNAP
files come from ../shared/datasets/snap (a .gz is decompressed there once, untimed: NetworKit and
igraph read plain text); their header lines are stripped and every file is read as directed
(email-Enron and ca-CondMat list both directions of each edge).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from bench_load import digits
from common import fmt, markdown_table

from asapgraph.datasets.rmat import rmat_edges
from asapgraph.io.cache import CacheEntry

SNAP = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "snap"
GRAPHS = {
    "enron": "email-Enron.txt.gz",
    "condmat": "ca-CondMat.txt",
    "gnutella": "p2p-Gnutella31.txt",
    "rmat20": 20,
    "rmat22": 22,
}
CONTENDERS = ("asapgraph-1", "asapgraph-2", "scipy", "igraph", "networkit", "networkx")
NETWORKX_MAX_EDGES = 1_000_000
TOL = 1e-10
DAMPING = 0.85
SAMPLE_SECONDS = 0.02
MB = 1e6

# The reference scripts; argv: algorithm, source (text file or cache entry folder), output.
WRITE = """
from asapgraph.io.results import write_values
def write(ids, values):
    write_values(sys.argv[3], np.asarray(ids), np.asarray(values), "reference")
"""
FROM_CACHE = """
def csr():
    folder = sys.argv[2]
    load = lambda name: np.load(f"{folder}/{name}.npy", mmap_mode="r")
    return load("ids"), load("indptr"), load("indices")
def edges(indptr, indices):
    return np.repeat(np.arange(indptr.size - 1), np.diff(indptr)), indices
def smallest(labels, ids):
    first = np.full(labels.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, labels, np.asarray(ids))
    return first[labels]
"""
SCRIPTS = {
    "scipy": """
import sys, numpy as np, scipy.sparse as sp
ids, indptr, indices = csr()
n = ids.size
if sys.argv[1] == "cc":
    from scipy.sparse.csgraph import connected_components
    adjacency = sp.csr_array((np.ones(indices.size), indices, indptr), shape=(n, n))
    labels = connected_components(adjacency, directed=True, connection="weak")[1]
    write(ids, smallest(labels, ids))
else:
    pull = sp.csr_array((np.ones(indices.size), indices, indptr), shape=(n, n)).T
    out = np.diff(indptr).astype(float)
    dangling = out == 0
    inverse = np.divide(1.0, out, out=np.zeros(n), where=~dangling)
    x = np.full(n, 1.0 / n)
    d = %(damping)r
    while True:  # error <= change * d / (1 - d): stop when that bound is under n * tol
        new = d * (pull @ (x * inverse)) + (d * x[dangling].sum() + 1 - d) / n
        change = np.abs(new - x).sum()
        x = new
        if change * d / (1 - d) < n * %(tol)r:
            break
    write(ids, x)
""",
    "igraph": """
import sys, numpy as np, igraph
if sys.argv[2].endswith(".txt"):
    graph = igraph.Graph.Read_Ncol(sys.argv[2], names=True, weights=False, directed=True)
    ids = np.asarray(graph.vs["name"], dtype=np.int64)
else:
    ids, indptr, indices = csr()
    src, dst = edges(indptr, indices)
    graph = igraph.Graph(n=ids.size, edges=np.column_stack([src, dst]), directed=True)
if sys.argv[1] == "cc":
    labels = np.asarray(graph.connected_components(mode="weak").membership)
    write(ids, smallest(labels, ids))
else:
    write(ids, graph.pagerank(damping=%(damping)r, implementation="prpack"))
""",
    "networkit": """
import sys, numpy as np, networkit as nk
nk.setNumberOfThreads(2)
if sys.argv[2].endswith(".txt"):
    reader = nk.graphio.EdgeListReader("\\t", 0, "#", continuous=False, directed=True)
    graph = reader.read(sys.argv[2])
    mapping = reader.getNodeMap()
    ids = np.empty(graph.numberOfNodes(), dtype=np.int64)
    for name, node in mapping.items():
        ids[node] = int(name)
else:
    ids, indptr, indices = csr()
    src, dst = edges(indptr, indices)
    graph = nk.GraphFromCoo((np.ones(src.size), (src.astype(np.uint64),
                            np.asarray(indices, dtype=np.uint64))), n=ids.size,
                            directed=True, weighted=False)
if sys.argv[1] == "cc":
    found = nk.components.WeaklyConnectedComponents(graph)
    found.run()
    labels = np.asarray([found.componentOfNode(v) for v in range(graph.numberOfNodes())])
    write(ids, smallest(labels, ids))
else:
    ranks = nk.centrality.PageRank(graph, damp=%(damping)r, tol=%(tol)r,
                                   distributeSinks=nk.centrality.SinkHandling.DistributeSinks)
    ranks.norm = nk.centrality.Norm.L1_NORM
    ranks.run()
    values = np.asarray(ranks.scores())
    write(ids, values / values.sum())
""",
    "networkx": """
import sys, numpy as np, networkx as nx
if sys.argv[2].endswith(".txt"):
    graph = nx.read_edgelist(sys.argv[2], nodetype=int, create_using=nx.DiGraph)
else:
    ids, indptr, indices = csr()
    src, dst = edges(indptr, indices)
    graph = nx.DiGraph()
    graph.add_nodes_from(ids.tolist())
    graph.add_edges_from(zip(ids[src].tolist(), ids[dst].tolist()))
if sys.argv[1] == "cc":
    labels = {v: min(c) for c in nx.weakly_connected_components(graph) for v in c}
else:
    labels = nx.pagerank(graph, alpha=%(damping)r, tol=%(tol)r, max_iter=10000)
write(list(labels), list(labels.values()))
""",
}


@dataclass
class Measured:
    """One contender on one graph and algorithm: wall seconds and peak Pss bytes per run."""

    cold: list[float] = field(default_factory=list)
    cold_peak: list[int] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    warm_peak: list[int] = field(default_factory=list)
    partition_share: list[float] = field(default_factory=list)


def pss_of_tree(root: int) -> int:
    """Pss bytes summed over ``root`` and its descendants (0 for processes already gone)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds of ``command`` and the peak Pss of its process tree; raises if it fails."""
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, pss_of_tree(process.pid))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    seconds = time.perf_counter() - began
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {err.decode()[-2000:]}")
    return seconds, peak


def text_file(name: str, data: Path) -> Path:
    """The graph ``name`` as a header-free ``u<TAB>v`` text file in ``data`` (made once)."""
    target = data / f"{name}.txt"
    if target.exists():
        return target
    source = GRAPHS[name]
    temp = target.with_suffix(".tmp")
    with open(temp, "wb") as out:
        if isinstance(source, int):
            src, dst = rmat_edges(source)
            for lo in range(0, src.size, 1 << 20):
                out.write(edge_lines(src[lo:lo + (1 << 20)], dst[lo:lo + (1 << 20)]))
        else:
            path = SNAP / source
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rb") as handle:
                for line in handle:
                    if not line.startswith(b"#"):
                        out.write(b"\t".join(line.split()) + b"\n")
    temp.rename(target)
    return target


def edge_lines(src: np.ndarray, dst: np.ndarray) -> bytes:
    """``src<TAB>dst<LF>`` lines formatted by numpy."""
    tab = np.full((src.size, 1), ord("\t"), np.uint8)
    newline = np.full((src.size, 1), ord("\n"), np.uint8)
    table = np.hstack([digits(src.astype(np.int64)), tab, digits(dst.astype(np.int64)), newline])
    return table[table != 0].tobytes()


def asapgraph_command(algorithm: str, text: Path, workers: int, cache: Path, out: Path,
                      stats: Path) -> list[str]:
    """``asapgraph run`` as a user types it (the console script of this environment)."""
    return [str(Path(sys.executable).parent / "asapgraph"), "run", algorithm, str(text),
            "--directed", "--workers", str(workers), "--tol", str(TOL), "--cache-dir",
            str(cache), "--out", str(out), "--stats", str(stats)]


def reference_command(name: str, algorithm: str, source: Path, out: Path) -> list[str]:
    """The reference script ``name`` on a text file (cold) or a cache entry folder (warm)."""
    script = "import sys, numpy as np\n" + WRITE + FROM_CACHE + SCRIPTS[name] % {
        "damping": DAMPING, "tol": TOL}
    return [sys.executable, "-c", script, algorithm, str(source), str(out)]


def run_graph(name: str, algorithms: list[str], repeat: int, data: Path, work: Path,
              wanted: list[str], cold: bool = True) -> dict[str, dict[str, Measured]]:
    """Every contender, cold and warm, on one graph; repeats alternate the contenders."""
    text = text_file(name, data)
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    subprocess.run([str(Path(sys.executable).parent / "asapgraph"), "info", str(text),
                    "--directed", "--cache-dir", str(cache)], check=True, capture_output=True)
    entry = CacheEntry.for_source(text, {"directed": True, "drop_self_loops": False}, cache)
    graph = entry.load()
    assert graph is not None, "the binary cache entry was not written"
    edges = int(graph.indices.size)
    contenders = [c for c in wanted if c != "networkx" or edges <= NETWORKX_MAX_EDGES]
    out, stats = work / "out.tsv", work / "stats.json"
    results: dict[str, dict[str, Measured]] = {}
    for algorithm in algorithms:
        for workers in sorted({int(c.rsplit("-", 1)[1]) for c in contenders
                               if c.startswith("asapgraph")}):  # fills the cache's view and
            # partitions, untimed: the warm runs map them
            subprocess.run(asapgraph_command(algorithm, text, workers, cache, out, stats),
                           check=True, capture_output=True)
        measured = {contender: Measured() for contender in contenders}
        for turn in range(repeat):
            order = contenders[turn % len(contenders):] + contenders[:turn % len(contenders)]
            for contender in order:
                record = measured[contender]
                if contender.startswith("asapgraph"):
                    workers = int(contender.rsplit("-", 1)[1])
                if contender.startswith("asapgraph") and cold:
                    cold_cache = work / "cold-cache"
                    shutil.rmtree(cold_cache, ignore_errors=True)
                    seconds, peak = timed(asapgraph_command(algorithm, text, workers,
                                                            cold_cache, out, stats))
                    shutil.rmtree(cold_cache, ignore_errors=True)
                    record.cold.append(seconds)
                    record.cold_peak.append(peak)
                if contender.startswith("asapgraph"):
                    seconds, peak = timed(asapgraph_command(algorithm, text, workers, cache,
                                                            out, stats))
                    document = json.loads(stats.read_text())
                    record.partition_share.append(document["partition_seconds"] / seconds)
                else:
                    if contender != "scipy" and cold:
                        seconds, peak = timed(reference_command(contender, algorithm, text,
                                                                out))
                        record.cold.append(seconds)
                        record.cold_peak.append(peak)
                    seconds, peak = timed(reference_command(contender, algorithm,
                                                            entry.folder, out))
                record.warm.append(seconds)
                record.warm_peak.append(peak)
        results[algorithm] = measured
    csr_bytes = graph.indptr.nbytes + graph.indices.nbytes
    print(f"\n### {name}: n={graph.n:,} m={edges:,}, CSR {csr_bytes / MB:.0f} MB")
    for algorithm, measured in results.items():
        print(f"\n{algorithm} (tol {TOL:g} for PageRank), medians of {repeat}:\n")
        rows = []
        for contender, record in measured.items():
            rows.append([contender, seconds_cell(record.cold),
                         memory_cell(record.cold_peak, csr_bytes), seconds_cell(record.warm),
                         memory_cell(record.warm_peak, csr_bytes),
                         fmt(median(record.partition_share), 2) if record.partition_share
                         else "—"])
        print(markdown_table(["contender", "cold s", "cold peak MB (×CSR)", "warm s",
                              "warm peak MB (×CSR)", "warm partition share"], rows))
        if "scipy" not in measured:
            continue
        scipy_warm = median(measured["scipy"].warm)
        for contender in ("asapgraph-1", "asapgraph-2"):
            if contender in measured:
                print(f"{contender} warm vs scipy warm: "
                      f"{median(measured[contender].warm) / scipy_warm:.2f}x")
    return results


def median(values: list[float]) -> float:
    """Median (nan for none)."""
    return statistics.median(values) if values else float("nan")


def seconds_cell(values: list[float]) -> str:
    """Median seconds, or — when not measured."""
    return fmt(median(values)) if values else "—"


def memory_cell(values: list[int], csr_bytes: int) -> str:
    """Median peak in MB and as a multiple of the CSR bytes."""
    if not values:
        return "—"
    peak = median(values)
    return f"{peak / MB:.0f} ({peak / csr_bytes:.1f}×)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", default="enron,condmat,rmat20,rmat22")
    parser.add_argument("--algorithms", default="pagerank,cc")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--no-cold", dest="cold", action="store_false",
                        help="only the warm runs (from the binary cache)")
    parser.add_argument("--data", type=Path,
                        default=Path(tempfile.gettempdir()) / "asapgraph-bench-e2e")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(f"end to end, {os.cpu_count()} cores, load average {load[0]:.2f} at start")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.graphs.split(","):
            run_graph(name, args.algorithms.split(","), args.repeat, args.data, Path(folder),
                      args.contenders.split(","), args.cold)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
