"""``asapgraph run ... --update FILE`` / ``--diff NEW``: warm recomputation on the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components

import asapgraph
from asapgraph.cli import main

GRAPH = "1 2\n2 3\n3 1\n4 5\n6 7\n"

# name -> (update file text, line, words the one-line error must contain)
BAD = {
    "no-sign": ("+ 1 4\n1 4\n", 2, "expected '+' or '-' first, found '1'"),
    "minus-weight": ("- 1 2 0.5\n", 1, "'-' takes 2 fields"),
    "plus-four": ("\n+ 1 2 3 4\n", 2, "'+' takes 2 or 3 fields"),
    "not-an-id": ("+ 1 x\n", 1, "vertex id 'x' is not an integer"),
    "bad-weight": ("+ 1 2 heavy\n", 1, "weight 'heavy' is not a number"),
    "some-weights": ("+ 1 2 1.0\n+ 2 4\n", 2, "a weight goes on every '+' line"),
    "missing-edge": ("# ok\n+ 1 4\n- 2 1\n", 3, "cannot remove edge 2 -> 1"),
    "unknown-vertex": ("- 9 1\n", 1, "cannot remove edge 9 -> 1"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_update_file_is_one_line_with_file_and_line(tmp_path: Path, capsys,
                                                         case: str) -> None:
    text, line, needle = BAD[case]
    graph, update, out = tmp_path / "g.txt", tmp_path / "u.txt", tmp_path / "out.tsv"
    graph.write_text(GRAPH)
    update.write_text(text)
    status = main(["run", "cc", str(graph), "--no-cache", "--update", str(update),
                   "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1
    assert err.startswith(f"asapgraph: error: {update}:{line}: ")
    assert needle in err
    assert not out.exists()


def test_update_file_gives_the_components_of_the_changed_graph(tmp_path: Path, capsys) -> None:
    graph, update, out = tmp_path / "g.txt", tmp_path / "u.txt", tmp_path / "out.tsv"
    graph.write_text(GRAPH)
    update.write_text("# join two components, split one, bring a new vertex\n"
                      "+ 5 6\n- 3 1\n- 2 3\n+ 7 8 \n")
    assert main(["run", "cc", str(graph), "--no-cache", "--update", str(update),
                 "--out", str(out)]) == 0
    assert "-2 +2 edges, 1 new vertices" in capsys.readouterr().out
    rows = np.loadtxt(out, comments="#", dtype=np.int64)
    assert dict(rows.tolist()) == {1: 1, 2: 1, 3: 3, 4: 4, 5: 4, 6: 4, 7: 4, 8: 4}


@pytest.mark.parametrize("algorithm", ["pagerank", "cc", "lpa"])
def test_diff_against_a_second_edge_list(tmp_path: Path, algorithm: str) -> None:
    old, new, out = tmp_path / "old.txt", tmp_path / "new.txt", tmp_path / "out.tsv"
    old.write_text(GRAPH)
    new.write_text("1 2\n2 3\n4 5\n5 6\n7 9\n")
    assert main(["run", algorithm, str(old), "--no-cache", "--diff", str(new), "--workers", "2",
                 "--tol", "1e-10", "--out", str(out)]) == 0
    rows = np.loadtxt(out, comments="#")
    reference = asapgraph.read_edgelist(new, cache=False)
    assert sorted(rows[:, 0].astype(int).tolist()) == sorted(reference.ids.tolist())
    if algorithm == "cc":
        labels = connected_components(reference.to_scipy(), directed=True, connection="weak")[1]
        by_id = dict(zip(reference.ids.tolist(), labels.tolist(), strict=True))
        groups = {}
        for vertex, label in rows.astype(int).tolist():
            groups.setdefault(label, set()).add(by_id[vertex])
        assert all(len(members) == 1 for members in groups.values())
        assert len(groups) == labels.max() + 1
