"""Optional numba for the vertex programs' inner loops: one switch for every compiled kernel.

numba is the optional ``fast`` extra (``pip install 'asapgraph[fast]'``). Each kernel that uses it
has a numpy (or scipy) twin giving exactly the same result, so what a run returns does not depend
on whether numba is installed; only the time does (the kernels' modules say by how much).

``ASAPGRAPH_NUMBA`` picks, read at each call: ``0`` the numpy twins, ``1`` the numba kernels (an
ImportError without numba), unset the numba kernels when numba imports. Engine workers read it
from the environment they were forked with.

Compiled code is cached on disk (``cache=True``: ``__pycache__`` beside the module, or numba's
user cache where that is read-only), so only the first process on a machine pays the compile
(about a second per kernel); later processes load it in a fraction of that. Kernels are loaded
when their program is made, before ``asapgraph.run`` forks workers, which then inherit them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

SWITCH = "ASAPGRAPH_NUMBA"


def numba_enabled() -> bool:
    """Whether the numba kernels run (``ASAPGRAPH_NUMBA``, see the module notes)."""
    setting = os.environ.get(SWITCH, "")
    if setting not in ("", "0", "1"):
        raise ValueError(f"{SWITCH} must be 0, 1 or unset, not {setting!r}.")
    if setting == "0":
        return False
    if setting == "1" and _numba() is None:
        raise ImportError(f"{SWITCH}=1 needs numba: pip install 'asapgraph[fast]'.")
    return _numba() is not None


def compiled(kernel: Callable[..., Any]) -> Callable[..., Any] | None:
    """``kernel`` compiled by numba (once per process), or None when the numpy twin should run."""
    return _jitted(kernel) if numba_enabled() else None


@functools.cache
def _jitted(kernel: Callable[..., Any]) -> Callable[..., Any]:
    return _numba().njit(cache=True, nogil=True)(kernel)


@functools.cache
def _numba() -> Any:
    try:
        import numba  # the optional `fast` extra: imported here only
    except ImportError:
        return None
    return numba
