"""Distributed ingest: MB/s of text and edges/s for 1, 2 and 4 ranks, peak memory per rank.

``python bench/bench_ingest.py [--scales 22 23] [--ranks 1 2 4] [--text-dir /tmp]
[--algorithm cc] [--cap-scale 23] [--json PATH]``

R-MAT text (``bench/rmat_text.py``, written once into ``--text-dir``) is run through
``mpiexec -n P asapgraph run ALGO TEXT --transport mpi --no-cache`` (parallel ingest: each rank
parses its byte range), and once through the single-process path (``--transport shm``, one
worker: the whole graph in one process) for the memory baseline. Per run: ingest seconds (the
slowest rank's, from ``--stats``), MB/s of text and edges/s, and per rank the peak resident
memory (``ru_maxrss``) beside the bytes of its CSR share (indptr + indices of the pull matrix)
plus the text buffer. Then the goal run: 4 ranks, each rank's address space (RLIMIT_AS) capped
at 40% of the single-process peak, and its components compared with the single-process ones.
Run under ``flock /work/locks/bigmem`` (R-MAT 23 needs ~10 GB in one process).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import markdown_table
from rmat_text import write_rmat_text

from asapgraph.engine.mpi_read import PIECE

RUNNER = """
import json, os, resource, sys
limit = int(os.environ.get("INGEST_BENCH_LIMIT", "0"))
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from asapgraph.cli import main
try:
    code = main(sys.argv[2:])
finally:
    rank = os.environ.get("PMI_RANK", "0")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with open(os.path.join(sys.argv[1], f"rank-{rank}.json"), "w") as handle:
        json.dump({"rank": int(rank), "maxrss": peak}, handle)
raise SystemExit(code)
"""
TIMEOUT = 3600


def mpiexec() -> str:
    beside = Path(sys.executable).with_name("mpiexec")
    return str(beside) if beside.exists() else "mpiexec"


def run(text: Path, ranks: int | None, algorithm: str, work: Path, out: Path | None = None,
        limit: int = 0) -> dict:
    """One run: ranks=None is the single-process path. Returns its figures."""
    for old in work.glob("rank-*.json"):
        old.unlink()
    stats = work / "stats.json"
    runner = work / "runner.py"
    runner.write_text(RUNNER)
    argv = ["run", algorithm, str(text), "--no-cache", "--stats", str(stats)]
    if out is not None:
        argv += ["--out", str(out)]
    if ranks is None:
        command = [sys.executable, str(runner), str(work), *argv]
    else:
        command = [mpiexec(), "-n", str(ranks), sys.executable, str(runner), str(work), *argv,
                   "--transport", "mpi"]
    env = {**os.environ, "INGEST_BENCH_LIMIT": str(limit)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, env=env,
                          check=False)
    peaks = sorted((json.loads(p.read_text()) for p in work.glob("rank-*.json")),
                   key=lambda r: r["rank"])
    figures = {"returncode": done.returncode, "stderr": done.stderr.strip()[-300:],
               "maxrss": [p["maxrss"] for p in peaks],
               "summary": (done.stdout.splitlines() or [""])[0]}
    if done.returncode == 0:
        document = json.loads(stats.read_text())
        figures["seconds"] = (document["ingest"]["seconds"] if "ingest" in document
                              else document["load_seconds"])
        figures["stats"] = {k: document.get(k) for k in ("converged", "workers")}
    return figures


def csr_share(summary: str, ranks: int) -> float:
    """Bytes of one rank's share of the pull matrix's CSR (int32 indices, int64 indptr), from
    the run's first summary line (``n=... m=...`` or ``... entries=...``)."""
    fields = dict(f.split("=", 1) for f in summary.split() if "=" in f)
    entries = int(fields.get("entries", fields.get("m", 0)))
    return (4 * entries + 8 * (int(fields["n"]) + ranks)) / ranks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[22, 23])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--text-dir", type=Path, default=Path("/tmp"))
    parser.add_argument("--algorithm", default="cc", choices=("cc", "pagerank", "lpa"))
    parser.add_argument("--cap-scale", type=int, default=23,
                        help="scale of the 4-rank run capped at 40%% of the single-process peak")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.1f} (1-minute average, {os.cpu_count()} cores)")
    rows, results = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as scratch:
        work = Path(scratch)
        for scale in args.scales:
            text = write_rmat_text(scale, args.text_dir / f"ingest-rmat{scale}.txt")
            megabytes = text.stat().st_size / 1e6
            edges = 16 << scale
            reference = work / f"single-{scale}.tsv"
            single = run(text, None, args.algorithm, work, out=reference)
            results[f"{scale}-single"] = single
            for ranks in [None, *args.ranks]:
                figures = single if ranks is None else run(text, ranks, args.algorithm, work)
                results[f"{scale}-{ranks or 'single'}"] = figures
                seconds = figures.get("seconds")
                peak = max(figures["maxrss"], default=0)
                share = (csr_share(figures["summary"], ranks) + PIECE) if seconds and ranks else 0
                rows.append([
                    scale, f"{megabytes:.0f}", "1 process" if ranks is None else ranks,
                    f"{seconds:.1f}" if seconds else f"failed ({figures['returncode']})",
                    f"{megabytes / seconds:.0f}" if seconds else "",
                    f"{edges / seconds / 1e6:.2f}" if seconds else "",
                    f"{peak / 2**20:.0f}",
                    f"{share / 2**20:.0f}" if share else "",
                    f"{peak / share:.2f}" if share else "",
                ])
                print(" | ".join(str(c) for c in rows[-1]), flush=True)
        print(markdown_table(
            ["R-MAT", "text MB", "ranks", "ingest s", "MB/s", "M edges/s",
             "peak RSS per rank MiB", "CSR share + text buffer MiB", "peak / (share + buffer)"],
            rows))

        text = args.text_dir / f"ingest-rmat{args.cap_scale}.txt"
        reference, capped_out = work / f"single-{args.cap_scale}.tsv", work / "capped.tsv"
        single = results.get(f"{args.cap_scale}-single") or run(text, None, args.algorithm, work,
                                                                out=reference)
        cap = int(0.4 * max(single["maxrss"]))
        capped = run(text, 4, args.algorithm, work, out=capped_out, limit=cap)
        exact = capped["returncode"] == 0 and _values(reference) == _values(capped_out)
        print(f"goal: R-MAT {args.cap_scale}, 4 ranks, RLIMIT_AS {cap / 2**30:.2f} GiB per rank "
              f"(40% of the single-process peak {max(single['maxrss']) / 2**30:.2f} GiB): "
              f"exit {capped['returncode']}, results exact: {exact}, peak RSS per rank "
              f"{[round(m / 2**30, 2) for m in capped['maxrss']]} GiB")
        results["capped"] = {**capped, "cap": cap, "exact": exact}
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def _values(path: Path) -> list[str]:
    return path.read_text().splitlines()[1:] if path.exists() else []


if __name__ == "__main__":
    main()
