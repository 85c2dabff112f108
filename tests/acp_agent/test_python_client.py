"""The acceptance path with the official Python SDK's client: a session that edits, asks, is cancelled and is
loaded again in a new process."""

from __future__ import annotations

import asyncio
import json
import tomllib

from tests.acp_agent.conftest import RecordingClient, agent, text_of
from tests.harness.llm_server import Reply, Stall, ToolCall
from tests.harness.procs import wait_gone


def _run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def test_initialize_states_honest_capabilities(acp_env):
    async def scenario():
        from acp.schema import AuthCapabilities, ClientCapabilities

        async with agent(acp_env, RecordingClient()) as (conn, _):
            plain = await conn.initialize(protocol_version=1, client_capabilities=ClientCapabilities())
            terminal = await conn.initialize(protocol_version=1, client_capabilities=ClientCapabilities(
                auth=AuthCapabilities(terminal=True)))
            return plain, terminal

    init, terminal = _run(scenario())
    assert [m.id for m in init.auth_methods] == ["vault"]  # terminal sign-ins only for clients that run them
    logins = {m.id: m for m in terminal.auth_methods if getattr(m, "type", None) == "terminal"}
    assert logins["codex"].args == ["--login", "codex"] and logins["openai"].args == ["--login", "openai"]
    assert "codetether auth login openai" in logins["openai"].description
    caps = init.agent_capabilities
    assert caps.load_session is True
    assert caps.prompt_capabilities.embedded_context is True
    assert caps.prompt_capabilities.audio is False
    assert caps.prompt_capabilities.image is True  # openai's wire carries images
    assert caps.mcp_capabilities.http is False and caps.mcp_capabilities.sse is False
    assert init.agent_info.name == "codetether"
    vault = [m for m in init.auth_methods if m.id == "vault"]
    assert vault and "codetether auth" in vault[0].description


def test_no_images_are_promised_for_a_text_only_provider(acp_env):
    acp_env.env["CODETETHER_DEFAULT_MODEL"] = "gemini-web/gemini-web-fast"

    async def scenario():
        async with agent(acp_env, RecordingClient()) as (conn, _):
            from acp.schema import ClientCapabilities

            return await conn.initialize(protocol_version=1, client_capabilities=ClientCapabilities())

    assert _run(scenario()).agent_capabilities.prompt_capabilities.image is False


def test_a_prompt_with_an_image_and_an_embedded_file_reaches_the_model(acp_env, llm_server):
    from acp import embedded_text_resource, image_block, resource_block, resource_link_block, text_block

    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    llm_server.script(Reply(text="A one-pixel image."))

    async def scenario():
        async with agent(acp_env, RecordingClient()) as (conn, _):
            session = await conn.new_session(cwd=str(acp_env.cwd), mcp_servers=[])
            return await conn.prompt(session_id=session.session_id, prompt=[
                text_block("what is this?"), image_block(png, "image/png"),
                resource_block(embedded_text_resource(f"file://{acp_env.cwd}/notes.md", "the notes say hi")),
                resource_link_block("app.py", f"file://{acp_env.cwd}/app.py")])

    assert _run(scenario()).stop_reason == "end_turn"
    user = llm_server.requests[0].body["messages"][-1]
    sent = json.dumps(user)
    assert f"data:image/png;base64,{png}" in sent
    assert "what is this?" in sent and "the notes say hi" in sent and f"{acp_env.cwd}/app.py" in sent


def test_edit_permission_cancel_and_load(acp_env, llm_server):
    """initialize -> new session -> an edit (diff seen, file changed) -> a command needing permission (rejected:
    not run; always: run and the rule stored) -> cancel mid-command -> load in a new process: history shown."""
    from acp import text_block

    acp_env.write_config('[permission]\nbash = "ask"\n')
    app = acp_env.cwd / "app.py"
    client = RecordingClient()

    async def first_process() -> str:
        async with agent(acp_env, client) as (conn, _):
            session = await conn.new_session(cwd=str(acp_env.cwd), mcp_servers=[])
            sid = session.session_id
            assert session.modes.current_mode_id == "build"
            assert {m.id for m in session.modes.available_modes} == {"build", "plan", "explore"}
            assert {o.id for o in session.config_options} == {"mode", "model"}

            # 1. an edit: streamed as a tool call with a diff; the file really changes
            llm_server.script(
                Reply(tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": '"helo"',
                                                    "new_string": '"hello"'}, id="edit1")]),
                Reply(text="Fixed the typo."))
            done = await conn.prompt(session_id=sid, prompt=[text_block("fix the typo")])
            assert done.stop_reason == "end_turn"
            assert '"hello"' in app.read_text()
            starts = [u for u in client.of("tool_call") if u.tool_call_id == "edit1"]
            assert starts and starts[0].kind == "edit" and starts[0].title == "Edit app.py"
            assert starts[0].locations[0].path == str(app)
            final = [u for u in client.of("tool_call_update") if u.tool_call_id == "edit1"][-1]
            assert final.status == "completed"
            diff = final.content[0]
            assert diff.type == "diff" and diff.path == str(app)
            assert '"helo"' in diff.old_text and '"hello"' in diff.new_text
            assert "Fixed the typo." in text_of(client.of("agent_message_chunk"))
            assert client.of("usage_update")

            # 2a. a command that needs permission, rejected: the request names the call, nothing runs
            client.answers.append("reject_once")
            llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": "touch rejected.txt"}, id="b1")]),
                              Reply(text="Understood, not touching it."))
            done = await conn.prompt(session_id=sid, prompt=[text_block("make rejected.txt")])
            assert done.stop_reason == "end_turn"
            call, options = client.permission_requests[-1]
            assert call.tool_call_id == "b1"
            assert {o.kind for o in options} == {"allow_once", "allow_always", "reject_once"}
            assert not (acp_env.cwd / "rejected.txt").exists()
            assert "declined" in llm_server.requests[-1].body["messages"][-1]["content"]
            b1 = [u for u in client.of("tool_call_update") if u.tool_call_id == "b1"][-1]
            assert b1.status == "failed"

            # 2b. allowed always: it runs, the rule is written as the TUI writes it, and is not asked again
            client.answers.append("allow_always")
            llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": "touch allowed.txt"}, id="b2")]),
                              Reply(text="Made it."),
                              Reply(tool_calls=[ToolCall("bash", {"command": "touch allowed.txt"}, id="b3")]),
                              Reply(text="Made it again."))
            await conn.prompt(session_id=sid, prompt=[text_block("make allowed.txt")])
            assert (acp_env.cwd / "allowed.txt").exists()
            rules = tomllib.loads(acp_env.config.read_text())["permission"]["bash"]
            assert rules == {"*": "ask", "touch allowed.txt": "allow"}
            asked = len(client.permission_requests)
            await conn.prompt(session_id=sid, prompt=[text_block("again")])
            assert len(client.permission_requests) == asked  # the stored rule answered

            # 3. cancel mid-turn: the running command's process is killed, the turn ends "cancelled"
            pid_file = acp_env.cwd / "pid.txt"
            client.answers.append("allow_once")
            llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": f"echo $$ > {pid_file}; sleep 30.617; "
                                                                             "echo late > late.txt"}, id="slow")]),
                              Reply(text="After the cancel."))
            turn = asyncio.create_task(conn.prompt(session_id=sid, prompt=[text_block("run the slow thing")]))
            await client.wait_for(lambda: pid_file.exists() and pid_file.read_text().strip())
            await conn.cancel(session_id=sid)
            done = await asyncio.wait_for(turn, 10)
            assert done.stop_reason == "cancelled"
            # (pids written inside the sandbox are its own namespace's: find the process by its command line)
            assert not wait_gone("30.617", within=3.0), "the cancelled command's process still runs"
            slow = [u for u in client.of("tool_call_update") if u.tool_call_id == "slow"][-1]
            assert slow.status == "failed"
            # the transcript stays valid: the next turn goes on, the model sees the call as interrupted
            done = await conn.prompt(session_id=sid, prompt=[text_block("what happened?")])
            assert done.stop_reason == "end_turn"
            tool_results = [m for m in llm_server.requests[-1].body["messages"] if m["role"] == "tool"]
            assert "interrupted" in tool_results[-1]["content"].lower()
            return sid

    sid = _run(first_process())
    assert not (acp_env.cwd / "late.txt").exists()

    # 4. a new process loads the session: its history arrives as updates before the response
    again = RecordingClient()

    async def second_process():
        async with agent(acp_env, again) as (conn, _):
            return await conn.load_session(cwd=str(acp_env.cwd), session_id=sid, mcp_servers=[])

    loaded = _run(second_process())
    assert loaded.modes.current_mode_id == "build"
    users = text_of(again.of("user_message_chunk"))
    assert "fix the typo" in users and "make rejected.txt" in users and "what happened?" in users
    assert "Fixed the typo." in text_of(again.of("agent_message_chunk"))
    calls = {u.tool_call_id: u for u in again.of("tool_call")}
    assert calls["edit1"].kind == "edit" and calls["b1"].kind == "execute"
    results = {u.tool_call_id: u.status for u in again.of("tool_call_update")}
    assert results["edit1"] == "completed" and results["b1"] == "failed" and results["slow"] == "failed"
    assert "Traceback" not in acp_env.stderr.read_text()


def test_prompt_for_an_unknown_session_is_an_error_and_the_agent_goes_on(acp_env, llm_server):
    from acp import RequestError, text_block

    async def scenario():
        async with agent(acp_env, RecordingClient()) as (conn, proc):
            try:
                await conn.prompt(session_id="no-such-session", prompt=[text_block("hi")])
            except RequestError as exc:
                error = exc
            else:
                raise AssertionError("a prompt for an unknown session was accepted")
            llm_server.script(Reply(text="still here"))
            session = await conn.new_session(cwd=str(acp_env.cwd), mcp_servers=[])
            done = await conn.prompt(session_id=session.session_id, prompt=[text_block("hi")])
            return error, done, proc.returncode

    error, done, code = _run(scenario())
    assert error.code == -32602 and "no open session 'no-such-session'" in str(error)
    assert done.stop_reason == "end_turn" and code is None


def test_stall_then_cancel_while_waiting_for_the_model(acp_env, llm_server):
    from acp import text_block

    client = RecordingClient()

    async def scenario():
        async with agent(acp_env, client) as (conn, _):
            session = await conn.new_session(cwd=str(acp_env.cwd), mcp_servers=[])
            llm_server.script(Stall(30, Reply(text="too late")))
            turn = asyncio.create_task(conn.prompt(session_id=session.session_id, prompt=[text_block("wait")]))
            await asyncio.to_thread(llm_server.wait_for_requests, 1, 20)
            await conn.cancel(session_id=session.session_id)
            return await asyncio.wait_for(turn, 10)

    assert _run(scenario()).stop_reason == "cancelled"
