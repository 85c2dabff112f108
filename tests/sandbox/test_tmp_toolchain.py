"""A checkout under /tmp (CI clones there) keeps its virtualenv's tools inside the sandbox: every sandbox replaces
/tmp with its own, which hid the linters, language servers and test runners a command or the lsp tool runs."""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

from tests.sandbox.conftest import requires_sandbox

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import asyncio, pathlib, sys
from codetether.sandbox import sandbox_for
from codetether.tool import bash
from codetether.tool.base import ToolContext
root = pathlib.Path(sys.argv[1])
ctx = ToolContext(root=root, sandbox=sandbox_for(None, root))
print(asyncio.run(bash.run({"command": "mytool"}, ctx)).output)
"""


@requires_sandbox
def test_a_virtualenv_under_tmp_stays_visible_read_only(tmp_path: Path):
    env_dir = tmp_path / "checkout" / ".venv"
    venv.create(env_dir, with_pip=False, symlinks=True)
    tool = env_dir / "bin" / "mytool"
    tool.write_text("#!/bin/sh\necho tool-ran; touch \"$0.written\" 2>/dev/null || echo read-only\n")
    tool.chmod(0o755)
    workspace = tmp_path / "work"
    workspace.mkdir()
    env = {**os.environ, "PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([str(env_dir / "bin" / "python"), "-c", PROBE, str(workspace)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "tool-ran" in out.stdout and "read-only" in out.stdout, out.stdout
    assert not (env_dir / "bin" / "mytool.written").exists()


def test_only_a_virtualenvs_bin_stands_for_its_environment(tmp_path: Path):
    """A pyvenv.cfg beside a plain PATH directory (anyone may write /tmp/pyvenv.cfg) shows nothing above it."""
    from codetether.sandbox.bwrap import _toolchains

    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "tools").mkdir()
    (tmp_path / "env" / "bin").mkdir(parents=True)
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    found = _toolchains(f"{tmp_path / 'tools'}{os.pathsep}{tmp_path / 'env' / 'bin'}{os.pathsep}/tmp")
    assert tmp_path / "tools" in found and tmp_path / "env" in found
    assert tmp_path not in found and Path("/tmp") not in found
