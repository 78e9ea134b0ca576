"""networkx's own tests for the functions asapgraph implements, run through the asapgraph backend.

Each configuration runs networkx's test modules in a subprocess with ``NETWORKX_TEST_BACKEND=
asapgraph``, networkx's DEBUG log captured per test into a JUnit report. networkx's helper
functions the backend does not provide (graph generators, ``google_matrix``) may fall back to
networkx; the backend's own functions may not: every call to one of them must reach asapgraph,
and every test either passes or is declared unsupported with a reason (``nx_backend/testing.py``).
Both configurations run at the same time, each on one engine that serves all its tests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from asapgraph.nx_backend.info import FUNCTIONS
from asapgraph.nx_backend.testing import UNSUPPORTED

MODULES = (
    "networkx.algorithms.link_analysis.tests.test_pagerank",
    "networkx.algorithms.components.tests.test_connected",
    "networkx.algorithms.components.tests.test_weakly_connected",
    "networkx.algorithms.community.tests.test_label_propagation",
)
CONFIGURATIONS = {"1 worker bsp": (1, "bsp"), "3 workers asap": (3, "asap")}
REFUSED = "asapgraph does not run "  # how a refusal by can_run reads as an expected failure
REACHED = re.compile(r"Using backend 'asapgraph' for call to '(\w+)'")
FELL_BACK = re.compile(r"Falling back to use 'networkx' instead of 'asapgraph' .*call to '(\w+)'")
TIMEOUT = 300


@dataclass
class Outcome:
    """One networkx test: its outcome, the xfail reason, and what its calls did."""

    name: str
    outcome: str  # passed, failed, error, xfailed, skipped
    reason: str = ""
    reached: set[str] = field(default_factory=set)
    fell_back: set[str] = field(default_factory=set)


def start(workers: int, mode: str, folder: Path) -> subprocess.Popen:
    """networkx's tests in a subprocess, the backend configured by a one-hook plugin."""
    folder.mkdir()
    (folder / "asapgraph_config.py").write_text(
        "import networkx as nx\n\n\ndef pytest_configure(config):\n"
        f"    nx.config.backends.asapgraph.workers = {workers}\n"
        f"    nx.config.backends.asapgraph.mode = {mode!r}\n"
    )
    env = {**os.environ, "NETWORKX_TEST_BACKEND": "asapgraph", "NETWORKX_FALLBACK_TO_NX": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")])),
           "ASAPGRAPH_NUMBA": "0"}  # tiny graphs: skip numba's load
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-p", "asapgraph_config", "--rootdir", str(folder), "--log-level=DEBUG",
               "-o", "junit_logging=all", f"--junitxml={folder / 'report.xml'}",
               "--pyargs", *MODULES]
    return subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def outcomes(report: Path) -> list[Outcome]:
    """Each test case of a JUnit report, with the backend calls its captured log shows."""
    found = []
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        log = "".join(node.text or "" for node in case.iter() if node.tag in
                      ("system-out", "system-err"))
        result = Outcome(name, "passed", reached=set(REACHED.findall(log)),
                         fell_back=set(FELL_BACK.findall(log)))
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                xfail = tag == "skipped" and node.get("type") == "pytest.xfail"
                result.outcome = "xfailed" if xfail else {"failure": "failed"}.get(tag, tag)
                result.reason = node.get("message", "")
        found.append(result)
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[subprocess.Popen, Path]]:
    folder = tmp_path_factory.mktemp("networkx_suite")
    started = {}
    for label, (workers, mode) in CONFIGURATIONS.items():
        where = folder / label.replace(" ", "_")
        started[label] = (start(workers, mode, where), where / "report.xml")
    yield started
    for process, _ in started.values():
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("label", CONFIGURATIONS)
def test_networkx_suite_through_backend(runs, label: str) -> None:
    process, report = runs[label]
    output, _ = process.communicate(timeout=TIMEOUT)
    assert report.exists(), output[-3000:]
    tests = outcomes(report)
    summary = {state: sum(t.outcome == state for t in tests) for state in
               ("passed", "xfailed", "failed", "error", "skipped")}
    print(f"networkx tests through asapgraph ({label}): {summary}")
    assert summary["failed"] == summary["error"] == summary["skipped"] == 0, output[-3000:]
    assert process.returncode == 0, output[-3000:]
    ours = set(FUNCTIONS)
    for test in tests:
        assert not test.fell_back & ours, f"{test.name} fell back to networkx for {test.fell_back}"
        if test.outcome == "xfailed":
            assert test.reason.startswith(REFUSED) or test.reason in UNSUPPORTED.values(), (
                f"{test.name}: an expected failure the backend did not declare: {test.reason}")
    reached = [test for test in tests if test.reached & ours]
    print(f"  of which reached the backend: {len(reached)}, "
          f"passed {sum(test.outcome == 'passed' for test in reached)}")
    assert {function for test in reached for function in test.reached & ours} == ours
    assert len(reached) >= 50  # networkx's tests of these functions did reach the backend
    workers = CONFIGURATIONS[label][0]
    assert f"with {workers} workers" in report.read_text()  # the configuration took effect
