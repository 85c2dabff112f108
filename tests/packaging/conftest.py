"""Build the sdist and wheel once, install them the ways users do, and hand tests the installed command.

Nothing here runs the source tree: each install is a fresh environment outside the repository, started from
a directory that is not the repository, so a file the package data forgets is missing there too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)
_NOT_SOURCE = (".git", ".venv*", "*.egg-info", "__pycache__", ".*_cache")
_NOT_SOURCE_AT_TOP = {"build", "dist", "tmp"}


def _not_source(directory: str, names: list[str]) -> set[str]:
    ignored = shutil.ignore_patterns(*_NOT_SOURCE)(directory, names)
    return ignored | (_NOT_SOURCE_AT_TOP & set(names) if Path(directory) == ROOT else set())


@dataclass(frozen=True)
class Dist:
    sdist: Path
    wheel: Path


@dataclass(frozen=True)
class Installed:
    how: str
    command: Path   # the installed `codetether` executable
    python: Path    # the interpreter of the environment it was installed into


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without anything that would point an install back at the source tree."""
    drop = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV"}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def run_checked(cmd: list[str | Path], **kwargs) -> None:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False, timeout=900, **kwargs)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """`python -m build`: the sdist, then the wheel built from that sdist (so the sdist is complete too)."""
    out = tmp_path_factory.mktemp("dist")
    # A copy without build leftovers: a stale egg-info's SOURCES.txt would smuggle forgotten files into the sdist.
    tree = out / "checkout"
    shutil.copytree(ROOT, tree, ignore=_not_source)
    run_checked([sys.executable, "-m", "build", "--outdir", out, tree], cwd=out, env=clean_env())
    (sdist,), (wheel,) = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    return Dist(sdist, wheel)


@pytest.fixture(scope="session")
def pip_wheel(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """`python -m venv` + `pip install codetether_agent-*.whl`."""
    venv = tmp_path_factory.mktemp("pip-venv") / "venv"
    run_checked([_BASE_PYTHON, "-m", "venv", venv], env=clean_env())
    run_checked([venv / "bin" / "python", "-m", "pip", "install", "-q", dist.wheel], cwd=venv, env=clean_env())
    return Installed("pip install <wheel>", venv / "bin" / "codetether", venv / "bin" / "python")


@pytest.fixture(scope="session")
def uv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The uv binary and the environment its installs share (one package cache, no Python downloads)."""
    found = Path(sys.executable).parent / "uv"
    binary = str(found) if found.is_file() else shutil.which("uv")
    if not binary:
        pytest.skip("uv is not installed")
    cache = tmp_path_factory.mktemp("uv-cache")
    yield binary, {"UV_CACHE_DIR": str(cache), "UV_PYTHON": _BASE_PYTHON, "UV_PYTHON_DOWNLOADS": "never"}
    shutil.rmtree(cache, ignore_errors=True)  # hundreds of MB of wheels


@pytest.fixture(scope="session")
def uv_tool_sdist(dist: Dist, uv, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """`uv tool install codetether_agent-*.tar.gz` into a tool directory of its own."""
    binary, uv_env = uv
    base = tmp_path_factory.mktemp("uv-tool")
    env = clean_env(UV_TOOL_DIR=str(base / "tools"), UV_TOOL_BIN_DIR=str(base / "bin"), **uv_env)
    run_checked([binary, "tool", "install", dist.sdist], cwd=base, env=env)
    return Installed("uv tool install <sdist>", base / "bin" / "codetether",
                     base / "tools" / "codetether-agent" / "bin" / "python")


@pytest.fixture(params=["pip_wheel", "uv_tool_sdist"])
def installed(request: pytest.FixtureRequest) -> Installed:
    return request.getfixturevalue(request.param)
