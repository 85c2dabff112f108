"""With the opt-in environment fallback, each provider's usual base-URL variable is honoured beside its key."""

from __future__ import annotations

from tests.harness.llm_server import Reply

KEY = "sk-env-fallback-key-0123456789"


def test_openai_base_url_from_the_environment(local_cli, llm_server):
    llm_server.script(Reply(text="via OPENAI_BASE_URL"))
    env = {**local_cli.env, "CODETETHER_ENV_FALLBACK": "1", "OPENAI_API_KEY": KEY,
           "OPENAI_BASE_URL": llm_server.base_url_openai + "/"}
    proc = local_cli("run", "--model", "openai/gpt-4o", "hello", env=env)
    assert proc.returncode == 0 and "via OPENAI_BASE_URL" in proc.stdout, proc.stderr
    assert "OPENAI_API_KEY from the environment" in proc.stderr  # the fallback still says so
    assert llm_server.requests[-1].headers["authorization"] == f"Bearer {KEY}"


def test_anthropic_base_url_from_the_environment(local_cli, llm_server):
    llm_server.script(Reply(text="via ANTHROPIC_BASE_URL"))
    env = {**local_cli.env, "CODETETHER_ENV_FALLBACK": "1", "ANTHROPIC_API_KEY": KEY,
           "ANTHROPIC_BASE_URL": llm_server.base_url_anthropic}
    proc = local_cli("run", "--model", "anthropic/claude-x", "hello", env=env)
    assert proc.returncode == 0 and "via ANTHROPIC_BASE_URL" in proc.stdout, proc.stderr
    assert llm_server.requests[-1].headers["x-api-key"] == KEY


def test_base_url_without_the_opt_in_is_ignored(local_cli, llm_server):
    env = {**local_cli.env, "OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": llm_server.base_url_openai}
    proc = local_cli("run", "--model", "openai/gpt-4o", "hello", env=env)
    assert proc.returncode == 1 and "auth login openai" in proc.stderr
    assert llm_server.requests == []
