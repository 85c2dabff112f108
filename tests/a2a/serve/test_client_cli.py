"""`codetether a2a card|send` and the build agent's a2a tool against a served agent."""

from __future__ import annotations

import json
import re

import httpx

from tests.cli.conftest import allow_local_network, assert_clean_failure
from tests.harness.llm_server import Reply, ToolCall
from tests.harness.offers import available_tools


def test_card_shows_name_endpoint_and_skills(served, client_cli):
    proc = client_cli("a2a", "card", served.url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("CodeTether Agent 0.1.0")
    for needle in ("A2A-native AI coding agent", "skill code-generation", "skill code-review", "skill debugging",
                   "streaming: yes", f"endpoint: {served.url.replace('127.0.0.1', 'localhost')}"):
        assert needle in proc.stdout
    data = json.loads(client_cli("a2a", "card", "--json", served.url + "/").stdout)
    assert data["capabilities"]["streaming"] is True and data["name"] == "CodeTether Agent"
    legacy = httpx.get(served.url + "/.well-known/agent.json", timeout=10).json()
    assert legacy["protocolVersion"] == "0.3" and legacy["url"] == data["supportedInterfaces"][0]["url"]


def test_send_prints_the_answer_and_changed_files(served, client_cli, llm_server, workspace):
    llm_server.script(Reply(tool_calls=[ToolCall("write", {"path": "notes.txt", "content": "hi\n"})]),
                      Reply(text="Wrote the notes."))
    proc = client_cli("a2a", "send", served.url, "write", "notes")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Wrote the notes."
    assert "completed; changed: notes.txt" in proc.stderr
    assert (workspace / "notes.txt").read_text() == "hi\n"


def test_send_with_context_id_continues_the_conversation(served, client_cli, llm_server):
    llm_server.script(Reply(text="The colour is teal."), Reply(text="You asked about teal."))
    first = client_cli("a2a", "send", served.url, "remember: the colour is teal")
    assert first.returncode == 0, first.stderr
    [context] = re.findall(r"--context-id (\S+)\]", first.stderr)
    second = client_cli("a2a", "send", "--context-id", context, served.url, "what did I ask?")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "You asked about teal." and f"--context-id {context}]" in second.stderr
    sent = json.dumps(llm_server.requests[-1].body["messages"])
    assert "remember: the colour is teal" in sent and "The colour is teal." in sent


def test_a_context_continues_after_serve_restarts(a2a_env, workspace, tmp_path, client_cli, llm_server):
    from tests.a2a.serve.conftest import MODEL, start_serve, stop

    llm_server.script(Reply(text="Noted: teal."), Reply(text="It was teal."))
    first_serve = start_serve(a2a_env, workspace, tmp_path / "serve1.log", "--model", MODEL)
    try:
        first = client_cli("a2a", "send", first_serve.url, "remember: the colour is teal")
    finally:
        stop(first_serve)
    [context] = re.findall(r"--context-id (\S+)\]", first.stderr)
    second_serve = start_serve(a2a_env, workspace, tmp_path / "serve2.log", "--model", MODEL)
    try:
        second = client_cli("a2a", "send", "--context-id", context, second_serve.url, "which colour?")
    finally:
        stop(second_serve)
    assert second.returncode == 0, second.stderr
    sent = json.dumps(llm_server.requests[-1].body["messages"])
    assert "remember: the colour is teal" in sent and "Noted: teal." in sent


def test_send_stream_prints_text_as_it_comes_and_tools_on_stderr(served, client_cli, llm_server):
    llm_server.script(Reply(text="Looking.", tool_calls=[ToolCall("list", {})]), Reply(text="There is app.py."))
    proc = client_cli("a2a", "send", "--stream", served.url, "what is here?")
    assert proc.returncode == 0, proc.stderr
    assert "Looking." in proc.stdout and "There is app.py." in proc.stdout
    assert proc.stdout.count("There is app.py.") == 1  # streamed once, not repeated at the end
    assert "[tool] list" in proc.stderr


def test_send_stream_json_emits_one_event_per_line(served, client_cli, llm_server):
    llm_server.script(Reply(text="ok"))
    proc = client_cli("a2a", "send", "--stream", "--json", served.url, "hi")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert "task" in lines[0]
    assert lines[-2]["statusUpdate"]["status"]["state"] == "TASK_STATE_COMPLETED"
    assert lines[-1]["status"]["state"] == "TASK_STATE_COMPLETED"  # the final task, artifacts included
    assert lines[-1]["artifacts"][0]["name"] == "response"


def test_failed_task_exits_1_with_the_reason(served, client_cli, vault_clean):
    vault_clean.clear_providers()
    proc = client_cli("a2a", "send", served.url, "hi")
    assert proc.returncode == 1
    assert "failed" in proc.stderr and "provider" in proc.stderr.lower() and "Traceback" not in proc.stderr


def test_unreachable_and_bad_urls_fail_cleanly(client_cli):
    assert_clean_failure(client_cli("a2a", "card", "http://127.0.0.1:9"), "cannot reach the agent")
    assert_clean_failure(client_cli("a2a", "send", "localhost:4096", "hi"), "is not an agent URL")


def test_build_agent_delegates_with_the_a2a_tool(served, client_cli, llm_server):
    # One scripted model serves both sides, in order: local step 1, the remote task, local step 2.
    llm_server.script(Reply(tool_calls=[ToolCall("a2a", {"action": "card", "url": served.url})]),
                      Reply(tool_calls=[ToolCall("a2a", {"action": "send", "url": served.url,
                                                         "message": "say hello"})]),
                      Reply(text="hello from the remote agent"),
                      Reply(text="The remote agent said hello."))
    allow_local_network(client_cli.env)  # the other agent is on 127.0.0.1
    proc = client_cli("run", "--agent", "build", "--model", "openai/test-model", "ask the other agent")
    assert proc.returncode == 0, proc.stderr
    assert "The remote agent said hello." in proc.stdout
    bodies = [r.body for r in llm_server.requests]
    assert "a2a" in available_tools(bodies[0])
    card_result = json.dumps(bodies[1]["messages"][-1])
    assert "CodeTether Agent" in card_result and "debugging" in card_result
    assert "say hello" in json.dumps(bodies[2]["messages"])  # the remote agent got the delegated task
    final = json.dumps(bodies[3]["messages"][-1])
    assert "completed" in final and "hello from the remote agent" in final
