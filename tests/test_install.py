"""A plain ``pip install .`` into a fresh venv gives the package, its subpackages and commands,
and nothing at top level but ``asapgraph`` (``algorithms``/``datasets`` are taken on PyPI)."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with asapgraph installed that finds its dependencies in this environment's.

    A path file appends this environment's site-packages after the new venv's own (its own
    copy of asapgraph wins; the checkout's editable hook is not loaded from a plain path).
    """
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True)
    ours = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    (Path(site.stdout.strip()) / "outer-environment.pth").write_text("\n".join(sorted(ours)))
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-cache-dir", str(REPO)],
        check=True, cwd=env_dir, capture_output=True,
    )
    return env_dir


def _run(env_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=env_dir, capture_output=True, text=True, check=False)


def test_imports_and_commands(installed: Path) -> None:
    python = str(installed / "bin" / "python")
    code = "import asapgraph, asapgraph.algorithms, asapgraph.datasets; print(asapgraph.__file__)"
    result = _run(installed, python, "-c", code)
    assert result.returncode == 0, result.stderr
    assert str(installed) in result.stdout  # the installed copy, not the checkout
    for command in ([str(installed / "bin" / "asapgraph"), "--version"],
                    [python, "-m", "asapgraph", "--version"]):
        result = _run(installed, *command)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("asapgraph ")


def test_nothing_else_at_top_level(installed: Path) -> None:
    python = str(installed / "bin" / "python")
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(_run(installed, python, "-c", code).stdout.strip())
    top = {p.name for p in site.iterdir() if not p.name.endswith((".dist-info", ".pth"))}
    top = {name for name in top if not name.startswith(("_", "pip", "setuptools", "pkg_resources"))}
    assert top == {"asapgraph"}
    assert sys.version_info >= (3, 10)
