"""One module per ``asapgraph`` subcommand; each exposes ``register(subparsers)``."""
