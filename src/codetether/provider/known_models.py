"""The models each built-in provider is known to serve (static; `codetether models --refresh` asks live)."""

from __future__ import annotations

KNOWN_MODELS: dict[str, tuple[str, ...]] = {
    "openai": ("gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini", "o3", "o4-mini"),
    "openai-codex": ("gpt-5.5", "gpt-5-codex", "gpt-5"),
    "anthropic": ("claude-sonnet-4-20250514", "claude-opus-4-5", "claude-haiku-4-5"),
    "azure-anthropic": ("claude-sonnet-4-5", "claude-opus-4-5", "claude-haiku-4-5"),
    "minimax": ("MiniMax-M3",),
    "moonshotai": ("kimi-k2.5", "kimi-k2-turbo-preview"),
    "moonshotai-cn": ("kimi-k2.5",),
    "openrouter": ("stepfun/step-3.5-flash:free", "z-ai/glm-5", "anthropic/claude-sonnet-4.5", "openai/gpt-5"),
    "stepfun": ("step-3.5-flash",),
    "zai": ("glm-5", "glm-4.7", "glm-4.6", "glm-4.5-air"),
    "deepseek": ("deepseek-chat", "deepseek-reasoner"),
    "cerebras": ("gpt-oss-120b", "llama-3.3-70b", "qwen-3-32b"),
    "novita": ("qwen/qwen3.5-35b-a3b", "deepseek/deepseek-v3.1"),
    "groq": ("llama-3.3-70b-versatile", "llama-3.1-8b-instant", "openai/gpt-oss-120b"),
    "google": ("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"),
    "bedrock": ("us.anthropic.claude-sonnet-4-20250514-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0",
                "amazon.nova-pro-v1:0", "meta.llama3-3-70b-instruct-v1:0"),
    "vertex-glm": ("zai-org/glm-4.7-maas", "zai-org/glm-5-maas"),
    "vertex-anthropic": ("claude-sonnet-4@20250514", "claude-sonnet-4-5@20250929", "claude-opus-4-5@20251101",
                         "claude-opus-4-1@20250805", "claude-haiku-4-5@20251001"),
    "github-copilot": ("gpt-5-mini", "gpt-4.1", "claude-opus-4", "claude-sonnet-4", "gemini-2.5-pro"),
    "github-copilot-enterprise": ("gpt-5-mini", "gpt-4.1", "claude-sonnet-4"),
    "gemini-web": ("gemini-web-fast", "gemini-web-thinking", "gemini-web-pro", "gemini-web-deep-think"),
    "local_cuda": ("qwen3.5-9b",),  # whatever model_path holds; the name is a label
}
