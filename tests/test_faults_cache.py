"""Fault suite, cache: damaged entries and entries others could write are never used as they are.

A damaged entry (a flipped byte, two indices swapped, an index out of range) is found before use,
warned about in one line, read again from the text and rewritten; a cache folder or entry another
user owns or can write is refused with one line and left alone.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers_faults import cli, small_graph

from asapgraph.io import load_edgelist, read_edgelist
from asapgraph.io.cache_check import DamagedEntryError, check_arrays, checksums

NOBODY = 65534


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return small_graph(tmp_path)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("ASAPGRAPH_CACHE", str(root))
    return root


def array_file(cache_dir: Path, name: str) -> Path:
    (path,) = cache_dir.glob(f"*/{name}.npy")
    return path


def patch_array(path: Path, change) -> None:
    """Edit the data of a stored .npy in place (header untouched), as damage on disk would."""
    array = np.load(path, mmap_mode="r+")
    change(array)
    array.flush()
    del array


def flip_byte(array: np.ndarray) -> None:
    raw = array.reshape(-1).view(np.uint8)
    raw[3] ^= 0x10


def swap_two(array: np.ndarray) -> None:
    array[[0, -1]] = array[[-1, 0]]


def out_of_range(array: np.ndarray) -> None:
    array[1] = 1 << 20


@pytest.mark.parametrize(("name", "damage"), [
    ("indptr", flip_byte), ("indices", swap_two), ("indices", out_of_range), ("ids", swap_two),
])
def test_damaged_entry_is_read_again_and_rewritten(source: Path, cache_dir: Path, name: str,
                                                   damage, caplog: pytest.LogCaptureFixture
                                                   ) -> None:
    expected = read_edgelist(source, cache=False)
    load_edgelist(source)
    patch_array(array_file(cache_dir, name), damage)
    with caplog.at_level(logging.WARNING):
        again = load_edgelist(source)
    assert not again.from_cache
    # one warning (a log handler that an earlier test routed through a queue may repeat it)
    assert len({record.getMessage() for record in caplog.records}) == 1
    assert "damaged graph cache" in caplog.text
    assert np.array_equal(again.graph.indices, expected.indices)
    assert np.array_equal(again.graph.indptr, expected.indptr)
    rewritten = load_edgelist(source)  # the entry was stored afresh and is now used
    assert rewritten.from_cache
    assert np.array_equal(rewritten.graph.indices, expected.indices)


def test_structure_is_checked_beside_the_checksums() -> None:
    """Arrays whose checksums were taken after the damage still fail the CSR rules."""
    good = {"indptr": np.array([0, 1, 2], np.int64), "indices": np.array([1, 0], np.int32)}
    check_arrays(good, checksums(good), 2, 2)
    for bad, why in [
        ({"indptr": np.array([0, 2, 1], np.int64)}, "monotone"),
        ({"indices": np.array([1, 2], np.int32)}, "outside the vertex range"),
        ({"indices": np.array([1, -1], np.int32)}, "outside the vertex range"),
        ({"indices": np.array([1, 0], np.int64)}, "expected int32"),
        ({"weights": np.array([1.0, np.nan])}, "not finite"),
    ]:
        arrays = {**good, **bad}
        with pytest.raises(DamagedEntryError, match=why):
            check_arrays(arrays, checksums(arrays), 2, 2)


def test_cli_run_on_a_damaged_entry_warns_once_and_answers_right(source: Path, tmp_path: Path
                                                                 ) -> None:
    cache = tmp_path / "clicache"
    first = cli("run", "pagerank", str(source), "--cache-dir", str(cache), "--tol", "1e-12",
                "--out", str(tmp_path / "a.tsv"))
    assert first.returncode == 0, first.stderr
    patch_array(next(cache.glob("*/indices.npy")), out_of_range)  # once a SIGSEGV in scipy
    second = cli("run", "pagerank", str(source), "--cache-dir", str(cache), "--tol", "1e-12",
                 "--out", str(tmp_path / "b.tsv"))
    assert second.returncode == 0, second.stderr
    assert len(second.stderr.strip().splitlines()) == 1
    assert "damaged graph cache" in second.stderr
    assert (tmp_path / "a.tsv").read_text() == (tmp_path / "b.tsv").read_text()


def test_world_writable_cache_folder_is_refused(source: Path, tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "open"
    root.mkdir()
    root.chmod(0o777)
    with caplog.at_level(logging.WARNING):
        loaded = load_edgelist(source, cache_dir=root)
    assert not loaded.from_cache
    assert "writable by other users" in caplog.text
    assert list(root.iterdir()) == []  # nothing stored there either


def sticky_root(tmp_path: Path) -> Path:
    root = tmp_path / "shared"
    root.mkdir()
    root.chmod(0o1777)
    return root


def test_sticky_shared_folder_keeps_own_entries(source: Path, tmp_path: Path) -> None:
    root = sticky_root(tmp_path)
    assert not load_edgelist(source, cache_dir=root).from_cache
    assert load_edgelist(source, cache_dir=root).from_cache


@pytest.mark.skipif(os.geteuid() != 0, reason="planting another user's entry needs chown (root)")
def test_entry_planted_by_another_user_is_refused_and_kept(source: Path, tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture
                                                           ) -> None:
    root = sticky_root(tmp_path)
    load_edgelist(source, cache_dir=root)
    (entry,) = root.iterdir()
    for path in (entry, *entry.iterdir()):
        os.chown(path, NOBODY, NOBODY)
    with caplog.at_level(logging.WARNING):
        loaded = load_edgelist(source, cache_dir=root)
    assert not loaded.from_cache
    assert "owned by another user" in caplog.text
    assert entry.exists()  # another user's entry is not ours to delete
    shutil.rmtree(entry)


def test_group_writable_entry_is_refused(source: Path, cache_dir: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
    load_edgelist(source)
    array_file(cache_dir, "indices").chmod(0o664)
    with caplog.at_level(logging.WARNING):
        loaded = load_edgelist(source)
    assert not loaded.from_cache
    assert "indices.npy is writable by other users" in caplog.text


def test_entries_are_private_whatever_the_umask(source: Path, cache_dir: Path) -> None:
    old = os.umask(0o002)
    try:
        load_edgelist(source)
    finally:
        os.umask(old)
    (entry,) = cache_dir.iterdir()
    assert all(path.stat().st_mode & 0o077 == 0 for path in (entry, *entry.iterdir()))
    assert load_edgelist(source).from_cache
