"""Helpers shared by test modules (kept apart from conftest's fixtures)."""

from __future__ import annotations

import csv

from conftest import SNAP_DIR


def manifest_rows() -> list[dict[str, str]]:
    """Rows of ../shared/datasets/snap/MANIFEST.tsv (empty when the folder is absent)."""
    manifest = SNAP_DIR / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with manifest.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))
