"""The malformed-call corpus (tests/corpus/tool_calls.py) driven through the real CLI with the scripted model, over
the OpenAI and Anthropic wires: certain damage runs with exactly the intended arguments, the rest is refused with
the parameter list, and a call cut off mid-value never runs (no file written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codetether.session.store import SessionStore
from tests.cli.conftest import API_KEY
from tests.corpus.tool_calls import APP, CASES, DATA, EDIT_ME, SOURCES, Case
from tests.harness.llm_server import Reply, ToolCall

WIRES = {
    "openai-stream": ("openai", lambda s: s.base_url_openai, True),
    "openai-json": ("openai", lambda s: s.base_url_openai, False),
    "anthropic-stream": ("anthropic", lambda s: s.base_url_anthropic, True),
}


def script_for(cases: list[Case]) -> list[Reply]:
    """One model turn per case, then a final answer."""
    replies = []
    for case in cases:
        if case.wire == "text":
            replies.append(Reply(text=case.arguments, finish=case.finish))
        else:
            replies.append(Reply(tool_calls=[ToolCall(case.name, case.arguments, f"call_{case.id}")],
                                 finish=case.finish))
    return [*replies, Reply(text="corpus done")]


def prepare(workspace: Path) -> None:
    (workspace / "data.txt").write_text(DATA)
    (workspace / "app.py").write_text(APP)
    (workspace / "edit_me.txt").write_text(EDIT_ME)


def events_by_step(stdout: str) -> dict[int, list[dict]]:
    steps: dict[int, list[dict]] = {}
    for line in stdout.splitlines():
        event = json.loads(line)
        item = event.get("item_id", "")
        if item.startswith("item_"):
            steps.setdefault(int(item[5:]), []).append(event)
    return steps


def outcome(events: list[dict]) -> tuple[str, dict | None, str]:
    """(ran | refused | none, the arguments it ran with, the tool result text)."""
    done = [e for e in events if e["type"] == "run.tool_call_completed"]
    started = [e for e in events if e["type"] == "run.tool_call_started"]
    if not done:
        return "none", None, ""
    event = done[0]
    if event.get("rejected") or "unknown tool" in event["output"] or not started:
        return "refused", None, event["output"]
    raw = started[0]["arguments"]
    return "ran", json.loads(raw) if raw.strip() else {}, event["output"]


def check_case(case: Case, events: list[dict], workspace: Path) -> None:
    kind, arguments, output = outcome(events)
    if case.expect == "run":
        assert kind == "ran", f"{case.id}: expected a run, got {kind}: {output[:300]}"
        assert arguments == case.intended, f"{case.id}: ran with {arguments}, intended {case.intended}"
    else:
        assert kind == "refused", f"{case.id}: expected a refusal, got {kind} with {arguments}"
        if case.cls == "unknown_tool":
            assert "Available tools:" in output and "read" in output, output
        else:
            assert " takes: " in output and "Received (" in output, f"{case.id}: {output}"
        if case.expect == "cut_off":
            assert "cut off" in output, f"{case.id}: {output}"
        else:
            assert "cut off" not in output, f"{case.id}: {output}"
    for path, content in case.files:
        target = workspace / path
        if content is None:
            assert not target.exists(), f"{case.id}: {path} was written"
        else:
            assert target.read_bytes() == content.encode(), f"{case.id}: {path} is {target.read_bytes()!r}"


def test_corpus_is_large_and_every_class_has_sources():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.cls for c in CASES} <= set(SOURCES)
    assert all(SOURCES[c.cls] for c in CASES)
    keys = [(c.name, c.arguments) for c in CASES]
    assert all(a != b for a, b in zip(keys, keys[1:]))  # no accidental doom loop between neighbours


@pytest.mark.parametrize("wire", list(WIRES))
def test_corpus_through_the_cli(cli, vault_clean, llm_server, workspace, wire):
    provider, base, stream = WIRES[wire]
    vault_clean.put_provider(provider, api_key=API_KEY, base_url=base(llm_server))
    prepare(workspace)
    llm_server.script(*script_for(CASES))

    proc = cli("run", "--agent", "build", "--model", f"{provider}/m", "--format", "jsonl", "--max-steps", "200",
               *([] if stream else ["--no-stream"]), "work through the corpus", timeout=180)

    assert proc.returncode == 0, proc.stderr[-3000:]
    steps = events_by_step(proc.stdout)
    failures = []
    for number, case in enumerate(CASES, 1):
        try:
            check_case(case, steps.get(number, []), workspace)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)
    assert json.loads(proc.stdout.splitlines()[-1])["response"] == "corpus done"
    # Every repair is on the record: one jsonl event and one session event per repaired call.
    repaired = [e for line in proc.stdout.splitlines() if (e := json.loads(line))["type"] == "run.tool_call_repaired"]
    expected_repaired = [c for c in CASES if c.expect == "run" and c.id not in ("empty-arguments",
                                                                                "complete-despite-length")]
    assert len(repaired) == len(expected_repaired)
    session = json.loads(proc.stdout.splitlines()[0])["session_id"]
    store = SessionStore()
    try:
        kinds = [e["kind"] for e in store.events(session)]
    finally:
        store.close()
    assert kinds.count("tool_call_repair") == len(expected_repaired)
    assert kinds.count("tool_call_rejected") == sum(c.expect != "run" for c in CASES)
    # The history the provider was sent back holds only valid JSON arguments (strict servers refuse the rest).
    last = llm_server.requests[-1].body
    if provider == "openai":
        for message in last["messages"]:
            for call in message.get("tool_calls") or []:
                assert isinstance(json.loads(call["function"]["arguments"]), dict)


def test_a_call_the_provider_rejected_as_malformed_is_asked_for_again(cli, vault_clean, llm_server):
    """Gemini's MALFORMED_FUNCTION_CALL (through its OpenAI-compatible endpoint) ends no turn: the model is told."""
    vault_clean.put_provider("google", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(Reply(finish="MALFORMED_FUNCTION_CALL"), Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]),
                      Reply(text="It greets."))
    proc = cli("run", "--agent", "build", "--model", "google/gemini-2.5-flash", "--format", "json", "what?")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["text"] == "It greets."
    assert "rejected by the provider as malformed" in json.dumps(llm_server.requests[1].body)

    llm_server.script(*[Reply(finish="MALFORMED_FUNCTION_CALL")] * 3)
    proc = cli("run", "--agent", "build", "--model", "google/gemini-2.5-flash", "again")
    assert proc.returncode == 1 and "malformed 3 times in a row" in proc.stderr


@pytest.mark.parametrize("provider", ["anthropic", "bedrock"])
def test_parsed_input_of_a_cut_off_reply_is_never_run(cli, vault_clean, llm_server, provider):
    """Anthropic and Bedrock parse a tool's input themselves; cut off at max_tokens it may just lack the rest."""
    fields = {"base_url": llm_server.base_url_anthropic} if provider == "anthropic" else {
        "base_url": llm_server.url, "region": "us-west-2", "aws_access_key_id": "AKIDEXAMPLE",
        "aws_secret_access_key": "secret"}
    vault_clean.put_provider(provider, api_key=API_KEY, **fields)
    llm_server.script(Reply(tool_calls=[ToolCall("write", {"path": "out/cut.txt", "content": "the first half"})],
                            finish="length"), Reply(text="ok"))
    proc = cli("run", "--agent", "build", "--model", f"{provider}/m", "--no-stream", "--format", "json", "write")
    assert proc.returncode == 0, proc.stderr
    assert not (cli.cwd / "out" / "cut.txt").exists()
    assert "the call was cut off" in json.dumps(llm_server.requests[1].body)
