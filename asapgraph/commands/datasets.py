"""``asapgraph datasets list|fetch``: the SNAP catalogue, and verified downloads of its graphs."""

from __future__ import annotations

import argparse
from pathlib import Path

from asapgraph.datasets.catalogue import CATALOGUE, Dataset
from asapgraph.datasets.fetch import DATA_ENV, URL_ENV, fetch, find_local, resolve_data_dir

HEADERS = ("name", "nodes", "edges", "directed", "size", "verified", "local")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``datasets`` subcommand and its ``list`` and ``fetch`` actions."""
    parser = subparsers.add_parser("datasets", help="list or download the SNAP graphs")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the catalogue, and which graphs are here")
    fetching = actions.add_parser("fetch", help="download a graph (verified) and print its path")
    fetching.add_argument("name", metavar="NAME", help="a name from `asapgraph datasets list`")
    fetching.add_argument("--base-url", default=None,
                          help="download from this mirror of snap.stanford.edu/data instead "
                               f"(default: ${URL_ENV}, else SNAP itself)")
    for action in (listing, fetching):
        action.add_argument("--data-dir", default=None,
                            help=f"data folder (default: ${DATA_ENV}, else the user cache)")
    listing.set_defaults(handler=handle_list)
    fetching.set_defaults(handler=handle_fetch)


def handle_list(args: argparse.Namespace) -> int:
    """Print the catalogue as a table, with what the data folder holds."""
    folder = resolve_data_dir(args.data_dir)
    rows = [_row(entry, folder) for entry in CATALOGUE]
    widths = [max(len(row[i]) for row in [HEADERS, *rows]) for i in range(len(HEADERS))]
    for row in [HEADERS, *rows]:
        cells = [cell.ljust(w) if i in (0, 3, 5, 6) else cell.rjust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        print("  ".join(cells).rstrip())
    print(f"\ndata folder: {folder}")
    print("verified: what a download is checked against; mirror: the shared copy's checksum is")
    print("known, SNAP's own file (another name, or recompressed) is kept unverified")
    return 0


def handle_fetch(args: argparse.Namespace) -> int:
    """Download one graph unless a verified copy is there, and print its path."""
    print(fetch(args.name, data_dir=args.data_dir, base_url=args.base_url, progress=True))
    return 0


def _row(entry: Dataset, folder: Path) -> tuple[str, ...]:
    directed = "yes" if not entry.undirected else "no" if not entry.directed else "no (both ways)"
    size = "?" if entry.size is None else _megabytes(entry.size)
    return (entry.name, f"{entry.nodes:,}", f"{entry.edges:,}", directed, size,
            entry.verification, _local_state(entry, folder))


def _local_state(entry: Dataset, folder: Path) -> str:
    """``yes`` when a usable copy is there, ``bad`` when the file fails its check, else ``no``."""
    if find_local(entry, folder) is not None:
        return "yes"
    return "bad" if (folder / entry.filename).is_file() else "no"


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"
