"""How much memory this process may still take: the least of what the machine, its control
group and its address-space limit leave.

Used to refuse, before allocating, work that cannot fit (``rmat:`` scales): numpy's zeros are
lazy, so an oversized graph would otherwise thrash the machine or meet the OOM killer instead
of ending with one line.
"""

from __future__ import annotations

import resource
from pathlib import Path

MEMINFO = Path("/proc/meminfo")
CGROUP = Path("/sys/fs/cgroup")


def available_memory() -> tuple[int, str] | None:
    """(bytes, what sets that bound) of the tightest limit, or None where nothing says."""
    bounds = [bound for bound in (_meminfo(), _cgroup(), _address_space()) if bound is not None]
    return min(bounds) if bounds else None


def gib(count: float) -> str:
    """Bytes as GiB for a person: ``24.0 GiB``."""
    return f"{count / 2**30:.1f} GiB"


def _meminfo() -> tuple[int, str] | None:
    """MemAvailable: what the kernel can give without swapping."""
    try:
        for line in MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024, "available on this machine"
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup() -> tuple[int, str] | None:
    """What this process's cgroup (v2) still allows: memory.max less memory.current."""
    try:
        group = Path("/proc/self/cgroup").read_text().strip().split("::", 1)[1]
        folder = CGROUP / group.lstrip("/")
        limit = (folder / "memory.max").read_text().strip()
        if limit == "max":
            return None
        used = int((folder / "memory.current").read_text())
        return max(0, int(limit) - used), "left under this control group's memory.max"
    except (OSError, ValueError, IndexError):
        return None


def _address_space() -> tuple[int, str] | None:
    """RLIMIT_AS less the address space already in use (ulimit -v)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        status = Path("/proc/self/status").read_text()
        used = next(int(line.split()[1]) * 1024 for line in status.splitlines()
                    if line.startswith("VmSize:"))
    except (OSError, ValueError, StopIteration):
        used = 0
    return max(0, soft - used), "left under this process's address-space limit (ulimit -v)"
