"""Every config key the user may set: its section, type, default and meaning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Key:
    section: str
    name: str
    type: type
    default: Any
    help: str
    env: str | None = None  # environment variable that overrides the file
    choices: tuple[str, ...] = ()
    minimum: int | None = None

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.name}"


KEYS: tuple[Key, ...] = (
    Key("default", "provider", str, "", "Provider used when a model id names none.", "CODETETHER_DEFAULT_PROVIDER"),
    Key("default", "model", str, "", "Default model as provider/model, e.g. moonshotai/kimi-k2.5.",
        "CODETETHER_DEFAULT_MODEL"),
    Key("a2a", "enabled", bool, True, "Enable A2A features."),
    Key("a2a", "auto_connect", bool, True, "Connect to the A2A server on start."),
    Key("a2a", "server", str, "", "CodeTether platform URL for worker mode.", "CODETETHER_SERVER"),
    Key("ui", "theme", str, "dark", "TUI theme name."),
    Key("session", "auto_save", bool, True, "Persist sessions after every step."),
    Key("session", "max_steps", int, 0, "Maximum agent steps per turn; 0 = the agent's own budget.",
        "CODETETHER_MAX_STEPS", minimum=0),
    Key("session", "doom_loop", int, 3,
        "Identical tool calls in a row (same tool, same arguments) before the agent holds one and asks or tells "
        "the model to change course; 0 = never.", "CODETETHER_DOOM_LOOP", minimum=0),
    Key("session", "repair_tool_calls", bool, True,
        "Read malformed tool calls where the repair is certain (single quotes, trailing commas, Read for read, "
        "\"5\" for 5, ...); false = exactly valid calls or a refusal.", "CODETETHER_REPAIR_TOOL_CALLS"),
    Key("tools", "on_demand", bool, True,
        "Send rarely used tools' schemas only after the model asks for them (tool_load); false = all up front.",
        "CODETETHER_TOOLS_ON_DEMAND"),
    Key("telemetry", "crash_reporting", bool, False, "Send crash reports (opt-in).", "CODETETHER_CRASH_REPORTING"),
    Key("telemetry", "crash_reporting_prompted", bool, False, "Whether the first-run consent question was asked."),
    Key("telemetry", "crash_report_endpoint", str, "",
        "Where crash reports are sent (empty: https://telemetry.codetether.ai/v1/crash-reports).",
        "CODETETHER_CRASH_REPORT_ENDPOINT"),
    Key("secrets", "env_fallback", bool, False,
        "Also read provider keys from environment variables when Vault has none.", "CODETETHER_ENV_FALLBACK"),
    Key("websearch", "backend", str, "",
        "websearch backend: duckduckgo (the default, no key), searxng, brave or tavily (keys from Vault), or off.",
        choices=("", "duckduckgo", "searxng", "brave", "tavily", "off")),
    Key("websearch", "duckduckgo_url", str, "", "DuckDuckGo's HTML endpoint (empty: https://html.duckduckgo.com).",
        "CODETETHER_DUCKDUCKGO_URL"),
    Key("websearch", "searxng_url", str, "", "Base URL of a SearXNG instance with the JSON format enabled."),
    Key("sandbox", "access_mode", str, "approve",
        "ask: commands run read-only, edits need approval; approve: commands may write the workspace only; "
        "full: no filesystem or network limits.", "CODETETHER_ACCESS_MODE", choices=("ask", "approve", "full")),
    Key("sandbox", "network", bool, False, "Let commands reach the network (off: only their own loopback).",
        "CODETETHER_SANDBOX_NETWORK"),
    Key("sandbox", "required", bool, True,
        "Refuse to run commands where the kernel can't sandbox them; false: run them unsandboxed, with a warning."),
    Key("sandbox", "writable_roots", list, [], "More directories commands may write (e.g. ~/.cache/go-build)."),
    Key("sandbox", "hidden_paths", list, [],
        "More paths commands must not see (e.g. ~/.ssh); codetether's own secrets are always hidden."),
    Key("sandbox", "env_keep", list, [],
        "More environment variables (names or globs) passed to commands; Vault and API keys never are."),
)

BY_NAME: dict[str, Key] = {k.dotted: k for k in KEYS}
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(k.section for k in KEYS))
