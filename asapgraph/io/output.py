"""Where results are written, so that writing them never destroys anything.

- Every output path is checked before the graph is loaded (:func:`check_outputs`): its folder
  exists and is writable, it is not a folder, not the input file, and not another output's path.
  A bad ``--out`` then fails in a second, not after the computation, and never half-way through a
  set of outputs.
- A regular file (or a new one) is written to a temp file beside it and renamed over it
  (:func:`write_atomically`): an interrupted or failed run leaves neither a half file under the
  final name nor the temp file. A symbolic link is followed: its target is replaced, the link kept.
- ``-`` (stdout), character devices (``/dev/null``, a terminal) and FIFOs are streamed to: a
  rename would replace the device node or the pipe its reader waits on.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from asapgraph.errors import OutputPathError

STDOUT = "-"


def check_outputs(outputs: Mapping[str, str | None], inputs: Sequence[str] = ()) -> None:
    """Refuse, before any work, output paths that cannot be written as asked.

    ``outputs`` maps an option name (``--out``) to its path (None: not given); ``inputs`` are the
    paths the run reads (names that are not files, such as ``rmat:16``, are ignored). Raises
    :class:`~asapgraph.errors.OutputPathError` naming the option, the path and what to do.
    """
    claimed: dict[str, str] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        key = path if path == STDOUT else os.path.realpath(path)
        if key in claimed and not _is_device(key):  # writing /dev/null twice harms nobody
            raise OutputPathError(f"{claimed[key]} and {option} both write {path}; give each "
                                  "its own file")
        claimed[key] = option
        if path != STDOUT:
            _check_one(option, Path(key), path, inputs)


def _check_one(option: str, target: Path, given: str, inputs: Sequence[str]) -> None:
    if in_place(given) and os.path.exists(given):
        if not os.access(given, os.W_OK):
            raise OutputPathError(f"{option} {given}: permission denied")
        return
    try:
        info = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as error:  # a parent that is a file, a loop of links, no permission
        raise OutputPathError(f"{option} {given}: {error.strerror}") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise OutputPathError(f"{option} {given} is a folder; name a file in it")
        for source in inputs:
            with contextlib.suppress(OSError):
                if os.path.samefile(source, target):
                    raise OutputPathError(f"{option} {given} is the input graph file; writing "
                                          "there would destroy it, choose another path")
    folder = target.parent
    if not folder.is_dir():
        raise OutputPathError(f"{option} {given}: the folder {folder} does not exist; create it "
                              "first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"{option} {given}: cannot create files in {folder} "
                              f"({_why_not_writable(folder)}); choose another folder")


def _why_not_writable(folder: Path) -> str:
    try:
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    return "read-only file system" if read_only else "permission denied"


def _is_device(path: str) -> bool:
    try:
        return stat.S_ISCHR(os.stat(path).st_mode) and not writes_stdout(path)
    except OSError:
        return False


def writes_stdout(path: str | Path | None) -> bool:
    """Whether ``path`` is ``-`` or leads to this process's stdout (``/dev/stdout``, say)."""
    if path is None:
        return False
    if str(path) == STDOUT:
        return True
    try:
        return os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError):
        return False


def in_place(path: str | Path) -> bool:
    """Whether ``path`` is written in place rather than replaced: a character device, a FIFO or a
    socket, or any name under /dev or /proc (``/dev/stdout`` leads, through /proc, to whatever
    stdout is, and a shell's ``>>`` file must be appended to, not replaced)."""
    absolute = os.path.abspath(path)
    if absolute.startswith(("/dev/", "/proc/")):
        return True
    try:
        mode = os.stat(absolute).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def write_output(path: str | Path, write: Callable[[IO[str]], None]) -> None:
    """Call ``write`` on where ``path`` leads: stdout, a device or FIFO, or a file (atomically).

    An OSError without a file name (a full disk during a write) gets ``path`` as its name.
    """
    try:
        if str(path) == STDOUT:
            write(sys.stdout)
            sys.stdout.flush()
        elif in_place(path):
            with open(path, "w") as handle:
                write(handle)
        else:
            write_atomically(os.path.realpath(path), write)  # a link stays: its target replaced
    except OSError as error:
        if error.filename is not None or isinstance(error, BrokenPipeError):
            raise
        raise OSError(error.errno, error.strerror, str(path)) from None


def write_atomically(path: str | Path, write: Callable[[IO[str]], None]) -> None:
    """Call ``write`` on a temp file in ``path``'s folder and rename it to ``path`` on success.

    Any exception, including the ones SIGTERM, SIGINT and SIGHUP raise in the command line
    (``asapgraph.signals``), removes the temp file before it propagates.
    """
    path = Path(path)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below, before the rename)
        "w", dir=path.parent or ".", prefix=f".{path.name}.", suffix=".part", delete=False
    )
    try:
        with handle:
            write(handle)
        # NamedTemporaryFile creates 0600; give the result the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(handle.name, 0o666 & ~umask)
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)
        raise
