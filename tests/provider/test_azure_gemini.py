"""Azure OpenAI (api-key header, api-version query), Azure-hosted Anthropic, and Gemini's OpenAI endpoint."""

from __future__ import annotations

from codetether.provider.openai_chat import is_azure
from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply
from tests.provider.helpers import complete


def test_azure_openai_uses_api_key_header_and_api_version(llm_server):
    llm_server.script(Reply(text="hi"))
    base = llm_server.url + "/openai/deployments/gpt4o"
    (resp,) = complete("azure", {"api_key": API_KEY, "base_url": base, "api_version": "2024-10-21"}, "gpt-4o")
    req = llm_server.requests[0]
    assert req.path == "/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21"
    assert req.headers["api-key"] == API_KEY and "authorization" not in req.headers
    assert resp.message.text_content == "hi"


def test_azure_hosts_are_recognised_without_an_api_version():
    assert is_azure("https://res.openai.azure.com/openai/deployments/d", None)
    assert is_azure("https://res.cognitiveservices.azure.com/openai/v1", None)
    assert not is_azure("https://api.openai.com/v1", None)


def test_azure_hosted_anthropic(llm_server):
    llm_server.script(Reply(text="hi"))
    complete("azure-anthropic", {"api_key": API_KEY, "base_url": llm_server.url + "/anthropic"}, "claude-sonnet-4-5")
    req = llm_server.requests[0]
    assert req.path == "/anthropic/v1/messages"
    assert req.headers["x-api-key"] == API_KEY and req.headers["anthropic-version"] == "2023-06-01"


def test_gemini_openai_compatible_endpoint(llm_server):
    llm_server.script(Reply(text="hi"))
    complete("gemini", {"api_key": API_KEY, "base_url": llm_server.url + "/v1beta/openai"}, "gemini-2.5-pro")
    req = llm_server.requests[0]
    assert req.path == "/v1beta/openai/chat/completions"
    assert req.headers["authorization"] == f"Bearer {API_KEY}" and req.body["model"] == "gemini-2.5-pro"
