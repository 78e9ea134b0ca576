"""How the backend takes part in networkx's own test-suite (``NETWORKX_TEST_BACKEND=asapgraph``).

networkx calls ``on_start_tests`` with the collected items. Two kinds of test are declared
unsupported, each with its reason: those listed in ``UNSUPPORTED`` are marked as strict
expected failures here, and a call that ``can_run`` refuses (an input asapgraph would not answer
as networkx does) becomes an expected failure at that point instead of quietly running networkx's
own code. networkx's helper functions the backend does not provide (graph generators,
``google_matrix``...) still run on networkx when the suite allows falling back.
"""

from __future__ import annotations

from typing import Any

# test id (from inside the networkx package) → why asapgraph does not give networkx's answer.
# Empty since PageRank's power form (issue 10) converges from a random nstart within networkx's
# max_iter, as networkx's test_pagerank asks; an entry here is a strict expected failure.
UNSUPPORTED: dict[str, str] = {}
_running: list[bool] = []  # non-empty once networkx's test-suite has started with the backend


def on_start_tests(items: list[Any]) -> None:
    """Mark the tests of ``UNSUPPORTED`` as strict expected failures; enter test mode."""
    import pytest

    _running.append(True)
    for item in items:
        reason = UNSUPPORTED.get(_test_id(item))
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))


def refuse(name: str, reason: str) -> str:
    """Inside networkx's test-suite, an expected failure with ``reason``; else ``reason``."""
    if _running:
        import pytest

        pytest.xfail(f"asapgraph does not run {name} on this input: {reason}")
    return reason


def _test_id(item: Any) -> str:
    """``algorithms/…/test_x.py::Class::test[param]``, wherever networkx is installed."""
    path = item.path.as_posix()
    inside = path[path.rfind("/networkx/") + len("/networkx/"):]
    return f"{inside}::{item.nodeid.partition('::')[2]}"
