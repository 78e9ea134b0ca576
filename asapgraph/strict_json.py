"""Strict JSON out of asapgraph: never ``Infinity`` or ``NaN``, which JSON does not have.

Python's json module writes them by default, and most other parsers then refuse the file. A
non-finite number (a residual before the first round, a time never reached) becomes ``null``.
"""

from __future__ import annotations

import json
import math
from typing import Any


def finite(value: Any) -> Any:
    """``value`` with every non-finite float, at any depth, replaced by None (keys as strings)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` of :func:`finite` ``(value)``; raises rather than write a non-JSON number."""
    return json.dumps(finite(value), allow_nan=False, **kwargs)
