"""Start-up import budget: each start imports only what it uses (module sets, never timings).

Every check runs the real entry point (`codetether.cli.main`, as the console script does) in a fresh interpreter
and records sys.modules as the process exits: everything the command imported, its threads' imports included.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply

# The module list goes to a file (the command owns stdout and stderr); None entries are imports blocked on purpose.
ENTRY = ("import atexit, sys; atexit.register(lambda: open(sys.argv.pop(1), 'w').write("
         "'\\n'.join(k for k, v in sys.modules.items() if v is not None))); "
         "from codetether.cli import main; sys.exit(main(sys.argv[2:]))")
# Packages a one-shot `run` has no use for: server, TUI, MCP, embeddings, AWS, local-model and validation stacks,
# and HTTP/2 (httpcore loads it only once a connection asks for it).
NOT_FOR_ONE_SHOT = {"textual", "a2a", "starlette", "uvicorn", "mcp", "numpy", "tree_sitter", "tokenizers",
                    "botocore", "pydantic", "llama_cpp", "acp", "h2"}
# Kept out of `run` too: `platform` (uuid imports it; the ids `run` makes are random hex without either).
NOT_FOR_RUN = NOT_FOR_ONE_SHOT | {"platform", "uuid"}


def imported(tmp: Path, args: list[str], env: dict[str, str] | None = None, cwd: str | None = None,
             stdin: str | None = None) -> set[str]:
    """Every module `codetether ARGS` had imported when it exited; fails the test if the command fails."""
    out = tmp / "modules.txt"
    proc = subprocess.run([sys.executable, "-c", ENTRY, str(out), *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120, input=stdin)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return set(out.read_text().split())


@pytest.mark.parametrize(("flag", "allowed"), [
    ("--version", {"codetether", "codetether.cli"}),
    ("--help", {"codetether", "codetether.cli", "codetether.cli.commands"}),
])
def test_version_and_help_import_only_the_cli_entry(tmp_path, flag, allowed):
    modules = imported(tmp_path, [flag])
    ours = {m for m in modules if m.split(".", 1)[0] == "codetether"}
    assert "codetether.cli" in ours  # the profile was read at all
    assert ours <= allowed, f"`codetether {flag}` imports {sorted(ours - allowed)}"
    assert not {m.split(".", 1)[0] for m in modules} & (NOT_FOR_ONE_SHOT | {"httpx", "asyncio"})


@pytest.mark.parametrize("agent", [[], ["--agent", "build"]], ids=["chat", "build"])
def test_one_shot_run_imports_no_heavy_stack(tmp_path, cli, vault_clean, llm_server, agent):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(Reply(text="Done."))
    modules = imported(tmp_path, ["run", "--model", "openai/fake", *agent, "say hi"], env=cli.env, cwd=str(cli.cwd))
    assert len(llm_server.requests) == 1  # the run really reached the model
    assert {"codetether.cli.run_cmd", "httpx"} <= modules
    heavy = sorted({m.split(".", 1)[0] for m in modules} & NOT_FOR_RUN)
    assert not heavy, f"`codetether run {' '.join(agent)}` imports {heavy}"


def test_acp_loads_its_protocol_stack_only_for_itself(tmp_path, cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    hello = '{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}}\n'
    modules = imported(tmp_path, ["acp"], env=cli.env, cwd=str(cli.cwd), stdin=hello)
    assert {"codetether.acp.server", "acp"} <= modules
    heavy = sorted({m.split(".", 1)[0] for m in modules} & (NOT_FOR_ONE_SHOT - {"acp", "pydantic"}))
    assert not heavy, f"`codetether acp` imports {heavy}"
    assert "acp" not in imported(tmp_path, ["acp", "--help"])
