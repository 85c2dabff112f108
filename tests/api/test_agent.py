"""create_agent from Python: run, stream, Python tools the model calls, approvals through a callback, sessions."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

import codetether
from tests.api.conftest import MODEL, tool_names, tool_results, user_texts
from tests.harness.llm_server import Reply, ToolCall


def run(coro):
    return asyncio.run(coro)


def test_run_returns_the_answer_and_records_a_session(api_env, llm_server, workspace):
    llm_server.script(Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]), Reply(text="It greets."))

    async def go():
        async with codetether.create_agent(workspace, model=MODEL) as agent:
            result = await agent.run("what does app.py do?")
            return result, agent.session_id, agent.model

    result, session_id, model = run(go())
    assert result.ok and result.text == "It greets." and result.steps == 2
    assert result.exit_reason is codetether.ExitReason.COMPLETED
    assert result.session_id == session_id and session_id
    assert model == MODEL
    assert "helo" in tool_results(llm_server.requests[1].body)[0]  # the read really ran in the workspace


def test_stream_yields_typed_events_in_order(api_env, llm_server, workspace):
    llm_server.script(Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]), Reply(text="It prints helo."))

    async def go():
        async with codetether.create_agent(workspace, model=MODEL, agent="explore") as agent:
            return [e async for e in agent.stream("what does it print?")]

    events = run(go())
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunCompleted"
    assert kinds.index("ToolCallStarted") < kinds.index("ToolCallCompleted") < kinds.index("TextChunk")
    done = next(e for e in events if isinstance(e, codetether.ToolCallCompleted))
    assert done.name == "read" and done.success and "helo" in done.output
    assert "".join(e.text for e in events if isinstance(e, codetether.TextChunk)) == "It prints helo."
    assert events[-1].exit_reason is codetether.ExitReason.COMPLETED


def test_breaking_out_of_a_stream_stops_the_run(api_env, llm_server, workspace):
    llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": "sleep 30"})]))

    async def go():
        async with codetether.create_agent(workspace, model=MODEL, approve=True) as agent:
            async with contextlib.aclosing(agent.stream("wait")) as events:
                async for event in events:
                    if isinstance(event, codetether.ToolCallStarted):
                        break
            started = asyncio.get_running_loop().time()
            llm_server.script(Reply(text="next answer"))
            result = await agent.run("and now?")  # the agent is free again, the session intact
            return result, asyncio.get_running_loop().time() - started

    result, took = run(go())
    assert result.text == "next answer" and took < 20
    assert len(llm_server.requests) == 2  # the interrupted turn never asked the model again


def test_python_function_is_a_tool_the_model_calls(api_env, llm_server, workspace):
    calls = []

    @codetether.function_tool
    async def deploy(service: str, replicas: int = 1) -> dict:
        """Deploy a service.

        Args:
            service: Which service.
            replicas: How many copies.
        """
        calls.append((service, replicas))
        return {"deployed": service, "replicas": replicas}

    llm_server.script(Reply(tool_calls=[ToolCall("deploy", {"service": "api", "replicas": 3})]),
                      Reply(tool_calls=[ToolCall("deploy", {"replicas": 2})]), Reply(text="deployed"))

    async def go():
        async with codetether.create_agent(workspace, model=MODEL, tools=["read"], extra_tools=[deploy]) as agent:
            return await agent.run("deploy api")

    assert run(go()).ok
    assert calls == [("api", 3)]  # the call without the required argument never reached the function
    first, second, third = (r.body for r in llm_server.requests)
    assert tool_names(first) == ["deploy", "read"]  # only the tools asked for, plus ours
    schema = next(t["function"] for t in first["tools"] if t["function"]["name"] == "deploy")
    assert schema["description"] == "Deploy a service."
    assert schema["parameters"]["properties"]["replicas"] == {"type": "integer", "description": "How many copies."}
    assert schema["parameters"]["required"] == ["service"]
    assert tool_results(second) == ['{"deployed": "api", "replicas": 3}']
    assert "missing required field 'service'" in tool_results(third)[-1]


@pytest.mark.parametrize("answer", [False, True])
def test_approval_callback_decides_an_edit(api_env, llm_server, workspace, answer):
    asked = []

    def approve(request: codetether.ApprovalRequest) -> bool:
        asked.append((request.tool, request.arguments.get("path")))
        return answer

    llm_server.script(Reply(tool_calls=[ToolCall("write", {"path": "app.py", "content": "print('hi')\n"})]),
                      Reply(text="ok"))

    async def go():
        async with codetether.create_agent(workspace, model=MODEL, access_mode="ask", approve=approve) as agent:
            return await agent.run("rewrite app.py")

    assert run(go()).ok
    assert asked == [("write", "app.py")]
    content = (workspace / "app.py").read_text()
    result = tool_results(llm_server.requests[1].body)[0]
    if answer:
        assert content == "print('hi')\n"
    else:
        assert "helo" in content and "declined" in result


def test_continue_a_session_by_id_or_latest(api_env, llm_server, workspace):
    llm_server.script(Reply(text="noted"), Reply(text="PELICAN"), Reply(text="still PELICAN"))

    async def go():
        async with codetether.create_agent(workspace, model=MODEL, agent="chat") as agent:
            await agent.run("remember PELICAN")
            first = agent.session_id
        async with codetether.create_agent(workspace, session=first[:8]) as agent:
            assert agent.session_id == first  # known at once: the session was loaded
            await agent.run("which word?")
        async with codetether.create_agent(workspace, continue_latest=True) as agent:
            await agent.run("and now?")
            return first, agent.session_id

    first, last = run(go())
    assert first == last
    assert user_texts(llm_server.requests[-1].body) == ["remember PELICAN", "which word?", "and now?"]


def test_bad_input_is_a_clear_error(api_env, llm_server, workspace):
    with pytest.raises(ValueError, match="access_mode"):
        codetether.create_agent(workspace, access_mode="sometimes")
    with pytest.raises(ValueError, match="not both"):
        codetether.create_agent(workspace, session="x", continue_latest=True)
    with pytest.raises(ValueError, match="not a directory"):
        codetether.create_agent(workspace / "missing")

    async def go(**kwargs):
        async with codetether.create_agent(workspace, **kwargs) as agent:
            await agent.run("hi")

    with pytest.raises(codetether.CodetetherError, match="unknown tool: rm_rf"):
        run(go(model=MODEL, tools=["read", "rm_rf"]))
    with pytest.raises(codetether.CodetetherError, match="nosuchprovider"):
        run(go(model="nosuchprovider/x"))
    assert llm_server.requests == []
