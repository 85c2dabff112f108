"""Every known provider as a row: wire dialect, base URL, default model, environment key."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProviderSpec:
    id: str
    # "openai" (chat completions) | "anthropic" (messages) | "bedrock" (converse) | "responses"
    # | "vertex-anthropic" (messages via rawPredict) | "gemini-web" | "local-cuda" (own classes: provider/factory.py)
    dialect: str
    base_url: str | None
    default_model: str
    env_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    max_tokens_field: str = "max_tokens"


def _openai(id: str, base: str | None, model: str, env: str | None = None, **kw: object) -> ProviderSpec:
    return ProviderSpec(id, "openai", base, model, env, **kw)  # type: ignore[arg-type]


def _anthropic(id: str, base: str | None, model: str, env: str | None = None) -> ProviderSpec:
    return ProviderSpec(id, "anthropic", base, model, env)


COPILOT_HEADERS = {"Copilot-Integration-Id": "vscode-chat", "Editor-Version": "codetether/0.1",
                   "Openai-Intent": "conversation-edits"}


PROVIDERS: dict[str, ProviderSpec] = {p.id: p for p in (
    _openai("openai", "https://api.openai.com/v1", "gpt-4o", "OPENAI_API_KEY",
            max_tokens_field="max_completion_tokens"),
    _openai("moonshotai", "https://api.moonshot.ai/v1", "kimi-k2.5", "MOONSHOT_API_KEY"),
    _openai("openrouter", "https://openrouter.ai/api/v1", "stepfun/step-3.5-flash:free", "OPENROUTER_API_KEY",
            headers={"HTTP-Referer": "https://codetether.run", "X-Title": "CodeTether Agent"}),
    _openai("stepfun", "https://api.stepfun.ai/v1", "step-3.5-flash", "STEPFUN_API_KEY"),
    _openai("zai", "https://api.z.ai/api/paas/v4", "glm-5", "ZAI_API_KEY"),
    _openai("deepseek", "https://api.deepseek.com", "deepseek-chat", "DEEPSEEK_API_KEY"),
    _openai("cerebras", "https://api.cerebras.ai/v1", "gpt-oss-120b", "CEREBRAS_API_KEY"),
    _openai("novita", "https://api.novita.ai/openai/v1", "qwen/qwen3.5-35b-a3b", "NOVITA_API_KEY"),
    _openai("groq", "https://api.groq.com/openai/v1", "llama-3.3-70b-versatile", "GROQ_API_KEY"),
    _openai("google", "https://generativelanguage.googleapis.com/v1beta/openai", "gemini-2.5-pro",
            "GOOGLE_API_KEY"),
    _anthropic("anthropic", "https://api.anthropic.com", "claude-sonnet-4-20250514", "ANTHROPIC_API_KEY"),
    _anthropic("anthropic-eu", "https://api.anthropic.com", "claude-sonnet-4-20250514"),
    _anthropic("anthropic-asia", "https://api.anthropic.com", "claude-sonnet-4-20250514"),
    _anthropic("minimax", "https://api.minimax.io/anthropic", "MiniMax-M3", "MINIMAX_API_KEY"),
    _anthropic("minimax-credits", "https://api.minimax.io/anthropic", "MiniMax-M3"),
    # Anthropic models hosted on Azure AI Foundry: the resource's .../anthropic base_url comes from the secret.
    _anthropic("azure-anthropic", None, "claude-sonnet-4-5"),
    _openai("moonshotai-cn", "https://api.moonshot.cn/v1", "kimi-k2.5"),
    _openai("usai", "https://api.gsa.usai.gov/api/v1", "", "USAI_API_KEY"),
    ProviderSpec("bedrock", "bedrock", "https://bedrock-runtime.{region}.amazonaws.com",
                 "us.anthropic.claude-sonnet-4-20250514-v1:0", "AWS_BEARER_TOKEN_BEDROCK"),
    ProviderSpec("openai-codex", "responses", "https://api.openai.com/v1", "gpt-5.5"),
    # Google Vertex AI: the project/region URL is built in provider/vertex.py, the OAuth token in google_auth.py.
    _openai("vertex-glm", None, "zai-org/glm-4.7-maas"),
    ProviderSpec("vertex-anthropic", "vertex-anthropic", None, "claude-sonnet-4@20250514"),
    _openai("github-copilot", "https://api.githubcopilot.com", "gpt-5-mini", "GITHUB_COPILOT_TOKEN",
            headers=COPILOT_HEADERS),
    # Enterprise: base_url, or https://copilot-api.<domain> from the secret's enterpriseUrl.
    _openai("github-copilot-enterprise", None, "gpt-5-mini", headers=COPILOT_HEADERS),
    # No native tool calling: both speak the text protocol of provider/text_tools.py.
    ProviderSpec("gemini-web", "gemini-web", "https://gemini.google.com", "gemini-web-fast"),  # browser cookies
    ProviderSpec("local_cuda", "local-cuda", None, "qwen3.5-9b"),  # in-process GGUF via llama-cpp-python
    # OpenAI-compatible services whose endpoint differs per account: base_url must come from the secret.
    *(_openai(i, None, "") for i in ("togetherai", "fireworks-ai", "mistral", "nvidia", "alibaba", "azure", "huggingface",
                                      "glm5")),
)}

ALIASES = {"zhipuai": "zai", "z-ai": "zai", "moonshot": "moonshotai", "gemini": "google", "google-vertex": "google",
           "aws-bedrock": "bedrock", "codex": "openai-codex", "chatgpt": "openai-codex", "usai-gov": "usai",
           "gsai": "usai", "copilot": "github-copilot",
           "local-cuda": "local_cuda", "localcuda": "local_cuda", "vertex-ai": "vertex-glm", "gcp-glm": "vertex-glm",
           "vertex-claude": "vertex-anthropic", "gcp-anthropic": "vertex-anthropic"}

# Order in which a default provider is chosen when the user names none (spec §3.6).
PREFERENCE = ("openai-codex", "openai", "anthropic", "github-copilot", "zai", "deepseek", "minimax", "openrouter", "novita", "moonshotai", "google")


def canonical(provider_id: str) -> str:
    return ALIASES.get(provider_id, provider_id)


def spec_for(provider_id: str, base_url: str | None) -> ProviderSpec | None:
    """The row for a provider; an unknown id with a base_url is treated as OpenAI-compatible."""
    spec = PROVIDERS.get(canonical(provider_id))
    if spec is not None:
        return spec
    if base_url:
        return _openai(provider_id, base_url, "")
    return None


def is_vertex(provider_id: str) -> bool:
    return canonical(provider_id) in ("vertex-glm", "vertex-anthropic")


def is_copilot(provider_id: str) -> bool:
    return canonical(provider_id).startswith("github-copilot")


def is_chatgpt_oauth(provider_id: str, extra: dict[str, object]) -> bool:
    """openai-codex holding ChatGPT sign-in tokens (`auth codex`): they win over an api_key."""
    return canonical(provider_id) == "openai-codex" and bool(extra.get("access_token") or extra.get("refresh_token"))
