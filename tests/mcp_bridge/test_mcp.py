"""MCP both ways: the official client drives `codetether mcp serve`; an agent turn uses a FastMCP server's tool."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply, ToolCall

# The quickstart server of the mcp package's README.
FASTMCP_SERVER = '''
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("Demo")


@mcp.tool()
def add(a: int, b: int) -> int:
    """Add two numbers"""
    return a + b


if __name__ == "__main__":
    mcp.run()
'''


async def _client_session(workspace: Path, env: dict[str, str]):
    params = StdioServerParameters(command=sys.executable, args=["-m", "codetether", "mcp", "serve", str(workspace)],
                                   env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        listed = await session.list_tools()
        read_result = await session.call_tool("read", {"path": "app.py"})
        bad = await session.call_tool("read", {"path": "../../etc/passwd"})
        unknown = await session.call_tool("question", {"question": "?"})
        seed_name = await session.call_tool("read_file", {"path": "app.py"})  # the seed's name for read
        assert seed_name.content[0].text == read_result.content[0].text
        return listed, read_result, bad, unknown


def test_mcp_client_lists_and_calls_our_tools(cli, workspace):
    listed, read_result, bad, unknown = asyncio.run(asyncio.wait_for(_client_session(workspace, cli.env), 60))

    names = {t.name for t in listed.tools}
    assert {"read", "write", "edit", "grep", "bash"} <= names
    assert not names & {"question", "batch", "plan_enter", "plan_exit"}  # spec §5.6 skip list
    read_tool = next(t for t in listed.tools if t.name == "read")
    assert read_tool.inputSchema["properties"]["path"]
    assert not read_result.isError and 'return "helo"' in read_result.content[0].text
    assert bad.isError and "outside the workspace" in bad.content[0].text
    assert unknown.isError and "unknown tool 'question'" in unknown.content[0].text


def test_agent_turn_uses_configured_mcp_server(cli, vault_clean, llm_server, tmp_path):
    script = tmp_path / "demo_server.py"
    script.write_text(FASTMCP_SERVER)
    config = Path(cli.env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"[mcp.servers.demo]\ncommand = [{json.dumps(sys.executable)}, {json.dumps(str(script))}]\n")
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(Reply(tool_calls=[ToolCall("mcp__demo__add", {"a": 2, "b": 40})]), Reply(text="The sum is 42."))

    proc = cli("run", "--agent", "build", "--model", "openai/test-model", "add 2 and 40")

    assert proc.returncode == 0, proc.stderr
    assert "The sum is 42." in proc.stdout
    first, second = llm_server.requests
    offered = {t["function"]["name"]: t["function"] for t in first.body["tools"]}
    assert offered["mcp__demo__add"]["description"] == "Add two numbers"
    assert set(offered["mcp__demo__add"]["parameters"]["properties"]) == {"a", "b"}
    results = [m for m in second.body["messages"] if m["role"] == "tool"]
    assert results[0]["content"].strip() == "42"


def test_bad_mcp_config_is_a_clear_error(cli, vault_clean, llm_server):
    config = Path(cli.env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[mcp.servers.demo]\ncommand = "python server.py"\n')
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)

    proc = cli("run", "--agent", "build", "--model", "openai/test-model", "hi")

    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "mcp.servers.demo.command must be a non-empty list of strings" in proc.stderr
