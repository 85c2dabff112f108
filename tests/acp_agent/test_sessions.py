"""Sessions as an editor uses them: its buffers, modes, the model selector, the plan, MCP servers, the history
list and sign-in."""

from __future__ import annotations

import asyncio
import sys

from tests.acp_agent.conftest import RecordingClient, agent, text_of
from tests.harness.llm_server import Reply, ToolCall
from tests.mcp_bridge.test_mcp import FASTMCP_SERVER


def _run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def test_file_tools_use_the_editors_buffers_when_it_offers_fs(acp_env, llm_server):
    from acp import text_block

    app = acp_env.cwd / "app.py"
    unsaved = 'def greet():\n    return "unsaved helo"\n'
    client = RecordingClient(buffers={str(app): unsaved})
    llm_server.script(Reply(tool_calls=[ToolCall("read", {"path": "app.py"}, id="r1")]),
                      Reply(tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": "unsaved helo",
                                                          "new_string": "hello"}, id="e1")]),
                      Reply(text="done"))

    async def scenario():
        async with agent(acp_env, client, fs=True) as (conn, _):
            session = await conn.new_session(cwd=str(acp_env.cwd), mcp_servers=[])
            return await conn.prompt(session_id=session.session_id, prompt=[text_block("fix it")])

    assert _run(scenario()).stop_reason == "end_turn"
    tool_results = [m["content"] for m in llm_server.requests[1].body["messages"] if m["role"] == "tool"]
    assert "unsaved helo" in tool_results[0]  # what the editor holds, not what is on disk
    assert client.writes == [(str(app), 'def greet():\n    return "hello"\n')]
    assert client.buffers[str(app)] == 'def greet():\n    return "hello"\n'
    diff = [u for u in client.of("tool_call_update") if u.tool_call_id == "e1"][-1].content[0]
    assert diff.old_text == unsaved and diff.new_text == 'def greet():\n    return "hello"\n'


def test_modes_model_selector_and_plan(acp_env, llm_server):
    from acp import text_block

    client = RecordingClient()
    todos = [{"content": "read the code", "status": "done"}, {"content": "fix the typo", "status": "in_progress",
                                                               "priority": "high"}]

    async def scenario():
        async with agent(acp_env, client) as (conn, _):
            session = await conn.new_session(cwd=str(acp_env.cwd), mcp_servers=[])
            sid = session.session_id
            model = next(o for o in session.config_options if o.id == "model")
            assert model.current_value == "openai/m" and model.category == "model"
            assert "openai/gpt-4o" in [o.value for o in model.options]

            # plan mode: the read-only agent refuses a write
            await conn.set_session_mode(session_id=sid, mode_id="plan")
            llm_server.script(Reply(tool_calls=[ToolCall("write", {"path": "x.txt", "content": "x"}, id="w1")]),
                              Reply(text="I can only plan."))
            await conn.prompt(session_id=sid, prompt=[text_block("write x.txt")])
            assert not (acp_env.cwd / "x.txt").exists()
            assert [u for u in client.of("tool_call_update") if u.tool_call_id == "w1"][-1].status == "failed"

            # back to build through the config option; a todo list shows as the plan
            options = await conn.set_config_option(config_id="mode", session_id=sid, value="build")
            assert next(o for o in options.config_options if o.id == "mode").current_value == "build"
            llm_server.script(Reply(tool_calls=[ToolCall("todo_write", {"todos": todos})]),
                              Reply(tool_calls=[ToolCall("plan_enter", {"goal": "g", "steps": ["a"]})]),
                              Reply(text="planning"))
            await conn.prompt(session_id=sid, prompt=[text_block("plan it")])
            plan = client.of("plan")[-1]
            assert [(e.content, e.status, e.priority) for e in plan.entries] == [
                ("read the code", "completed", "medium"), ("fix the typo", "in_progress", "high")]
            assert [u.current_mode_id for u in client.of("current_mode_update")][-1] == "plan"  # plan_enter

            # another model for the next turn: the request names it
            options = await conn.set_config_option(config_id="model", session_id=sid, value="openai/gpt-4o")
            assert next(o for o in options.config_options if o.id == "model").current_value == "openai/gpt-4o"
            llm_server.script(Reply(text="from the other model"))
            await conn.prompt(session_id=sid, prompt=[text_block("hi")])
            bad = None
            try:
                await conn.set_config_option(config_id="model", session_id=sid, value="nosuch/model")
            except Exception as exc:
                bad = exc
            listed = await conn.list_sessions(cwd=str(acp_env.cwd))
            return sid, bad, listed

    sid, bad, listed = _run(scenario())
    assert llm_server.requests[-1].body["model"] == "gpt-4o"
    assert bad is not None and "nosuch" in str(bad)
    assert [s.session_id for s in listed.sessions] == [sid]
    assert listed.sessions[0].title == "write x.txt"
    assert "from the other model" in text_of(client.of("agent_message_chunk"))


def test_client_mcp_servers_are_added_like_configured_ones(acp_env, llm_server, tmp_path):
    from acp import text_block
    from acp.schema import McpServerStdio

    script = tmp_path / "demo_server.py"
    script.write_text(FASTMCP_SERVER)
    llm_server.script(Reply(tool_calls=[ToolCall("mcp__demo__add", {"a": 2, "b": 40}, id="m1")]),
                      Reply(text="The sum is 42."))
    client = RecordingClient()

    async def scenario():
        async with agent(acp_env, client) as (conn, _):
            server = McpServerStdio(name="demo", command=sys.executable, args=[str(script)], env=[])
            session = await conn.new_session(cwd=str(acp_env.cwd), mcp_servers=[server])
            return await conn.prompt(session_id=session.session_id, prompt=[text_block("add")])

    assert _run(scenario()).stop_reason == "end_turn"
    offered = {t["function"]["name"] for t in llm_server.requests[0].body["tools"]}
    assert "mcp__demo__add" in offered
    results = [m["content"] for m in llm_server.requests[1].body["messages"] if m["role"] == "tool"]
    assert results[0].strip() == "42"


def test_without_a_provider_key_new_session_asks_for_authentication(acp_env, vault_clean, llm_server):
    from acp import RequestError

    vault_clean.clear_providers()

    async def scenario():
        async with agent(acp_env, RecordingClient()) as (conn, _):
            errors = []
            for call in (lambda: conn.new_session(cwd=str(acp_env.cwd), mcp_servers=[]),
                         lambda: conn.authenticate(method_id="vault")):
                try:
                    await call()
                except RequestError as exc:
                    errors.append(exc)
            vault_clean.put_provider("openai", api_key="sk-test-vault-key-0123456789",
                                     base_url=llm_server.base_url_openai)
            await conn.authenticate(method_id="vault")  # the key is there now
            session = await conn.new_session(cwd=str(acp_env.cwd), mcp_servers=[])
            return errors, session

    errors, session = _run(scenario())
    assert [e.code for e in errors] == [-32000, -32000]
    assert "openai" in str(errors[0]) and "has no secret in Vault" in str(errors[0])
    assert "codetether auth" in str(errors[1])  # where to store a key; none is ever asked for over ACP
    assert session.session_id


def test_a_repeated_call_is_asked_about_as_a_permission_request(acp_env, llm_server):
    """The doom-loop guard's question (the same call three times in a row) reaches the editor as
    session/request_permission, without an "always" option; rejected, the model is told to change course."""
    from acp import text_block

    client = RecordingClient()
    same = Reply(tool_calls=[ToolCall("read", {"path": "app.py"})])
    llm_server.script(same, same, same, Reply(text="Moving on."), same, same, same, Reply(text="Read it again."))
    client.answers.extend(["reject_once", "allow_once"])

    async def scenario():
        async with agent(acp_env, client) as (conn, _):
            session = await conn.new_session(cwd=str(acp_env.cwd), mcp_servers=[])
            await conn.prompt(session_id=session.session_id, prompt=[text_block("look at app.py")])
            await conn.prompt(session_id=session.session_id, prompt=[text_block("and again")])

    _run(scenario())
    (first, options), (second, _) = client.permission_requests
    assert "call 3 in a row" in first.title
    assert {o.kind for o in options} == {"allow_once", "reject_once"}
    assert "call 3 in a row of read" in llm_server.requests[3].body["messages"][-1]["content"]  # held, told
    assert "helo" in llm_server.requests[7].body["messages"][-1]["content"]  # allowed: it ran
    assert "called 3 times in a row" in text_of(client.of("agent_thought_chunk"))


def test_the_question_tool_asks_through_a_form_when_the_client_offers_forms(acp_env, llm_server):
    from acp import text_block

    client = RecordingClient()
    client.answers.append("blue, please")
    ask = {"question": "Which color?", "options": ["red", "blue"], "default": "red"}
    llm_server.script(Reply(tool_calls=[ToolCall("question", ask, id="q1")]), Reply(text="Blue it is."),
                      Reply(tool_calls=[ToolCall("question", ask, id="q2")]), Reply(text="Red then."))

    async def scenario():
        async with agent(acp_env, client, forms=True) as (conn, _):
            session = await conn.new_session(cwd=str(acp_env.cwd), mcp_servers=[])
            await conn.prompt(session_id=session.session_id, prompt=[text_block("pick a color")])
        async with agent(acp_env, client) as (conn, _):  # no forms: the model decides, as when headless
            session = await conn.new_session(cwd=str(acp_env.cwd), mcp_servers=[])
            await conn.prompt(session_id=session.session_id, prompt=[text_block("pick a color")])

    _run(scenario())
    (message, mode), = client.questions
    assert message == "Which color?" and mode.tool_call_id == "q1"
    field = mode.requested_schema.properties["answer"]
    assert field.default == "red" and "red, blue" in field.description
    results = [m["content"] for r in (llm_server.requests[1], llm_server.requests[3])
               for m in r.body["messages"][-1:]]
    assert "The user answered: blue, please" in results[0]
    assert "no user available" in results[1]


def test_yes_approves_what_a_rule_would_ask_without_asking_the_editor(acp_env, llm_server):
    from acp import text_block

    acp_env.write_config('[permission]\nbash = "ask"\n')
    client = RecordingClient()
    llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": "touch yes.txt"})]), Reply(text="done"))

    async def scenario():
        async with agent(acp_env, client, flags=("--yes",)) as (conn, _):
            session = await conn.new_session(cwd=str(acp_env.cwd), mcp_servers=[])
            await conn.prompt(session_id=session.session_id, prompt=[text_block("make it")])

    _run(scenario())
    assert client.permission_requests == [] and (acp_env.cwd / "yes.txt").exists()
