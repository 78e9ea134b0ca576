"""Shared fixtures: the real SNAP graphs in ../shared/datasets/snap.

Tests that need them skip (with the reason) when the folder is missing, except under CI=true,
where a missing dataset is a failure: CI must never go green by skipping the real-data checks.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

DEFAULT_SNAP_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "snap"
SNAP_DIR = Path(os.environ.get("ASAPGRAPH_SNAP_DIR", DEFAULT_SNAP_DIR))
SNAP_GRAPHS = (
    "ca-GrQc.txt",
    "ca-HepTh.txt",
    "ca-HepPh.txt.gz",
    "ca-CondMat.txt",
    "email-Enron.txt.gz",
    "email-Eu-core.txt.gz",
    "facebook_combined.txt.gz",
    "p2p-Gnutella08.txt.gz",
    "p2p-Gnutella31.txt",
    "wiki-Vote.txt",
)


def require_snap(filename: str) -> Path:
    """Path of a shared SNAP file; skip outside CI, fail under CI=true, when it is missing."""
    path = SNAP_DIR / filename
    if not path.exists():
        message = f"SNAP dataset {path} is missing"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message} (CI=true: real-data tests must run)")
        pytest.skip(f"{message}; real-data tests run where ../shared is present")
    return path


def require_numba() -> None:
    """Skip outside CI, fail under CI=true, without numba (the ``fast`` extra .ci/run installs)."""
    if importlib.util.find_spec("numba") is None:
        message = "numba (pip install 'asapgraph[fast]') is not installed"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message} (CI=true: the compiled kernels must be tested)")
        pytest.skip(message)


@pytest.fixture(params=SNAP_GRAPHS, ids=[name.split(".")[0] for name in SNAP_GRAPHS])
def snap_path(request: pytest.FixtureRequest) -> Path:
    """Each shared SNAP edge list in turn."""
    return require_snap(request.param)


@pytest.fixture
def snap_dir() -> Path:
    """The shared SNAP folder (skip outside CI, fail under CI=true, when it is missing)."""
    return require_snap("MANIFEST.tsv").parent


_GRAPH_CACHE: dict[str, object] = {}


def load_snap(filename: str):
    """The parsed graph of a shared SNAP file, read once per test session."""
    from asapgraph.io import read_edgelist

    if filename not in _GRAPH_CACHE:
        _GRAPH_CACHE[filename] = read_edgelist(require_snap(filename), cache=False)
    return _GRAPH_CACHE[filename]


@pytest.fixture(params=SNAP_GRAPHS, ids=[name.split(".")[0] for name in SNAP_GRAPHS])
def snap_graph(request: pytest.FixtureRequest):
    """Each shared SNAP graph in turn, parsed once per session."""
    return load_snap(request.param)


@pytest.fixture(scope="module")
def engines():
    """One engine per worker count, started on first use and serving every run of the module."""
    import asapgraph

    opened: dict[int, asapgraph.Engine] = {}

    def get(workers: int) -> asapgraph.Engine:
        if workers not in opened:
            opened[workers] = asapgraph.Engine(workers).__enter__()
        return opened[workers]

    yield get
    for engine in opened.values():
        engine.close()
