"""The tool-call router: a text-only reply describing a call becomes a real call; nothing else is touched."""

from __future__ import annotations

import json

import pytest

from codetether.errors import ConfigError
from codetether.router import router_config
from codetether.router.prompt import parse_tool_calls
from tests.cli.conftest import API_KEY
from tests.harness.llm_server import HttpError, Reply, ToolCall

ROUTED = '<tool_call>\n{"name": "read", "arguments": {"path": "src/app.py"}}\n</tool_call>'


@pytest.fixture
def routed_cli(cli, vault_clean, llm_server, workspace):
    (workspace / "src").mkdir()
    (workspace / "src" / "app.py").write_text('print("router-was-here")\n')
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    cli.env = {**cli.env, "CODETETHER_TOOL_ROUTER_ENABLED": "true",
               "CODETETHER_TOOL_ROUTER_BASE_URL": llm_server.base_url_openai}
    return cli


def _router_requests(server):
    return [r for r in server.requests if isinstance(r.body, dict) and r.body.get("model") == "functiongemma"]


def _play_router(body):
    if body.get("model") != "functiongemma":
        return None  # the primary model's turns come from the script
    said = body["messages"][-1]["content"]
    return Reply(text=ROUTED if "read src/app.py" in said else "No function call is needed.")


def test_text_only_reply_becomes_a_read_call(routed_cli, llm_server):
    llm_server.router = _play_router
    llm_server.script(Reply(text="Let me read src/app.py to see what it prints."), Reply(text="It prints a marker."))

    proc = routed_cli("run", "--agent", "build", "--model", "openai/main-model", "what does it print?")

    assert proc.returncode == 0, proc.stderr
    assert "It prints a marker." in proc.stdout
    routed = _router_requests(llm_server)
    assert len(routed) == 2  # the describing reply, then the final answer (which routes to nothing)
    assert "<tools>" in routed[0].body["messages"][0]["content"]
    assert routed[0].body["messages"][1]["content"] == "Let me read src/app.py to see what it prints."
    primary = [r for r in llm_server.requests if r.body.get("model") == "main-model"]
    assert len(primary) == 2
    sent = primary[1].body["messages"]
    calls = [m for m in sent if m.get("tool_calls")]
    assert calls and calls[0]["tool_calls"][0]["function"]["name"] == "read"
    assert calls[0]["tool_calls"][0]["id"].startswith("fc_")
    results = [m for m in sent if m["role"] == "tool"]
    assert "router-was-here" in results[0]["content"]  # the real read ran


def test_structured_reply_passes_through_without_router_request(routed_cli, llm_server):
    llm_server.router = _play_router
    llm_server.script(Reply(tool_calls=[ToolCall("read", {"path": "src/app.py"})]), Reply(text=""))

    proc = routed_cli("run", "--agent", "build", "--model", "openai/main-model", "read it")

    assert proc.returncode == 0, proc.stderr
    assert _router_requests(llm_server) == []  # a blank final answer is not routed either
    assert "router-was-here" in json.dumps(llm_server.requests[-1].body)


def test_failing_router_leaves_reply_unchanged(routed_cli, llm_server):
    llm_server.router = lambda body: HttpError(500) if body.get("model") == "functiongemma" else None
    llm_server.script(Reply(text="Let me read src/app.py first."))

    proc = routed_cli("run", "--agent", "build", "--model", "openai/main-model", "what does it print?")

    assert proc.returncode == 0, proc.stderr
    assert "Let me read src/app.py first." in proc.stdout
    assert len(_router_requests(llm_server)) == 1
    assert len(llm_server.requests) == 2  # no tool ran, no further model turn


def test_parser_keeps_valid_blocks_and_stops_at_unclosed():
    text = ('<tool_call>{"name": "grep", "arguments": {"pattern": "x"}}</tool_call> junk '
            '<tool_call>not json</tool_call><tool_call>{"name": "list"}</tool_call><tool_call>{"name": "read"}')
    calls = parse_tool_calls(text)
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [("grep", {"pattern": "x"}), ("list", {})]


def test_config_is_off_by_default_and_names_missing_variables():
    assert router_config({}) is None
    assert router_config({"CODETETHER_TOOL_ROUTER_ENABLED": "on"}) is None  # only 1/true/yes enable it
    with pytest.raises(ConfigError, match="CODETETHER_TOOL_ROUTER_MODEL_PATH"):
        router_config({"CODETETHER_TOOL_ROUTER_ENABLED": "1"})
    with pytest.raises(ConfigError, match="CODETETHER_TOOL_ROUTER_MAX_TOKENS"):
        router_config({"CODETETHER_TOOL_ROUTER_ENABLED": "1", "CODETETHER_TOOL_ROUTER_BASE_URL": "http://127.0.0.1:1",
                       "CODETETHER_TOOL_ROUTER_MAX_TOKENS": "lots"})
    cfg = router_config({"CODETETHER_TOOL_ROUTER_ENABLED": "yes", "CODETETHER_TOOL_ROUTER_MODEL_PATH": "/m.gguf"})
    assert (cfg.backend, cfg.max_tokens, cfg.temperature, cfg.arch) == ("gguf", 512, 0.1, "gemma3")


def test_gguf_backend_without_llama_cpp_is_a_clear_error():
    try:
        import llama_cpp  # noqa: F401
        pytest.skip("llama-cpp-python is installed here")
    except ImportError:
        pass
    from codetether.router import router_from_env

    with pytest.raises(ConfigError, match="llama-cpp-python"):
        router_from_env({"CODETETHER_TOOL_ROUTER_ENABLED": "1", "CODETETHER_TOOL_ROUTER_MODEL_PATH": "/m.gguf"})


def test_router_output_gets_the_same_certain_repairs(routed_cli, llm_server):
    """A small router model's damaged call (single quotes, a capitalised name) is repaired like any other."""

    def damaged_router(body):
        if body.get("model") != "functiongemma":
            return None
        if "read src/app.py" not in body["messages"][-1]["content"]:
            return Reply(text="No function call is needed.")
        return Reply(tool_calls=[ToolCall("Read", "{'path': 'src/app.py',}")])

    llm_server.router = damaged_router
    llm_server.script(Reply(text="Let me read src/app.py to see what it prints."), Reply(text="It prints a marker."))

    proc = routed_cli("run", "--agent", "build", "--model", "openai/main-model", "--format", "jsonl", "what?")

    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    repaired = [e for e in events if e["type"] == "run.tool_call_repaired"]
    assert len(repaired) == 1 and repaired[0]["sent_as"] == "Read" and repaired[0]["name"] == "read"
    assert json.loads(repaired[0]["arguments"]) == {"path": "src/app.py"}
    primary = [r for r in llm_server.requests if r.body.get("model") == "main-model"]
    assert "router-was-here" in json.dumps(primary[-1].body)


class _FakeLlama:
    """llama-cpp-python's Llama as the backend uses it: a raw completion or a chat completion."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def __call__(self, prompt: str, **options: object) -> dict:
        self.calls.append(("raw", prompt))
        return {"choices": [{"text": '<tool_call>{"name": "read", "arguments": {"path": "a.py"}}</tool_call>'}]}

    def create_chat_completion(self, messages: list[dict], **options: object) -> dict:
        self.calls.append(("chat", messages))
        return {"choices": [{"message": {"content": '<tool_call>{"name": "read", "arguments": {"path": "b.py"}}'
                                                    '</tool_call>'}}]}


@pytest.mark.parametrize("arch, kind, path", [("gemma3", "raw", "a.py"), ("GEMMA2", "raw", "a.py"),
                                              ("qwen2", "chat", "b.py"), ("llama", "chat", "b.py")])
def test_gguf_arch_picks_the_prompt_format(arch, kind, path):
    import asyncio

    from codetether.provider.model import ToolDefinition
    from codetether.router.backends import GgufBackend

    cfg = router_config({"CODETETHER_TOOL_ROUTER_ENABLED": "1", "CODETETHER_TOOL_ROUTER_MODEL_PATH": "/m.gguf",
                         "CODETETHER_TOOL_ROUTER_ARCH": arch})
    backend = object.__new__(GgufBackend)  # no llama-cpp-python needed: the model is the fake above
    backend.config, backend._llm, backend._lock = cfg, _FakeLlama(), asyncio.Lock()
    calls = asyncio.run(backend.route("I will read the file", [ToolDefinition("read", "Read a file", {})]))
    assert [c.name for c in calls] == ["read"] and path in calls[0].arguments
    (used, payload), = backend._llm.calls
    assert used == kind
    assert ("<start_of_turn>user\nI will read the file" in payload) if kind == "raw" else \
        (payload[1] == {"role": "user", "content": "I will read the file"} and "read" in payload[0]["content"])
