"""Fault suite, partition cache: a partition stored beside a cache entry obeys the entry's rules.

A damaged partition file (a flipped byte, an index out of range under fresh checksums, a cut
short file) is found before use, warned about in one line, computed again and stored afresh; a
partition folder or file another user owns or can write is refused with one line and left alone
(the run partitions in memory).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers_engine import assert_same_partitioning
from helpers_faults import cli, small_graph

from asapgraph.algorithms.pagerank import PageRank
from asapgraph.engine.layout import ARENA_FILE, lay_out_static
from asapgraph.engine.workers import part_array
from asapgraph.io import read_edgelist
from asapgraph.io.cache_check import checksums
from asapgraph.partition import partition

NOBODY = 65534
PARTS = 2


@pytest.fixture
def graph(tmp_path: Path):
    """A small directed graph mapped from the binary cache, its partition for PageRank stored."""
    loaded = read_edgelist(small_graph(tmp_path), cache_dir=tmp_path / "cache")
    first = lay_out_static(PageRank(), loaded, PARTS)
    assert first.source == "stored"
    first.close()
    return loaded


def partition_dir(tmp_path: Path) -> Path:
    (folder,) = (tmp_path / "cache").glob("*/partitions/*/")
    return folder


def patch_array(folder: Path, name: str, change, *, fresh_checksums: bool = False) -> None:
    """Edit array ``name`` inside the stored file in place (damage on disk); with
    ``fresh_checksums`` the meta is rewritten to match, as a hand-made partition would be."""
    meta = json.loads((folder / "meta.json").read_text())
    offset, dtype, shape = meta["arrays"][name]
    with (folder / ARENA_FILE).open("r+b") as file:
        mapped = np.memmap(file, dtype=np.dtype(dtype), mode="r+", offset=offset,
                           shape=tuple(shape))
        change(mapped)
        mapped.flush()
        del mapped
    if fresh_checksums:
        with (folder / ARENA_FILE).open("rb") as file:
            data = np.fromfile(file, dtype=np.uint8)
        arrays = {key: data[o:].view(np.dtype(d))[: int(np.prod(s))]
                  for key, (o, d, s) in meta["arrays"].items()}
        meta["checksums"] = checksums(arrays)
        (folder / "meta.json").write_text(json.dumps(meta))


def flip_byte(array: np.ndarray) -> None:
    array.reshape(-1).view(np.uint8)[0] ^= 0x10


def out_of_range(array: np.ndarray) -> None:
    array[0] = 1 << 20


def layout_again(graph, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING):
        return lay_out_static(PageRank(), graph, PARTS)


@pytest.mark.parametrize(("name", "damage", "fresh", "why"), [
    (part_array(0, "indices"), flip_byte, False, "does not match its checksum"),
    (part_array(1, "indptr"), flip_byte, False, "does not match its checksum"),
    ("e0.pack", out_of_range, True, "lie outside"),
    (part_array(0, "indices"), out_of_range, True, "lie outside"),
    (part_array(1, "indptr"), out_of_range, True, "not monotone"),
])
def test_damaged_partition_is_computed_again_and_rewritten(
    graph, tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str, damage, fresh: bool,
    why: str,
) -> None:
    patch_array(partition_dir(tmp_path), name, damage, fresh_checksums=fresh)
    layout = layout_again(graph, caplog)
    try:
        assert layout.source == "stored"  # computed again, stored afresh
        assert_same_partitioning(layout.partitioning, partition(graph.transpose, PARTS))
    finally:
        layout.close()
    assert len({record.getMessage() for record in caplog.records}) == 1
    assert "damaged partition cache" in caplog.text
    assert why in caplog.text
    again = lay_out_static(PageRank(), graph, PARTS)  # the rewritten one is used
    assert again.source == "cache"
    again.close()


def test_cut_short_partition_file_is_computed_again(graph, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    file = partition_dir(tmp_path) / ARENA_FILE
    os.truncate(file, file.stat().st_size // 2)
    layout = layout_again(graph, caplog)
    layout.close()
    assert layout.source == "stored"
    assert "damaged partition cache" in caplog.text


@pytest.mark.parametrize("target", ["file", "folder", "partitions"])
def test_partition_others_can_write_is_refused_and_kept(
    graph, tmp_path: Path, caplog: pytest.LogCaptureFixture, target: str
) -> None:
    folder = partition_dir(tmp_path)
    path = {"file": folder / ARENA_FILE, "folder": folder, "partitions": folder.parent}[target]
    path.chmod(path.stat().st_mode | 0o020)
    layout = layout_again(graph, caplog)
    try:
        assert layout.source == "built"  # partitioned in memory, the stored one not touched
        assert_same_partitioning(layout.partitioning, partition(graph.transpose, PARTS))
    finally:
        layout.close()
    assert "not using the partition cache" in caplog.text
    assert f"{path} is writable by other users" in caplog.text
    assert len({record.getMessage() for record in caplog.records}) == 1
    assert (folder / ARENA_FILE).exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="planting another user's file needs chown (root)")
def test_partition_planted_by_another_user_is_refused_and_kept(
    graph, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = partition_dir(tmp_path)
    for path in (folder, *folder.iterdir()):
        os.chown(path, NOBODY, NOBODY)
    layout = layout_again(graph, caplog)
    layout.close()
    assert layout.source == "built"
    assert "owned by another user" in caplog.text
    assert folder.exists()  # another user's partition is not ours to delete
    shutil.rmtree(folder)


def test_partitions_are_private_whatever_the_umask(tmp_path: Path) -> None:
    loaded = read_edgelist(small_graph(tmp_path), cache_dir=tmp_path / "cache")
    old = os.umask(0o002)
    try:
        lay_out_static(PageRank(), loaded, PARTS).close()
    finally:
        os.umask(old)
    folder = partition_dir(tmp_path)
    assert all(path.stat().st_mode & 0o077 == 0
               for path in (folder.parent, folder, *folder.iterdir()))
    again = lay_out_static(PageRank(), loaded, PARTS)
    again.close()
    assert again.source == "cache"


def test_cli_run_on_a_damaged_partition_warns_once_and_answers_right(tmp_path: Path) -> None:
    source, cache = small_graph(tmp_path), tmp_path / "clicache"
    args = ["run", "pagerank", str(source), "--workers", str(PARTS), "--cache-dir", str(cache),
            "--tol", "1e-12", "--mode", "bsp"]
    first = cli(*args, "--out", str(tmp_path / "a.tsv"))
    assert first.returncode == 0, first.stderr
    (folder,) = cache.glob("*/partitions/*/")
    patch_array(folder, part_array(0, "indices"), out_of_range, fresh_checksums=True)
    second = cli(*args, "--out", str(tmp_path / "b.tsv"))
    assert second.returncode == 0, second.stderr
    assert len(second.stderr.strip().splitlines()) == 1, second.stderr
    assert "damaged partition cache" in second.stderr
    assert (tmp_path / "a.tsv").read_text() == (tmp_path / "b.tsv").read_text()
