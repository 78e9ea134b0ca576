"""The edge-list reader: every genuine SNAP file, the format's quirks, ids, weights, headers."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from conftest import require_snap
from tests_support import manifest_rows

from asapgraph.algorithms import accelerate
from asapgraph.graph import Graph
from asapgraph.io import edgelist, load_edgelist, read_edgelist
from asapgraph.io.edgelist import _scan

EDGES = [(1, 2), (2, 3), (3, 1), (3, 3), (7, 1)]
SNAP_ROWS = {row["file"]: row for row in manifest_rows() if row["directed"] != "labels"}


def reference_lines(path: Path) -> list[tuple[int, ...]]:
    """Edge lines of a SNAP file parsed the plain Python way (independent of the reader)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="ascii") as handle:
        lines = handle.read().splitlines()
    return [tuple(int(f) for f in line.split()) for line in lines
            if line.strip() and not line.lstrip().startswith("#")]


def edge_set(graph: Graph) -> set[tuple[int, int]]:
    rows = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    return set(zip(graph.ids[rows].tolist(), graph.ids[graph.indices].tolist(), strict=True))


def write(path: Path, text: bytes) -> Path:
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text))
    elif path.suffix == ".bz2":
        path.write_bytes(bz2.compress(text))
    else:
        path.write_bytes(text)
    return path


# ---------------------------------------------------------------------- genuine SNAP files
def test_snap_file_matches_manifest(snap_path: Path) -> None:
    row = SNAP_ROWS[snap_path.name]
    lines = reference_lines(snap_path)
    assert len(lines) == int(row["edge_lines_counted"])
    graph = read_edgelist(snap_path, cache=False)
    assert graph.n == int(row["nodes_counted"])
    assert graph.directed  # a "Directed graph" header, or none
    assert not graph.weighted
    assert edge_set(graph) == set(lines)  # duplicates collapse
    assert graph.m == len(set(lines))
    assert np.all(np.diff(graph.ids) > 0)


@pytest.mark.parametrize(
    "name", ["ca-GrQc.txt", "ca-HepTh.txt", "wiki-Vote.txt", "p2p-Gnutella08.txt.gz",
             "email-Eu-core.txt.gz"]
)
def test_snap_file_same_as_networkx(name: str) -> None:
    path = require_snap(name)
    reference = nx.read_edgelist(path, create_using=nx.DiGraph, nodetype=int)
    graph = read_edgelist(path, cache=False)
    assert graph.n == reference.number_of_nodes()
    assert graph.m == reference.number_of_edges()
    assert graph.self_loops == nx.number_of_selfloops(reference)
    assert edge_set(graph) == set(reference.edges())


@pytest.mark.parametrize(
    ("name", "pairs", "loops"),
    [("ca-GrQc.txt", 14496, 12), ("ca-HepTh.txt", 25998, 25), ("ca-HepPh.txt.gz", 118521, 32),
     ("ca-CondMat.txt", 93497, 58)],
)
def test_collaboration_graphs_read_undirected(name: str, pairs: int, loops: int) -> None:
    """Stored in both directions: undirected, each pair counts once (SNAP's stated edge counts)."""
    path = require_snap(name)
    graph = read_edgelist(path, directed=False, cache=False)
    assert not graph.directed
    assert (graph.m, graph.self_loops) == (pairs, loops)
    assert graph.m == (len(reference_lines(path)) - loops) // 2 + loops
    dropped = read_edgelist(path, directed=False, drop_self_loops=True, cache=False)
    assert (dropped.m, dropped.self_loops) == (pairs - loops, 0)


def test_stray_cr_line_of_ca_hepth_is_read() -> None:
    path = require_snap("ca-HepTh.txt")
    raw = path.read_bytes()
    assert raw.split(b"\n")[46505].endswith(b"\r\r")
    u, v = map(int, raw.split(b"\n")[46505].split())
    graph = read_edgelist(path, cache=False)
    assert (u, v) in edge_set(graph)


# ---------------------------------------------------------------------- quirks
PLAIN = b"# Directed graph: quirks\n# FromNodeId\tToNodeId\n1\t2\n2\t3\n3\t1\n3\t3\n7\t1\n"
QUIRKS = {
    "crlf": PLAIN.replace(b"\n", b"\r\n"),
    "stray-cr": PLAIN.replace(b"2\t3\n", b"2\t3\r\r\n").replace(b"\n", b"\r\n"),
    "no-final-newline": PLAIN.rstrip(b"\n"),
    "crlf-no-final-newline": PLAIN.replace(b"\n", b"\r\n").rstrip(b"\r\n"),
    "spaces": PLAIN.replace(b"\t", b"   "),
    "mixed-whitespace": b"1 \t2\n\t2  3 \n 3\t1\t\n3 3\n7 1\n",
    "percent-comments": b"% Matrix-Market style\n%\n" + PLAIN.replace(b"#", b"%"),
    "comments-inside": b"1 2\n# a comment\n2 3\n% another\n3 1\n3 3 # trailing\n7 1\n",
    "blank-lines": b"\n\n1 2\n\n2 3\r\n  \n3 1\n3 3\n\n7 1\n\n",
    "no-header": b"1 2\n2 3\n3 1\n3 3\n7 1\n",
    "lone-cr": b"# old Mac\r1 2\r2 3\r3 1\r3 3\r7 1\r",
    "leading-zeros-and-plus": b"01 2\n2 +3\n3 001\n3 3\n7 1\n",
}


@pytest.mark.parametrize("watched", [False, True], ids=["whole", "in-pieces"])
@pytest.mark.parametrize("suffix", [".txt", ".gz", ".bz2"])
@pytest.mark.parametrize("quirk", list(QUIRKS))
def test_quirks_give_the_same_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    quirk: str, suffix: str, watched: bool) -> None:
    """Read whole, or in pieces as when a progress callback listens: the same graph."""
    path = write(tmp_path / f"{quirk}{suffix}", QUIRKS[quirk])
    pieces: list[bytes] = []
    if watched:  # pieces of a few lines, even for this small a file
        monkeypatch.setattr(edgelist, "WATCH_FROM", 0)
        monkeypatch.setattr(edgelist, "LOAD_PIECE", 16)
        add = edgelist.PieceParser.add
        monkeypatch.setattr(edgelist.PieceParser, "add",
                            lambda parser, piece: pieces.append(piece) or add(parser, piece))
    graph = read_edgelist(path, cache=False, progress=(lambda event: None) if watched else None)
    assert bool(pieces) == (watched and (suffix != ".txt" or accelerate.numba_enabled()))
    assert graph.directed
    assert edge_set(graph) == set(EDGES)
    assert graph.ids.tolist() == [1, 2, 3, 7]
    assert graph.indptr.dtype == np.int64
    assert graph.indices.dtype == np.int32


@pytest.mark.parametrize("quirk", list(QUIRKS))
def test_reference_scan_agrees_with_fast_path(quirk: str, tmp_path: Path) -> None:
    """The line scan (error path) and numpy's parser read the same edges."""
    src, dst, weights = _scan(QUIRKS[quirk], tmp_path / "x.txt")
    assert weights is None
    assert list(zip(src.tolist(), dst.tolist(), strict=True)) == EDGES


def test_huge_ids_stay_exact(tmp_path: Path) -> None:
    """Ids that float64 would merge (2**62 and 2**62+1) stay distinct and exact."""
    big = [2**63 - 1, 2**62 + 1, 2**62, -(2**63), 2**53 + 1]
    text = "".join(f"{u} {v}\n" for u, v in zip(big, big[1:] + big[:1], strict=True))
    graph = read_edgelist(write(tmp_path / "huge.txt", text.encode()), cache=False)
    assert graph.ids.dtype == np.int64
    assert graph.ids.tolist() == sorted(big)
    assert edge_set(graph) == set(zip(big, big[1:] + big[:1], strict=True))


def test_weights_third_column(tmp_path: Path) -> None:
    text = b"# weighted\n1 2 0.5\r\n2 3 2\r\n3 1 -1e-3\r\n1 2 7.25\r\n"
    graph = read_edgelist(write(tmp_path / "w.txt", text), cache=False)
    assert graph.weighted
    assert graph.weights.dtype == np.float64
    reference = nx.DiGraph()
    for u, v, w in [(1, 2, 0.5), (2, 3, 2.0), (3, 1, -1e-3), (1, 2, 7.25)]:
        reference.add_edge(u, v, weight=w)  # a repeated add_edge: the last weight wins
    exported = graph.to_networkx()
    assert set(exported.edges(data="weight")) == set(reference.edges(data="weight"))
    assert exported[1][2]["weight"] == 7.25


def test_weights_without_header_and_in_gz(tmp_path: Path) -> None:
    text = b"10 20 1.5\n20 10 2.5\n"
    for name in ("w.txt", "w.txt.gz", "w.txt.bz2"):
        graph = read_edgelist(write(tmp_path / name, text), cache=False)
        assert sorted(graph.weights.tolist()) == [1.5, 2.5]


# ---------------------------------------------------------------------- direction and loops
@pytest.mark.parametrize(
    ("header", "expected"),
    [(b"# Undirected graph: roadNet-CA.txt\n", False),
     (b"# Directed graph (each unordered pair of nodes is saved once): x.txt\n", True),
     (b"# Nodes: 4 Edges: 5\n", True),
     (b"", True),
     (b"# some text\n# UNDIRECTED GRAPH\n", False)],
)
def test_header_decides_direction(tmp_path: Path, header: bytes, expected: bool) -> None:
    path = write(tmp_path / "g.txt", header + b"1 2\n2 3\n3 1\n3 3\n7 1\n")
    graph = read_edgelist(path, cache=False)
    assert graph.directed is expected
    reference = (nx.DiGraph if expected else nx.Graph)(EDGES)
    assert graph.m == reference.number_of_edges()


def test_header_after_data_does_not_count(tmp_path: Path) -> None:
    path = write(tmp_path / "g.txt", b"1 2\n# Undirected graph\n2 3\n")
    assert read_edgelist(path, cache=False).directed


@pytest.mark.parametrize("directed", [True, False])
def test_explicit_direction_overrides_header(tmp_path: Path, directed: bool) -> None:
    header = b"# Directed graph\n" if not directed else b"# Undirected graph\n"
    path = write(tmp_path / "g.txt", header + b"1 2\n2 1\n2 3\n")
    graph = read_edgelist(path, directed=directed, cache=False)
    assert graph.directed is directed
    assert graph.m == (3 if directed else 2)


def test_drop_self_loops(tmp_path: Path) -> None:
    path = write(tmp_path / "g.txt", PLAIN)
    kept = read_edgelist(path, cache=False)
    dropped = read_edgelist(path, drop_self_loops=True, cache=False)
    assert (kept.m, kept.self_loops) == (5, 1)
    assert (dropped.m, dropped.self_loops) == (4, 0)
    assert edge_set(dropped) == set(EDGES) - {(3, 3)}


def test_duplicates_collapse_like_networkx(tmp_path: Path) -> None:
    path = write(tmp_path / "g.txt", b"1 2\n1 2\n2 1\n5 5\n5 5\n")
    for directed, kind in ((True, nx.DiGraph), (False, nx.Graph)):
        graph = read_edgelist(path, directed=directed, cache=False)
        reference = nx.read_edgelist(path, create_using=kind, nodetype=int)
        assert (graph.n, graph.m) == (reference.number_of_nodes(), reference.number_of_edges())


def test_load_edgelist_reports_how(tmp_path: Path) -> None:
    path = write(tmp_path / "g.txt.gz", PLAIN)
    loaded = load_edgelist(str(path), cache=False)
    assert loaded.path == path
    assert loaded.source_bytes == path.stat().st_size
    assert loaded.from_cache is False
    assert loaded.seconds > 0
    assert edge_set(loaded.graph) == set(EDGES)
