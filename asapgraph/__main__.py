"""``python -m asapgraph``: the same command line as the ``asapgraph`` console script."""

from asapgraph.cli import main

raise SystemExit(main())
