"""End to end: a provider's context-length refusal mid-task is recovered from (compact, retry, remember the limit),
and a model repeating one call is stopped by the doom-loop guard with a message it can act on."""

from __future__ import annotations

import json

from codetether.session.store import SessionStore
from tests.cli.conftest import API_KEY
from tests.harness.llm_server import HttpError, Reply, ToolCall

LIMIT = 8192


def server_tokens(body: dict) -> int:
    """How the scripted server counts a request: a little more than our own estimate (3 chars a token, not 3.5)."""
    return len(json.dumps(body)) // 3


def limited(summaries: list[str], refused: list[int]):
    """A router that behaves like vLLM serving an 8192-token model, and answers summary requests."""

    def route(body: dict):
        tokens = server_tokens(body)
        if tokens > LIMIT:
            refused.append(tokens)
            message = (f"This model's maximum context length is {LIMIT} tokens. However, you requested "
                       f"{tokens + 1000} tokens ({tokens} in the messages, 1000 in the completion). Please reduce "
                       "the length of the messages or completion.")
            return HttpError(400, {"object": "error", "message": message, "type": "BadRequestError",
                                   "param": None, "code": 400})
        if "tools" not in body:
            summaries.append(f"SUMMARY-{len(summaries) + 1}: read big.py chunks 1-6; keep reading")
            return Reply(text=summaries[-1])
        return None

    return route


def test_context_length_refusal_compacts_retries_and_is_remembered(cli, vault_clean, llm_server):
    (cli.cwd / "big.py").write_text("".join(f"{i:04d} def handler_{i}(request): return render(request, "
                                            f"'page_{i}.html')\n" for i in range(400)))
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    summaries: list[str] = []
    refused: list[int] = []
    llm_server.router = limited(summaries, refused)
    reads = [Reply(tool_calls=[ToolCall("read", {"path": "big.py", "offset": 1 + 40 * i, "limit": 40})])
             for i in range(9)]
    llm_server.script(*reads, Reply(text="Read all of big.py."))

    proc = cli("run", "--agent", "build", "--model", "openai/vllm-model", "--format", "jsonl",
               "read big.py in chunks of 40 lines")

    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert events[-1]["type"] == "run.completed" and events[-1]["response"] == "Read all of big.py."
    assert len(refused) == 1, refused  # one refusal, then never again
    learned = [e for e in events if e["type"] == "run.context_limit_learned"]
    assert len(learned) == 1 and learned[0]["stated_limit"] == LIMIT
    assert learned[0]["tokens_after"] < learned[0]["tokens_before"]
    assert summaries, "the turn was not compacted"
    requests = llm_server.requests
    first_refused = next(i for i, r in enumerate(requests) if server_tokens(r.body) > LIMIT)
    assert first_refused >= 4  # mid-task: several reads had run
    after = requests[first_refused + 1:]
    assert after and all(server_tokens(r.body) <= LIMIT for r in after), [server_tokens(r.body) for r in after]
    assert any("SUMMARY-1" in json.dumps(r.body) for r in after if "tools" in r.body)
    assert "handler_359" in json.dumps(requests[-1].body)  # the last read's result reached the model
    session = events[0]["session_id"]
    store = SessionStore()
    try:
        assert "context_limit" in [e["kind"] for e in store.events(session)]
        window = store.get_state(session, "context_window")
    finally:
        store.close()
    assert window and window <= LIMIT

    # The next turn of the session, in a new process, starts inside the limit it learned.
    count = len(requests)
    llm_server.script(Reply(text="Still here."))
    proc = cli("run", "-c", "--model", "openai/vllm-model", "--format", "json", "what did you read?")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["text"] == "Still here."
    assert len(refused) == 1
    assert all(server_tokens(r.body) <= LIMIT for r in llm_server.requests[count:])


def test_a_second_refusal_ends_the_turn_with_the_providers_words(cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    body = {"error": {"message": "Your input exceeds the context window of this model.", "type":
                      "invalid_request_error", "code": "context_length_exceeded"}}
    llm_server.script(HttpError(400, body), HttpError(400, body))
    proc = cli("run", "--agent", "build", "--model", "openai/m", "hello")
    assert proc.returncode == 1
    assert "context window" in proc.stderr and "Traceback" not in proc.stderr
    assert len(llm_server.requests) == 2  # retried once, not forever


def test_repeated_identical_call_is_held_and_the_model_told(cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    same = Reply(tool_calls=[ToolCall("read", {"path": "app.py"})])
    llm_server.script(same, same, same, Reply(text="I will stop repeating myself."))
    proc = cli("run", "--agent", "build", "--model", "openai/m", "--format", "jsonl", "look")
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    done = [e for e in events if e["type"] == "run.tool_call_completed"]
    assert [e["success"] for e in done] == [True, True, False]
    assert done[2]["rejected"] == "doom_loop"
    held = json.dumps(llm_server.requests[3].body)
    assert "call 3 in a row of read with exactly the same arguments" in held and "doom_loop = 3" in held
    assert [e["action"] for e in events if e["type"] == "run.loop_detected"] == ["refused"]
    assert events[-1]["response"] == "I will stop repeating myself."


def test_a_model_that_keeps_repeating_is_stopped_and_the_count_is_configurable(cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(*[Reply(tool_calls=[ToolCall("bash", {"command": "echo again"})])] * 20)
    proc = cli("run", "--agent", "build", "--model", "openai/m", "--format", "json", "loop",
               env={**cli.env, "CODETETHER_DOOM_LOOP": "4"})
    assert proc.returncode == 1
    result = json.loads(proc.stdout)
    assert result["exit_reason"] == "error" and "kept repeating bash" in result["error"]
    assert len(llm_server.requests) == 5  # 3 ran, the 4th was held with a message, the 5th ended the turn
    assert "call 4 in a row of bash" in json.dumps(llm_server.requests[4].body)


def test_doom_loop_zero_turns_the_guard_off(cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(*[Reply(tool_calls=[ToolCall("read", {"path": "app.py"})])] * 5, Reply(text="done"))
    proc = cli("run", "--agent", "build", "--model", "openai/m", "--format", "json", "loop",
               env={**cli.env, "CODETETHER_DOOM_LOOP": "0"})
    assert proc.returncode == 0, proc.stderr
    assert len(llm_server.requests) == 6
