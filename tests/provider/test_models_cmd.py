"""`codetether models`: providers with models, context windows, prices and key presence."""

from __future__ import annotations

import json

from tests.cli.conftest import API_KEY, assert_clean_failure

ROW_KEYS = {"provider", "available", "source", "models"}
MODEL_KEYS = {"provider", "canonical_id", "selectable_id", "aliases", "qualifiers", "available", "source",
              "context_window", "max_output_tokens", "input_cost_per_million", "output_cost_per_million"}


def test_models_json_shape_and_key_presence(cli, vault_clean, llm_server):
    vault_clean.put_provider("bedrock", api_key=API_KEY, region="us-east-1")
    proc = cli("models", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["provider"]: r for r in json.loads(proc.stdout)}
    assert {"openai", "anthropic", "bedrock", "github-copilot", "openai-codex", "google"} <= set(rows)
    assert all(ROW_KEYS <= set(r) for r in rows.values())
    assert rows["bedrock"]["available"] is True and rows["bedrock"]["source"] == "vault"
    assert rows["openai"]["available"] is False and rows["openai"]["source"] is None
    gpt4o = next(m for m in rows["openai"]["models"] if m["canonical_id"] == "gpt-4o")
    assert set(gpt4o) == MODEL_KEYS
    assert gpt4o["selectable_id"] == "openai/gpt-4o" and gpt4o["context_window"] == 128_000
    assert gpt4o["input_cost_per_million"] == 2.5 and gpt4o["output_cost_per_million"] == 10.0
    assert API_KEY not in proc.stdout + proc.stderr
    assert llm_server.requests == []  # no provider is contacted without --refresh


def test_models_for_one_provider_with_refresh(cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    proc = cli("models", "--provider", "openai", "--json", "--refresh")
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads(proc.stdout)
    assert row["provider"] == "openai" and row["available"] is True
    assert "scripted-model" in [m["canonical_id"] for m in row["models"]]
    (req,) = llm_server.requests
    assert req.method == "GET" and req.path == "/v1/models" and req.headers["authorization"] == f"Bearer {API_KEY}"


def test_models_text_output(cli, vault_clean):
    proc = cli("models", "-p", "anthropic")
    assert proc.returncode == 0, proc.stderr
    assert "anthropic  (no key)" in proc.stdout and "anthropic/claude-sonnet-4-20250514" in proc.stdout
    assert "200,000 ctx" in proc.stdout


def test_unknown_provider_is_a_clear_error(cli, vault_clean):
    assert_clean_failure(cli("models", "--provider", "nosuch"), "unknown provider 'nosuch'", "Known providers")
