"""The SNAP catalogue against the shared mirror's MANIFEST, graph specs, ``datasets list``."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import SNAP_DIR, require_snap

from asapgraph.datasets import CATALOGUE, DatasetError, lookup, resolve_graph, rmat_graph
from asapgraph.datasets.catalogue import SNAP_BASE_URL


def manifest_rows() -> list[dict[str, str]]:
    with require_snap("MANIFEST.tsv").open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [row for row in rows if row["directed"] != "labels"]


def test_shared_graphs_match_the_manifest() -> None:
    rows = manifest_rows()
    assert len(rows) == 10
    for row in rows:
        entry = lookup(row["name"])
        assert entry.filename == row["file"]
        assert entry.sha256 == row["sha256"]
        assert entry.size == (SNAP_DIR / row["file"]).stat().st_size
        assert entry.nodes == int(row["nodes_counted"])
        assert entry.edges == int(row["edge_lines_counted"])
        if row["directed"]:
            assert entry.directed == (row["directed"] == "directed")


def test_catalogue_entries_are_consistent() -> None:
    assert len({entry.name for entry in CATALOGUE}) == len(CATALOGUE) >= 20
    for entry in CATALOGUE:
        assert entry.url.startswith(SNAP_BASE_URL)
        assert entry.url.endswith(".txt.gz")
        assert entry.sha256 is None or len(entry.sha256) == 64
        if not entry.directed:
            assert entry.undirected  # what SNAP calls undirected is read undirected
        # a checksum of a copy that is not SNAP's own must never verify a download
        if entry.mirror_only:
            assert entry.download_sha256 is None
            assert entry.verification == "mirror"
        elif entry.sha256 is None:
            assert entry.verification == ("unverified" if entry.size is None else "size")


@pytest.mark.parametrize(
    ("name", "undirected"),
    [("ca-GrQc", True), ("ca-HepPh", True), ("email-Enron", True), ("facebook_combined", True),
     ("wiki-Vote", False), ("email-Eu-core", False), ("roadNet-CA", True), ("web-Google", False)],
)
def test_read_semantics(name: str, undirected: bool) -> None:
    assert lookup(name).undirected == undirected


def test_lookup_is_case_insensitive_and_names_the_unknown() -> None:
    assert lookup("CA-GRQC").name == "ca-GrQc"
    with pytest.raises(KeyError, match="unknown dataset 'nope'"):
        lookup("nope")


def test_resolve_a_file_path(tmp_path: Path) -> None:
    path = tmp_path / "g.txt"
    path.write_text("# Undirected graph\n5 6\n6 7\n")
    for spec in (str(path), path):
        graph = resolve_graph(spec, cache=False)
        assert (graph.n, graph.m, graph.directed) == (3, 2, False)
    assert resolve_graph(path, directed=True, cache=False).directed


def test_resolve_snap_from_the_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    require_snap("ca-GrQc.txt")
    monkeypatch.setenv("ASAPGRAPH_SNAP_URL", "http://127.0.0.1:9/unused")
    graph = resolve_graph("snap:ca-GrQc", data_dir=SNAP_DIR, cache=False)
    assert (graph.n, graph.m, graph.directed) == (5242, 14496, False)  # SNAP's 14,496 edges
    as_directed = resolve_graph("snap:ca-GrQc", data_dir=SNAP_DIR, directed=True, cache=False)
    assert (as_directed.m, as_directed.directed) == (28980, True)
    monkeypatch.setenv("ASAPGRAPH_DATA", str(SNAP_DIR))
    facebook = resolve_graph("snap:facebook_combined", cache=False)  # no header: catalogue says
    assert (facebook.n, facebook.m, facebook.directed) == (4039, 88234, False)
    wiki = resolve_graph("snap:wiki-Vote", cache=False)
    assert (wiki.n, wiki.m, wiki.directed) == (7115, 103689, True)


def test_resolve_rmat() -> None:
    graph = resolve_graph("rmat:10")
    reference = rmat_graph(10, 16, seed=1)
    assert graph.n == 1024
    assert np.array_equal(graph.indptr, reference.indptr)
    assert np.array_equal(graph.indices, reference.indices)
    seeded = resolve_graph("rmat:9:4:7")
    assert np.array_equal(seeded.indices, rmat_graph(9, 4, seed=7).indices)
    assert not resolve_graph("rmat:9:4", directed=False).directed


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("rmat:", "rmat:SCALE"),
        ("rmat:x", "rmat:SCALE"),
        ("rmat:8:2:1:5", "rmat:SCALE"),
        ("rmat:-3", "rmat:SCALE"),
        ("rmat:0", "scale must be between"),
        ("rmat:8:0", "edge factor"),
        ("snap:", "names no dataset"),
        ("snap:no-such-graph", "unknown dataset 'no-such-graph'"),
        ("hdfs:/graph.txt", "snap:NAME or rmat:SCALE"),
    ],
)
def test_bad_specs_are_one_sentence(spec: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle) as caught:
        resolve_graph(spec)
    assert "\n" not in str(caught.value)


def test_unknown_snap_name_is_a_dataset_error() -> None:
    with pytest.raises(DatasetError):
        resolve_graph("snap:no-such-graph")


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        resolve_graph(tmp_path / "absent.txt")


def test_cli_list_names_every_dataset(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "asapgraph", "datasets", "list", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "nodes", "edges", "directed", "size", "verified", "local"]
    for entry in CATALOGUE:
        assert any(line.startswith(entry.name + " ") for line in lines)
    assert f"data folder: {tmp_path}" in result.stdout


def test_cli_list_sees_the_mirror() -> None:
    require_snap("MANIFEST.tsv")
    result = subprocess.run(
        [sys.executable, "-m", "asapgraph", "datasets", "list", "--data-dir", str(SNAP_DIR)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:] if line}
    for entry in CATALOGUE[:10]:
        assert rows[entry.name][-1] == "yes"
    assert rows["web-Google"][-2:] == ["unverified", "no"]


def test_cli_fetch_unknown_name_exits_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "asapgraph", "datasets", "fetch", "nope"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "asapgraph: error: unknown dataset 'nope'; `asapgraph datasets list` shows the catalogue"
    )
