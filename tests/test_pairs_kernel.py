"""The compiled two-column parser equals the reference reader, or gives the piece back to it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import require_numba

from asapgraph.errors import GraphFormatError
from asapgraph.io.edgelist import parse_piece
from asapgraph.io.pairs_kernel import parse_pairs

READABLE = {
    "plain": b"1 2\n3 4\n",
    "tabs, CRLF, no final newline": b"1\t2\r\n-3\t+4\r\n5 6",
    "lone CR and comments": b"# header\n1 2\r3 4 # note\n% more\n\n 7  8%x\n",
    "largest ids it takes": b"999999999999999999 -999999999999999999\n",
}
GIVEN_BACK = {
    "a third field": b"1 2\n3 4 5\n",
    "one field": b"1 2\n3\n",
    "not a number": b"1 2\n3 x\n",
    "a float": b"1 2.5\n",
    "19 digits": b"1 1000000000000000000\n",
    "a sign alone": b"+ 2\n",
}


@pytest.fixture(autouse=True)
def numba_on(monkeypatch: pytest.MonkeyPatch) -> None:
    require_numba()
    monkeypatch.setenv("ASAPGRAPH_NUMBA", "1")


@pytest.mark.parametrize("text", READABLE.values(), ids=READABLE.keys())
def test_equal_to_the_reference_reader(text: bytes) -> None:
    src, dst, weights = parse_piece(Path("x.txt"), text, 2)
    assert weights is None
    got = parse_pairs(text)
    assert got is not None
    assert np.array_equal(got[0], src)
    assert np.array_equal(got[1], dst)


@pytest.mark.parametrize("text", GIVEN_BACK.values(), ids=GIVEN_BACK.keys())
def test_gives_back_what_it_does_not_read_exactly(text: bytes) -> None:
    assert parse_pairs(text) is None
    if text != b"1 1000000000000000000\n":  # the reference reads a 19-digit id; the rest fail
        with pytest.raises(GraphFormatError):
            parse_piece(Path("x.txt"), text, 2)


def test_without_numba_the_numpy_twin_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASAPGRAPH_NUMBA", "0")
    assert parse_pairs(b"1 2\n") is None
