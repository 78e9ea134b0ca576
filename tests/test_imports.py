"""Start-up: what importing asapgraph and starting its command line pull into ``sys.modules``.

A test of modules, not of time (bench/bench_startup.py times them): each heavy dependency that a
user pays for only when used (networkx, matplotlib, numba, the fetcher's HTTP stack, scipy's
graph routines) must stay out of a plain ``import asapgraph`` and of the CLI's start.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ON_DEMAND = ("networkx", "matplotlib", "numba", "pooch", "requests")


def imported_after(code: str) -> set[str]:
    """The top-level names and scipy submodules in ``sys.modules`` after running ``code``."""
    script = (
        f"{code}\nimport json, sys\n"
        "print(json.dumps(sorted(m for m in sys.modules if '.' not in m or m.startswith('scipy'))))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_import_asapgraph_loads_nothing_heavy() -> None:
    loaded = imported_after("import asapgraph")
    assert not loaded & {*ON_DEMAND, "scipy", "numpy"}


def test_library_functions_leave_optional_packages_alone() -> None:
    loaded = imported_after("import asapgraph\nasapgraph.pagerank\nasapgraph.Engine\n"
                            "asapgraph.compare\nasapgraph.read_edgelist")
    assert "numpy" in loaded  # the names did resolve
    assert not loaded & {*ON_DEMAND, "scipy.sparse.csgraph"}


def test_command_line_start_is_light() -> None:
    loaded = imported_after("import asapgraph.cli\nasapgraph.cli.build_parser()")
    assert not loaded & {*ON_DEMAND, "scipy"}


def test_pagerank_run_from_the_command_line_leaves_optional_packages_alone(tmp_path) -> None:
    edges = tmp_path / "g.txt"
    edges.write_text("1 2\n2 3\n3 1\n3 4\n")
    code = ("import asapgraph.cli\n"
            f"assert asapgraph.cli.main(['run', 'pagerank', {str(edges)!r}, '--no-cache']) == 0")
    loaded = imported_after(code)
    assert "scipy.sparse" in loaded  # the run did happen
    assert not loaded & {*ON_DEMAND, "scipy.sparse.csgraph"}


@pytest.mark.parametrize("name", ["pagerank", "Graph", "compare", "__version__"])
def test_public_names_resolve(name: str) -> None:
    import asapgraph

    assert name in dir(asapgraph)
    assert getattr(asapgraph, name) is not None


def test_compare_stays_the_function_after_its_module_is_imported() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import asapgraph.compare, asapgraph\n"
         "print(callable(asapgraph.compare), asapgraph.compare.__module__)"],
        capture_output=True, text=True, check=True,
    )
    assert loaded.stdout.split() == ["True", "asapgraph.compare"]


def test_unknown_name_raises_attribute_error() -> None:
    import asapgraph

    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        asapgraph.nonsense  # noqa: B018
