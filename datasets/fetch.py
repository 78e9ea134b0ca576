"""Find a catalogued SNAP file in a data folder, or download it there, verified, with pooch.

The data folder is ``data_dir`` if given, else ``$ASAPGRAPH_DATA``, else the user cache
(``~/.cache/asapgraph/datasets`` on Linux). A folder that already holds the files (a mirror such
as the shared SNAP folder) serves them without a download, and is never written to when it is
read-only. A download goes to a temporary file next to the final one and is moved into place only
after its size and sha256 check out, so an interrupted or failed download leaves nothing under the
final name and simply starts over next time.

Files are stored under the catalogue's names, which are the shared folder's (its MANIFEST.tsv)
and the ones the tests look for, so a folder filled by ``fetch`` can stand in for the shared one.
Where the shared file is not SNAP's own (``mirror_only``), SNAP's ``.gz`` is decompressed under
that name when the name is plain text, and a marker beside it (``.NAME.snap``) records that the
copy is SNAP's, unverified against the shared checksum.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import shutil
import stat
import sys
from pathlib import Path

from asapgraph.datasets.catalogue import SNAP_BASE_URL, Dataset, lookup
from asapgraph.errors import AsapGraphError

DATA_ENV = "ASAPGRAPH_DATA"
URL_ENV = "ASAPGRAPH_SNAP_URL"
CHUNK_BYTES = 1 << 18
TIMEOUT_SECONDS = 60
# pooch and requests (0.1 s of imports) are imported where used: resolving rmat: or a local file,
# and the command line's start-up, never need the HTTP stack.


class DatasetError(AsapGraphError, ValueError):
    """A dataset cannot be found, downloaded or verified; the message is one line naming it."""


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The data folder: ``data_dir``, else ``$ASAPGRAPH_DATA``, else the user cache."""
    chosen = data_dir or os.environ.get(DATA_ENV)
    if chosen:
        return Path(chosen).expanduser()
    import pooch

    return Path(pooch.os_cache("asapgraph")) / "datasets"


def download_url(entry: Dataset, base_url: str | None = None) -> str:
    """Where ``entry`` is downloaded from: its SNAP URL, moved under ``base_url`` (or
    ``$ASAPGRAPH_SNAP_URL``) when one is set: a local server in tests, a mirror elsewhere."""
    base = base_url or os.environ.get(URL_ENV)
    if not base:
        return entry.url
    return base.rstrip("/") + "/" + entry.url.removeprefix(SNAP_BASE_URL)


def entry_named(name: str | Dataset) -> Dataset:
    """The catalogue entry for ``name``; DatasetError for a name the catalogue lacks."""
    if isinstance(name, Dataset):
        return name
    try:
        return lookup(name)
    except KeyError as error:
        raise DatasetError(error.args[0]) from None


def find_local(name: str | Dataset, data_dir: str | os.PathLike | None = None) -> Path | None:
    """The usable copy of a dataset in the data folder, or None; never downloads.

    A file under the catalogue's name must have its recorded size and sha256. For a
    ``mirror_only`` entry, SNAP's copy is accepted as it is (unverified): under the catalogue's
    name with its marker, or under SNAP's download name.
    """
    entry = entry_named(name)
    folder = resolve_data_dir(data_dir)
    path = folder / entry.filename
    if path.is_file() and check_file(path, entry.size, entry.sha256) is None:
        return path
    if not entry.mirror_only:
        return None
    if path.is_file() and snap_marker(path).is_file():
        return path
    download = folder / entry.download_name
    return download if download.is_file() else None


def snap_marker(path: Path) -> Path:
    """The file that says ``path`` is SNAP's copy of a ``mirror_only`` graph, not the mirror's."""
    return path.with_name(f".{path.name}.snap")


def fetch(
    name: str | Dataset,
    *,
    data_dir: str | os.PathLike | None = None,
    base_url: str | None = None,
    progress: bool = False,
) -> Path:
    """Path of a verified local copy of a catalogued dataset, downloading it if needed.

    ``progress`` shows a progress bar on stderr (tqdm's when it is installed). Every failure is
    a :class:`DatasetError` with a one-line message.
    """
    entry = entry_named(name)
    local = find_local(entry, data_dir)
    if local is not None:
        return local
    folder = resolve_data_dir(data_dir)
    if not _writable(folder):
        raise DatasetError(
            f"{entry.name} is not in {folder}, which is read-only; "
            f"point --data-dir or ${DATA_ENV} at a writable folder to download it"
        )
    target = folder / entry.download_name
    target.unlink(missing_ok=True)  # a copy that failed its check: never serve it
    sha256 = entry.download_sha256
    import pooch

    try:
        # _Downloader checks first, to name the failure; pooch's known_hash is its own guard
        pooch.retrieve(
            download_url(entry, base_url),
            known_hash=f"sha256:{sha256}" if sha256 else None,
            fname=target.name,
            path=folder,
            downloader=_Downloader(entry, progress),
        )
        if target.name != entry.filename:
            return _store_under_catalogue_name(entry, target, folder / entry.filename)
    except OSError as error:  # the folder, not the transfer: permissions, a full disk
        raise DatasetError(f"{entry.name}: cannot write to {folder}: {error.strerror}") from None
    return target


def _store_under_catalogue_name(entry: Dataset, download: Path, path: Path) -> Path:
    """Move SNAP's ``download`` to the catalogue's name (decompressed when that name is plain
    text), mark it as SNAP's copy, and return the path; atomic like the download itself."""
    partial = path.with_name(f".{path.name}.part")
    try:
        if download.suffix == ".gz" and path.suffix != ".gz":
            with gzip.open(download, "rb") as source, partial.open("wb") as sink:
                shutil.copyfileobj(source, sink, CHUNK_BYTES)
        else:
            shutil.copyfile(download, partial)
        snap_marker(path).write_text(f"SNAP's copy of {entry.name}, from {entry.url}; "
                                     "not the shared mirror's file (unverified)\n")
        os.replace(partial, path)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        partial.unlink(missing_ok=True)
        raise DatasetError(f"{entry.name}: cannot unpack {download.name}: {error}") from None
    download.unlink()
    return path


def check_file(path: Path, size: int | None, sha256: str | None) -> str | None:
    """Why ``path`` is not the expected file (a phrase), or None when it is; size first, as it
    costs nothing and names a truncation as one."""
    got_size = path.stat().st_size
    if size is not None and got_size < size:
        return f"truncated: got {got_size} of {size} bytes"
    if size is not None and got_size != size:
        return f"got {got_size} bytes, expected {size}"
    if sha256:
        import pooch

        got = pooch.file_hash(str(path), alg="sha256")
        if got != sha256:
            return f"checksum mismatch: expected sha256 {sha256}, got {got}"
    return None


def _writable(folder: Path) -> bool:
    """Whether downloads may go to ``folder``; a folder without write bits counts as read-only
    even for root, who could write there anyway (the shared mirror must stay untouched)."""
    existing = folder
    while not existing.exists():
        existing = existing.parent
    write_bits = existing.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    return os.access(existing, os.W_OK) and bool(write_bits)


class _Downloader:
    """pooch's HTTP downloader, with failures turned into one-line DatasetErrors and the size and
    checksum checked on the temporary file, before pooch moves it under the final name."""

    def __init__(self, entry: Dataset, progress: bool) -> None:
        self.entry = entry
        import pooch

        self.bar = _progress_bar() if progress else False
        # identity: a server that gzips on the fly would otherwise hand requests other bytes
        self.http = pooch.HTTPDownloader(
            progressbar=self.bar, chunk_size=CHUNK_BYTES, timeout=TIMEOUT_SECONDS,
            headers={"Accept-Encoding": "identity"},
        )

    def __call__(self, url: str, output_file: str, pooch_instance: object) -> None:
        import requests

        name = self.entry.name
        try:
            self.http(url, output_file, pooch_instance)
        except requests.HTTPError as error:
            response = error.response
            raise DatasetError(
                f"{name}: HTTP {response.status_code} {response.reason} for {url}"
            ) from None
        except requests.exceptions.ChunkedEncodingError:  # fewer bytes than Content-Length
            self._end_line()
            size = self.entry.download_size
            expected = f" ({size} bytes expected)" if size is not None else ""
            raise DatasetError(
                f"{name}: truncated transfer from {url}: the connection closed early{expected}"
            ) from None
        except requests.RequestException as error:
            self._end_line()
            reason = " ".join(str(error).split())
            raise DatasetError(f"{name}: download from {url} failed: {reason}") from None
        entry = self.entry
        problem = check_file(Path(output_file), entry.download_size, entry.download_sha256)
        if problem is not None:
            raise DatasetError(f"{name}: download from {url} rejected, {problem}")

    def _end_line(self) -> None:
        if isinstance(self.bar, _StderrProgress):
            self.bar.close()


def _progress_bar() -> bool | _StderrProgress:
    """True for pooch's tqdm bar when tqdm is installed, else a plain stderr progress line."""
    return True if importlib.util.find_spec("tqdm") else _StderrProgress()


class _StderrProgress:
    """The progress-bar protocol pooch drives (total, update, reset, close), as one stderr line."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self.shown = ""

    def update(self, count: int) -> None:
        self.done += count
        done = min(self.done, self.total) if self.total else self.done
        text = f"{done / 1e6:.1f} MB"
        if self.total:
            text += f" of {self.total / 1e6:.1f} MB ({100 * done // self.total}%)"
        if text != self.shown:
            self.shown = text
            print(f"\r{text}", end="", file=sys.stderr, flush=True)

    def reset(self) -> None:
        self.done = 0

    def close(self) -> None:
        if self.shown:
            print(file=sys.stderr, flush=True)
            self.shown = ""
