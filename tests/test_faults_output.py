"""Fault suite, outputs: nothing clobbered, nothing half-written, every output checked first.

Each case checks the exit status, the one ``asapgraph: error:`` line, and what is left in the
output folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from helpers_faults import cli, error_line, leftovers, small_graph

from asapgraph.cli import main
from asapgraph.io import output
from asapgraph.io.output import write_atomically
from asapgraph.signals import Terminated, raising_on_termination

NOBODY = 65534


@pytest.fixture
def graph(tmp_path: Path) -> Path:
    return small_graph(tmp_path)


def run(graph: Path, *extra: str) -> subprocess.CompletedProcess:
    return cli("run", "pagerank", str(graph), "--no-cache", *extra)


def test_out_equal_to_the_input_is_refused(graph: Path) -> None:
    before = graph.read_bytes()
    result = run(graph, "--out", str(graph))
    assert result.returncode == 2
    assert "is the input graph file" in error_line(result)
    assert graph.read_bytes() == before


def test_same_path_for_out_and_stats_is_refused(graph: Path, tmp_path: Path) -> None:
    result = run(graph, "--out", str(tmp_path / "x"), "--stats", str(tmp_path / "." / "x"))
    assert result.returncode == 2
    assert "--out and --stats both write" in error_line(result)
    assert leftovers(tmp_path, {"g.txt"}) == []


@pytest.mark.parametrize("option", ["--out", "--stats"])
def test_missing_output_folder_fails_before_loading(graph: Path, tmp_path: Path,
                                                    option: str) -> None:
    other = "--stats" if option == "--out" else "--out"
    cache = tmp_path / "cache"
    result = cli("run", "pagerank", str(graph), "--cache-dir", str(cache),
                 other, str(tmp_path / "fine.out"), option, str(tmp_path / "nowhere" / "r"))
    assert result.returncode == 2
    line = error_line(result)
    assert f"{option} {tmp_path / 'nowhere' / 'r'}" in line
    assert "does not exist; create it first" in line
    assert not cache.exists()  # refused before the graph was read
    assert leftovers(tmp_path, {"g.txt"}) == []  # and the other output not written


def test_output_that_is_a_folder_is_refused(graph: Path, tmp_path: Path) -> None:
    result = run(graph, "--out", str(tmp_path))
    assert result.returncode == 2
    assert "is a folder" in error_line(result)


def test_symlinked_out_replaces_the_target_and_keeps_the_link(graph: Path,
                                                              tmp_path: Path) -> None:
    target = tmp_path / "real.tsv"
    target.write_text("old\n")
    link = tmp_path / "link.tsv"
    link.symlink_to(target)
    result = run(graph, "--out", str(link))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert target.read_text().startswith("# pagerank")
    assert leftovers(tmp_path, {"g.txt", "real.tsv", "link.tsv"}) == []


def test_fifo_out_is_written_to_not_replaced(graph: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    result = run(graph, "--out", str(fifo))
    reader.join(30)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received
    assert received[0].startswith("# pagerank")
    assert len(received[0].splitlines()) == 1 + 7


def test_stdout_and_dev_stdout_carry_only_the_results(graph: Path) -> None:
    for name in ("-", "/dev/stdout"):
        result = run(graph, "--out", name)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0].startswith("# pagerank")
        assert len(lines) == 1 + 7
        assert "converged=True" in result.stderr  # the summary moved out of the way
    assert Path("/dev/stdout").is_symlink()


def test_dev_null_stays_a_device(graph: Path) -> None:
    result = run(graph, "--out", "/dev/null", "--stats", "/dev/null")
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_full_disk_is_one_line_and_status_1(graph: Path) -> None:
    result = run(graph, "--out", "/dev/full")
    assert result.returncode == 1
    line = error_line(result)
    assert line.startswith("asapgraph: error: /dev/full: no space left on device;")


def test_full_disk_for_a_file_leaves_no_temp_file(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def full(handle) -> None:
        handle.write("partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OSError, match="No space left"):
        output.write_output(tmp_path / "r.tsv", full)
    assert list(tmp_path.iterdir()) == []


def test_signal_while_writing_leaves_no_temp_file(tmp_path: Path) -> None:
    """A real SIGTERM and SIGHUP, delivered during the write, in this process."""
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    with raising_on_termination():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            def interrupted(handle, signum=signum) -> None:
                handle.write("half a line")
                os.kill(os.getpid(), signum)

            with pytest.raises(Terminated) as caught:
                write_atomically(tmp_path / "r.tsv", interrupted)
            assert caught.value.signum == signum
    assert {s: signal.getsignal(s) for s in previous} == previous  # handlers put back
    assert list(tmp_path.iterdir()) == []


def test_read_only_folder_simulated(graph: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """EROFS at the OS boundary: the output folder reads as on a read-only file system."""
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path
                        else real_access(p, mode))

    class ReadOnly:
        f_flag = os.ST_RDONLY

    monkeypatch.setattr(os, "statvfs", lambda p: ReadOnly())
    handlers = [signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)]
    status = main(["run", "pagerank", str(graph), "--no-cache", "--out", str(tmp_path / "r")])
    assert status == 2
    assert [signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)] == handlers
    err = capsys.readouterr().err.strip()
    assert err == (f"asapgraph: error: --out {tmp_path / 'r'}: cannot create files in {tmp_path} "
                   "(read-only file system); choose another folder")


@contextlib.contextmanager
def read_only_mount(where: Path):
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(where)],
                             capture_output=True, check=False)
    if mounted.returncode:
        pytest.skip(f"cannot mount a read-only tmpfs here ({mounted.stderr.decode().strip()}); "
                    "test_read_only_folder_simulated covers the case")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def test_read_only_mount(graph: Path, tmp_path: Path) -> None:
    with read_only_mount(tmp_path / "ro") as folder:
        result = run(graph, "--out", str(folder / "r.tsv"))
    assert result.returncode == 2
    assert "(read-only file system); choose another folder" in error_line(result)


def as_nobody(argv: list[str]) -> tuple[int, str]:
    """Run ``main(argv)`` in a forked child whose user is ``nobody`` (root cannot be refused)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        try:
            sys.stderr = open(write_end, "w", buffering=1)  # noqa: SIM115 (the child exits)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            status = main(argv)
            sys.stderr.flush()
            os._exit(status)
        finally:
            os._exit(99)
    os.close(write_end)
    with os.fdopen(read_end) as stream:
        err = stream.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), err


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to user nobody needs root")
def test_permission_denied_on_input_and_output(tmp_path: Path) -> None:
    shared = Path(os.environ.get("TMPDIR", "/tmp")) / f"asapgraph-perm-{os.getpid()}"
    shared.mkdir(mode=0o755)
    try:
        graph = small_graph(shared)
        graph.chmod(0o600)  # root's: nobody may not read it
        status, err = as_nobody(["run", "pagerank", str(graph), "--no-cache"])
        assert status == 2
        assert err.strip() == (f"asapgraph: error: {graph}: permission denied; check its "
                               "permissions or choose another path")
        graph.chmod(0o644)
        status, err = as_nobody(["run", "pagerank", str(graph), "--no-cache",
                                 "--out", str(shared / "r.tsv")])
        assert status == 2
        assert err.strip().endswith(f"cannot create files in {shared} (permission denied); "
                                    "choose another folder")
        assert leftovers(shared, {"g.txt"}) == []
    finally:
        for path in shared.iterdir():
            path.unlink()
        shared.rmdir()
