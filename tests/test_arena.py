"""The shared-memory arena: aligned layout, attach round-trip, unlink and close semantics."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers_engine import shm_files
from hypothesis import given, settings
from hypothesis import strategies as st

from asapgraph.engine.arena import ALIGNMENT, Arena, plan

DTYPES = [np.int8, np.int32, np.int64, np.float32, np.float64]

SPECS = st.dictionaries(
    st.text("abcdefgh.", min_size=1, max_size=6),
    st.tuples(st.sampled_from(DTYPES),
              st.lists(st.integers(0, 9), min_size=1, max_size=3).map(tuple)),
    min_size=1,
    max_size=8,
)


def specs_example() -> dict:
    return {
        "bytes": (np.int8, (3,)),
        "ints": (np.int64, (5, 2)),
        "empty": (np.float64, (0,)),
        "floats": (np.float64, (7,)),
        "halves": (np.float32, (3, 3)),
    }


@settings(max_examples=200, deadline=None)
@given(specs=SPECS)
def test_plan_aligns_and_separates_arrays(specs) -> None:
    layout = plan("/dev/shm/unused", specs)
    assert set(layout.arrays) == set(specs)
    spans = []
    for name, (offset, dtype, shape) in layout.arrays.items():
        assert offset % ALIGNMENT == 0
        assert np.dtype(dtype) == np.dtype(specs[name][0])
        assert shape == specs[name][1]
        nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
        spans.append((offset, offset + max(nbytes, 1)))
        assert offset + nbytes <= layout.size
    spans.sort()
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start  # no two arrays overlap
    assert layout.size % ALIGNMENT == 0
    assert layout.size >= ALIGNMENT


def test_arrays_are_aligned_zeroed_and_round_trip_through_attach() -> None:
    owner = Arena.create(specs_example())
    try:
        rng = np.random.default_rng(0)
        for name, array in owner.arrays.items():
            assert array.ctypes.data % ALIGNMENT == 0, name
            assert not array.any(), name  # a fresh segment is zero-filled
            array[...] = rng.integers(-100, 100, array.shape)
        worker = Arena.attach(owner.layout)
        try:
            for name, array in owner.arrays.items():
                np.testing.assert_array_equal(worker[name], array)
                assert worker[name].dtype == array.dtype
            worker["floats"][2] = 1.5  # the same memory, not a copy
            assert owner["floats"][2] == 1.5
            owner["ints"][4, 1] = 77
            assert worker["ints"][4, 1] == 77
        finally:
            worker.close()
    finally:
        owner.close()


def contents_example() -> dict:
    return {
        "ints": np.arange(10, dtype=np.int32).reshape(5, 2),  # cast to the layout's int64
        "floats": np.linspace(0.0, 1.0, 7),
        "empty": np.empty(0),
    }


def check_contents(arena: Arena) -> None:
    specs, contents = specs_example(), contents_example()
    for name, array in arena.arrays.items():
        assert array.dtype == np.dtype(specs[name][0]), name
        if name in contents:
            np.testing.assert_array_equal(array, contents[name])
        else:
            assert not array.any(), name  # arrays without contents stay zero


def test_create_writes_contents_that_workers_see() -> None:
    owner = Arena.create(specs_example(), contents_example())
    try:
        check_contents(owner)
        worker = Arena.attach(owner.layout)
        try:
            check_contents(worker)
        finally:
            worker.close()
    finally:
        owner.close()


def test_create_finishes_writes_that_stop_short(monkeypatch) -> None:
    """The kernel may write fewer bytes than asked (about 2 GiB at most): the rest follows."""
    write = os.pwrite
    monkeypatch.setattr(os, "pwrite", lambda fd, data, offset: write(fd, data[:3], offset))
    owner = Arena.create(specs_example(), contents_example())
    try:
        check_contents(owner)
    finally:
        owner.close()


def test_create_refuses_contents_of_another_shape() -> None:
    with pytest.raises(ValueError, match=r"'floats' has shape \(6,\) where the layout has \(7,\)"):
        Arena.create(specs_example(), {"floats": np.zeros(6)})
    assert shm_files() == []  # the half-made segment is gone


def test_unlink_leaves_mappings_valid() -> None:
    owner = Arena.create(specs_example())
    worker = Arena.attach(owner.layout)
    try:
        path = Path(owner.layout.path)
        assert path.exists()
        owner.unlink()
        owner.unlink()  # idempotent
        assert not path.exists()
        assert shm_files() == []
        owner["floats"][:] = np.arange(7)
        np.testing.assert_array_equal(worker["floats"], np.arange(7))
        with pytest.raises(FileNotFoundError):
            Arena.attach(owner.layout)  # the name is gone: nobody new can map it
    finally:
        worker.close()
        owner.close()


def test_close_is_idempotent_and_only_the_owner_unlinks() -> None:
    owner = Arena.create(specs_example())
    path = Path(owner.layout.path)
    worker = Arena.attach(owner.layout)
    worker.close()
    worker.close()
    assert path.exists()  # a worker's close never removes the segment
    assert worker.arrays == {}
    owner.close()
    owner.close()
    assert not path.exists()
    assert owner.arrays == {}
    assert shm_files() == []


def test_close_with_views_still_alive() -> None:
    """close() never unmaps memory under a live view (in a child: a bug would crash it)."""
    script = """
import numpy as np
from asapgraph.engine.arena import Arena
owner = Arena.create({"x": (np.float64, (7,)), "y": (np.int64, (3,))})
view = owner["x"]
view[:] = 3.0
owner.close()
owner.close()
print(view.sum())
"""
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    stdout, stderr = child.communicate(timeout=60)
    assert child.returncode == 0, stderr
    assert stdout.strip() == "21.0"
    assert shm_files(child.pid) == []
