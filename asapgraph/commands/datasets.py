"""``asapgraph datasets``: placeholder until its issue lands."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``datasets`` subcommand."""
    parser = subparsers.add_parser("datasets", help="(in progress)")
    parser.set_defaults(handler=lambda args: 2)
