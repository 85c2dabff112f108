"""End to end: a long `codetether run` in a small window has its older turns summarised by the model."""

from __future__ import annotations

import json

from codetether.session.store import SessionStore
from tests.cli.conftest import API_KEY
from tests.harness.llm_server import HttpError, Reply, ToolCall

WINDOW = 12000  # room for the full build tool set's definitions (~18 KB) plus a few turns
READS = 10


def _workspace(cli, vault_clean, llm_server) -> None:
    lines = "".join(f"{i:04d} def handler_{i}(request): return render(request, 'page_{i}.html')\n" for i in range(500))
    (cli.cwd / "big.py").write_text(lines)
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    reads = [Reply(tool_calls=[ToolCall("read", {"path": "big.py", "offset": 1 + 40 * i, "limit": 40})])
             for i in range(READS)]
    llm_server.script(*reads, Reply(text="Read the whole file."))


def _run(cli):
    env = {**cli.env, "CODETETHER_CONTEXT_WINDOW": str(WINDOW)}
    return cli("run", "--agent", "build", "--model", "openai/test-model", "--format", "json",
               "read big.py in chunks of 40 lines", env=env)


def _is_summary(request) -> bool:
    return "tools" not in request.body


def test_long_run_is_summarised_and_every_request_fits_the_window(cli, vault_clean, llm_server):
    _workspace(cli, vault_clean, llm_server)
    summaries: list[str] = []

    def summarise(body):
        if "tools" in body:
            return None
        summaries.append(f"SUMMARY-XYZ-{len(summaries) + 1}")
        return Reply(text=summaries[-1])

    llm_server.router = summarise
    proc = _run(cli)

    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["text"] == "Read the whole file." and result["exit_reason"] == "completed"
    requests = llm_server.requests
    assert all(r.raw_bytes / 3.5 < WINDOW for r in requests), [r.raw_bytes for r in requests]
    assert summaries, "no summary request was made"
    assert sum(not _is_summary(r) for r in requests) == READS + 1

    indexes = [i for i, r in enumerate(requests) if _is_summary(r)]
    for n, i in enumerate(indexes, 1):
        summary_call = requests[i].body
        assert not summary_call.get("stream")
        assert "summarise this conversation so far for continuation" in json.dumps(summary_call).lower()
        following = json.dumps(requests[i + 1].body)
        assert f"SUMMARY-XYZ-{n}" in following and "[Conversation summary of" in following
    after = [_is_summary(r) for r in requests[indexes[0] + 1:]]
    assert any(not a and not b for a, b in zip(after, after[1:]))  # the cached summary served several steps
    # A later summary builds on the earlier one.
    if len(indexes) > 1:
        assert "SUMMARY-XYZ-1" in json.dumps(requests[indexes[1]].body)

    # The tool results the model saw came back, and the session records each compaction.
    assert "handler_399" in json.dumps(requests[-1].body)
    store = SessionStore()
    try:
        kinds = [e["kind"] for e in store.events(result["session_id"])]
        messages = store.messages(result["session_id"])
    finally:
        store.close()
    assert kinds.count("compaction") == len(summaries)
    assert len(messages) == 1 + 2 * READS + 1  # the full transcript is stored, not the compacted request


def test_failed_summary_falls_back_to_truncation(cli, vault_clean, llm_server):
    _workspace(cli, vault_clean, llm_server)
    llm_server.router = lambda body: HttpError(400) if "tools" not in body else None
    proc = _run(cli)

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["text"] == "Read the whole file."
    requests = llm_server.requests
    failed = next(i for i, r in enumerate(requests) if _is_summary(r))
    assert "[Context truncated:" in json.dumps(requests[failed + 1].body)
    assert "Traceback" not in proc.stderr
