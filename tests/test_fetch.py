"""Fetching: verified downloads from a local HTTP server, failures as one-line errors that leave
nothing under the final name, the read-only mirror served without a download."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import importlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from conftest import SNAP_DIR, SNAP_GRAPHS, require_snap

from asapgraph.datasets import CATALOGUE, Dataset, DatasetError, fetch, find_local, resolve_graph
from asapgraph.datasets.catalogue import SNAP_BASE_URL

fetch_module = importlib.import_module("asapgraph.datasets.fetch")  # `fetch` is also a function
PAYLOAD = gzip.compress(b"# Directed graph\n1\t2\n2\t3\n3\t1\n", mtime=0)
TOY = Dataset(
    name="toy", filename="toy.txt.gz", url=SNAP_BASE_URL + "toy.txt.gz", size=len(PAYLOAD),
    sha256=hashlib.sha256(PAYLOAD).hexdigest(), nodes=3, edges=3, directed=True,
)


@dataclass
class Route:
    """What the test server answers for one path."""

    body: bytes = PAYLOAD
    status: int = 200
    content_length: int | None = None  # claim more than the body to truncate the transfer


@dataclass
class Server:
    """A local HTTP server: ``routes`` maps a path to its answer, ``requests`` logs each path."""

    url: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            route = state.routes.get(self.path, Route(b"not found", 404))
            self.send_response(route.status)
            length = len(route.body) if route.content_length is None else route.content_length
            self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(route.body)  # HTTP/1.0: the connection closes after this

        def log_message(self, *args: object) -> None:
            """Quiet."""

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_download_is_verified_and_lands_under_its_name(server: Server, tmp_path: Path) -> None:
    server.routes["/toy.txt.gz"] = Route()
    path = fetch(TOY, data_dir=tmp_path, base_url=server.url)
    assert path == tmp_path / "toy.txt.gz"
    assert path.read_bytes() == PAYLOAD
    assert sorted(tmp_path.iterdir()) == [path]  # no temporary file left beside it
    assert fetch(TOY, data_dir=tmp_path, base_url=server.url) == path
    assert server.requests == ["/toy.txt.gz"]  # the verified copy is not downloaded again


def test_wrong_checksum_is_one_line_and_leaves_no_file(server: Server, tmp_path: Path) -> None:
    forged = bytes(reversed(PAYLOAD))
    server.routes["/toy.txt.gz"] = Route(forged)
    with pytest.raises(DatasetError) as caught:
        fetch(TOY, data_dir=tmp_path, base_url=server.url)
    message = str(caught.value)
    assert message.startswith("toy: ")
    assert "checksum mismatch" in message
    assert f"expected sha256 {TOY.sha256}" in message
    assert f"got {hashlib.sha256(forged).hexdigest()}" in message
    assert "\n" not in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("size_known", [True, False], ids=["size-known", "size-unknown"])
def test_truncated_transfer_is_refused(server: Server, tmp_path: Path, size_known: bool) -> None:
    server.routes["/toy.txt.gz"] = Route(PAYLOAD[:10], content_length=len(PAYLOAD))
    entry = TOY if size_known else replace(TOY, size=None, sha256=None)
    pattern = r"^toy: truncated transfer from \S+: the connection closed early"
    with pytest.raises(DatasetError, match=pattern) as caught:
        fetch(entry, data_dir=tmp_path, base_url=server.url)
    assert (f"({len(PAYLOAD)} bytes expected)" in str(caught.value)) == size_known
    assert list(tmp_path.iterdir()) == []


def test_short_body_without_error_is_caught_by_the_size(server: Server, tmp_path: Path) -> None:
    server.routes["/toy.txt.gz"] = Route(PAYLOAD[:10])  # honest Content-Length, short file
    with pytest.raises(DatasetError, match=f"truncated: got 10 of {len(PAYLOAD)} bytes"):
        fetch(replace(TOY, sha256=None), data_dir=tmp_path, base_url=server.url)
    assert list(tmp_path.iterdir()) == []


def test_http_404_is_one_line(server: Server, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"^toy: HTTP 404 Not Found for http://127\.0\.0\.1:"):
        fetch(TOY, data_dir=tmp_path, base_url=server.url)
    assert list(tmp_path.iterdir()) == []


def test_unreachable_server_is_one_line(tmp_path: Path) -> None:
    pattern = r"^toy: download from http://127\.0\.0\.1:1/toy\.txt\.gz failed: "
    with pytest.raises(DatasetError, match=pattern) as caught:
        fetch(TOY, data_dir=tmp_path, base_url="http://127.0.0.1:1/")
    assert "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_download_restarts_cleanly(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.routes["/toy.txt.gz"] = Route()

    def interrupt(self: object, count: int) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(fetch_module, "_progress_bar", fetch_module._StderrProgress)
        patch.setattr(fetch_module._StderrProgress, "update", interrupt)
        with pytest.raises(KeyboardInterrupt):
            fetch(TOY, data_dir=tmp_path, base_url=server.url, progress=True)
    assert list(tmp_path.iterdir()) == []
    assert fetch(TOY, data_dir=tmp_path, base_url=server.url).read_bytes() == PAYLOAD


def test_a_bad_copy_is_replaced(server: Server, tmp_path: Path) -> None:
    server.routes["/toy.txt.gz"] = Route()
    (tmp_path / "toy.txt.gz").write_bytes(b"x" * len(PAYLOAD))
    assert find_local(TOY, tmp_path) is None
    assert fetch(TOY, data_dir=tmp_path, base_url=server.url).read_bytes() == PAYLOAD


def test_progress_line_on_stderr(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    server.routes["/toy.txt.gz"] = Route()
    monkeypatch.setattr(fetch_module, "_progress_bar", fetch_module._StderrProgress)
    fetch(TOY, data_dir=tmp_path, base_url=server.url, progress=True)
    assert "MB (100%)" in capsys.readouterr().err


def test_read_only_folder_is_never_written(server: Server, tmp_path: Path) -> None:
    folder = tmp_path / "mirror"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(DatasetError, match="read-only"):
            fetch(TOY, data_dir=folder, base_url=server.url)
    finally:
        folder.chmod(0o755)
    assert server.requests == []
    assert list(folder.iterdir()) == []


def test_mirror_serves_every_shared_graph_without_a_download(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_snap("MANIFEST.tsv")
    before = {p.name: p.stat().st_mtime_ns for p in SNAP_DIR.iterdir()}
    monkeypatch.setenv("ASAPGRAPH_DATA", str(SNAP_DIR))
    monkeypatch.setenv("ASAPGRAPH_SNAP_URL", server.url)
    for entry in CATALOGUE[:10]:
        assert fetch(entry.name) == SNAP_DIR / entry.filename
    # (A graph the mirror lacks is not fetched here: where the shared folder is writable, that
    # would download into it. The read-only refusal is tested on a tmp folder above.)
    assert server.requests == []
    assert {p.name: p.stat().st_mtime_ns for p in SNAP_DIR.iterdir()} == before


def test_mirror_only_download_is_stored_under_the_manifest_name(
    server: Server, tmp_path: Path
) -> None:
    entry = next(e for e in CATALOGUE if e.name == "ca-GrQc")
    assert entry.mirror_only
    assert entry.download_name == "ca-GrQc.txt.gz"
    text = b"# Directed graph\n1\t2\n2\t1\n"
    server.routes["/ca-GrQc.txt.gz"] = Route(gzip.compress(text))
    graph = resolve_graph("snap:ca-GrQc", data_dir=tmp_path, base_url=server.url, cache=False)
    assert (graph.n, graph.m, graph.directed) == (2, 1, False)  # read as undirected
    # Under the shared folder's (and the tests') name, decompressed, marked as SNAP's copy.
    assert find_local(entry, tmp_path) == tmp_path / "ca-GrQc.txt"
    assert (tmp_path / "ca-GrQc.txt").read_bytes() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ca-GrQc.txt.snap", "ca-GrQc.txt"]
    assert fetch(entry, data_dir=tmp_path, base_url=server.url) == tmp_path / "ca-GrQc.txt"
    assert len(server.requests) == 1  # the second fetch found it


def test_fetch_names_are_the_names_the_tests_read() -> None:
    shared = [entry for entry in CATALOGUE if entry.size is not None]
    assert sorted(entry.filename for entry in shared) == sorted(SNAP_GRAPHS)


def test_data_dir_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASAPGRAPH_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert fetch_module.resolve_data_dir() == tmp_path / "cache" / "asapgraph" / "datasets"
    monkeypatch.setenv("ASAPGRAPH_DATA", str(tmp_path / "env"))
    assert fetch_module.resolve_data_dir() == tmp_path / "env"
    assert fetch_module.resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"


def test_base_url_override(monkeypatch: pytest.MonkeyPatch) -> None:
    orkut = next(e for e in CATALOGUE if e.name == "com-Orkut")
    monkeypatch.delenv("ASAPGRAPH_SNAP_URL", raising=False)
    assert fetch_module.download_url(orkut) == orkut.url
    monkeypatch.setenv("ASAPGRAPH_SNAP_URL", "http://127.0.0.1:9/snap")
    expected = "http://127.0.0.1:9/snap/bigdata/communities/com-orkut.ungraph.txt.gz"
    assert fetch_module.download_url(orkut) == expected
    other = expected.replace(":9/snap", ":8")
    assert fetch_module.download_url(orkut, "http://127.0.0.1:8/") == other


def test_cli_fetch_prints_the_path(server: Server, tmp_path: Path) -> None:
    server.routes["/email-Eu-core.txt.gz"] = Route(b"not the real file")
    result = subprocess.run(
        [sys.executable, "-m", "asapgraph", "datasets", "fetch", "email-Eu-core",
         "--data-dir", str(tmp_path), "--base-url", server.url],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        "asapgraph: error: email-Eu-core: download from http://127.0.0.1:"
    )
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
    server.routes["/wiki-Vote.txt.gz"] = Route(gzip.compress(b"1\t2\n"))
    result = subprocess.run(
        [sys.executable, "-m", "asapgraph", "datasets", "fetch", "wiki-Vote",
         "--data-dir", str(tmp_path), "--base-url", server.url],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "wiki-Vote.txt")  # the manifest's name
