"""Messages and bytes of BSP and ASAP over MPI, beside the same runs on shared memory.

``python bench/bench_mpi.py [--ranks 4] [--rmat-scale 20] [--tol 1e-10] [--straggler 1:3]
[--skip-rmat] [--json PATH]``

PageRank on every SNAP edge list in /work/shared/datasets/snap and on a Graph500 R-MAT graph
(``asapgraph.datasets.rmat`` when it exists, else the few numpy lines below), with P ranks
(``mpiexec -n P``, one partition each) and with P shared-memory workers, in BSP and in ASAP
(fan-in 1, policy ``latest``) and in mode auto, with values or accumulative (delta) messages,
with one straggler. Each graph is parsed once here and handed to
the ranks as .npy arrays, so no rank re-reads text. Per run: rounds (min/median/max over workers),
NOTIFY messages and payload MB (the boundary values, counted alike on both transports), and for
MPI the control traffic the shared-memory words cost nothing for: ACKs, quiet-flag messages,
verification requests, and collectives (barriers and reductions) per rank. ``L1 vs shm`` is the
distance between the two transports' PageRank vectors (BSP: 0, bit for bit).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import fmt, markdown_table

from asapgraph import Engine, Graph
from asapgraph.algorithms.pagerank import PageRank
from asapgraph.api import execute
from asapgraph.datasets.rmat import rmat_graph
from asapgraph.io import read_edgelist

SNAP_DIR = Path("/work/shared/datasets/snap")
# (mode, messages): BSP, ASAP fan-in 1, auto, and accumulative (delta) messages in BSP and auto.
MODES = (("bsp", "values"), ("asap", "values"), ("auto", "values"), ("bsp", "deltas"),
         ("auto", "deltas"))


def label(mode: tuple[str, str]) -> str:
    """``bsp``, ``asap``, ``auto``, ``bsp-deltas``, ``auto-deltas``."""
    return mode[0] if mode[1] == "values" else f"{mode[0]}-{mode[1]}"
MPI_TIMEOUT = 3600


def snap_files(directory: Path = SNAP_DIR) -> list[Path]:
    """Every SNAP edge list there (not the labels file), smallest first."""
    files = [p for p in directory.glob("*.txt*") if "labels" not in p.name]
    return sorted(files, key=lambda p: p.stat().st_size)


def rmat(scale: int) -> tuple[Graph, str]:
    """Graph500 R-MAT from the project's generator (edge factor 16, seed 1)."""
    return rmat_graph(scale, 16, seed=1), "asapgraph.datasets.rmat"


def save(graph: Graph, folder: Path) -> None:
    """The CSR arrays as .npy files the ranks map."""
    folder.mkdir(parents=True)
    for name in ("indptr", "indices", "ids"):
        np.save(folder / f"{name}.npy", getattr(graph, name))
    (folder / "directed").write_text(str(int(graph.directed)))


def load(folder: Path) -> Graph:
    """A graph saved by :func:`save`, memory-mapped."""
    arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r")
              for name in ("indptr", "indices", "ids")}
    directed = (folder / "directed").read_text() == "1"
    return Graph(arrays["indptr"], arrays["indices"], None, directed, arrays["ids"])


def options(mode: tuple[str, str], straggler: dict[int, float]) -> dict:
    """The run options of one (mode, messages)."""
    return {"mode": mode[0], "fan_in": 1 if mode[0] == "asap" else None, "straggler": straggler}


def row(run, transport: str, mode: tuple[str, str]) -> dict:
    """The figures of one run."""
    stats = run.stats
    return {"transport": transport, "mode": label(mode), "rounds": list(stats.rounds),
            "messages": stats.messages, "bytes": stats.bytes,
            "compute": stats.compute_seconds, "converged": stats.converged,
            "control": getattr(run, "control", None)}


def rank_job(folders: list[Path], out: Path, tol: float, straggler: dict[int, float]) -> None:
    """Under mpiexec: every graph, both modes; rank 0 writes the figures and the vectors."""
    from mpi4py import MPI

    root = MPI.COMM_WORLD.Get_rank() == 0
    rows = []
    for folder in folders:
        graph = load(folder)
        for mode in MODES:
            program = PageRank(tol=tol, messages=mode[1])
            run = execute(program, graph, transport="mpi", **options(mode, straggler))
            if root:
                rows.append({"graph": folder.name, **row(run, "mpi", mode)})
                np.save(folder / f"mpi-{label(mode)}.npy", program.finish(run.state, graph))
    if root:
        out.write_text(json.dumps(rows))


def shared_memory(folders: list[Path], ranks: int, tol: float,
                  straggler: dict[int, float]) -> list[dict]:
    """The same runs on ``ranks`` shared-memory workers."""
    rows = []
    with Engine(ranks) as engine:
        for folder in folders:
            graph = load(folder)
            for mode in MODES:
                program = PageRank(tol=tol, messages=mode[1])
                run = execute(program, graph, engine=engine, **options(mode, straggler))
                rows.append({"graph": folder.name, **row(run, "shm", mode)})
                np.save(folder / f"shm-{label(mode)}.npy", program.finish(run.state, graph))
    return rows


def table(rows: list[dict], sizes: dict[str, tuple[int, int]], folder: Path) -> str:
    """One line per (graph, mode, transport)."""
    headers = ["graph", "n", "m", "mode", "transport", "rounds", "NOTIFY msgs", "MB",
               "ACK", "flag", "verify", "collectives", "compute s", "L1 vs shm"]
    lines = []
    order = [label(mode) for mode in MODES]
    for r in sorted(rows, key=lambda r: (list(sizes).index(r["graph"]), order.index(r["mode"]),
                                        r["transport"] != "shm")):
        n, m = sizes[r["graph"]]
        control = r["control"] or {}
        distance = "—"
        if r["transport"] == "mpi":
            mine = np.load(folder / r["graph"] / f"mpi-{r['mode']}.npy")
            other = np.load(folder / r["graph"] / f"shm-{r['mode']}.npy")
            distance = fmt(float(np.abs(mine - other).sum()), 2)
        lo, med, hi = r["rounds"]
        lines.append([r["graph"], n, m, r["mode"], r["transport"], f"{lo}/{med:g}/{hi}",
                      r["messages"], f"{r['bytes'] / 1e6:.2f}", control.get("ack", "—"),
                      control.get("state", "—"), control.get("verify", "—"),
                      control.get("collectives", "—"), f"{r['compute']:.3f}", distance])
    return markdown_table(headers, lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ranks", type=int, default=4)
    parser.add_argument("--rmat-scale", type=int, default=20)
    parser.add_argument("--skip-rmat", action="store_true")
    parser.add_argument("--tol", type=float, default=1e-10)
    parser.add_argument("--straggler", default="1:3", help="W:F, or 'none'")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--rank-job", type=Path, nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--rank-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    straggler = {}
    if args.straggler != "none":
        worker, factor = args.straggler.split(":")
        straggler = {int(worker): float(factor)}
    if args.rank_job:
        rank_job(args.rank_job, args.rank_out, args.tol, straggler)
        return 0

    with tempfile.TemporaryDirectory(prefix="bench_mpi.") as scratch:
        folder = Path(scratch)
        sizes: dict[str, tuple[int, int]] = {}
        for path in snap_files():
            graph = read_edgelist(path, cache=False)
            name = path.name.split(".")[0]
            save(graph, folder / name)
            sizes[name] = (graph.n, graph.m)
        if not args.skip_rmat:
            began = time.perf_counter()
            graph, source = rmat(args.rmat_scale)
            name = f"rmat-{args.rmat_scale}"
            save(graph, folder / name)
            sizes[name] = (graph.n, graph.m)
            print(f"{name} from {source} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
            del graph
        folders = [folder / name for name in sizes]
        rows = shared_memory(folders, args.ranks, args.tol, straggler)
        out = folder / "mpi.json"
        mpiexec = Path(sys.executable).with_name("mpiexec")
        subprocess.run([str(mpiexec if mpiexec.exists() else "mpiexec"), "-n", str(args.ranks),
                        sys.executable, __file__, "--tol", str(args.tol),
                        "--straggler", args.straggler, "--rank-out", str(out),
                        "--rank-job", *map(str, folders)], check=True, timeout=MPI_TIMEOUT)
        rows += json.loads(out.read_text())
        print(f"PageRank tol={args.tol:g}, {args.ranks} workers/ranks, straggler "
              f"{args.straggler}; ASAP: fan-in 1, policy latest\n")
        print(table(rows, sizes, folder))
        if args.json:
            args.json.write_text(json.dumps({"sizes": sizes, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
