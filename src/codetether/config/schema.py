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
    Key("a2a", "server_url", str, "", "CodeTether platform URL for worker mode (--server and CODETETHER_SERVER win).",
        "CODETETHER_A2A_SERVER"),
    Key("a2a", "worker_name", str, "", "The worker's name (--name and CODETETHER_WORKER_NAME win)."),
    Key("a2a", "auto_approve", str, "safe", "The worker's --auto-approve when not given: all, safe or none.",
        choices=("all", "safe", "none")),
    Key("a2a", "codebases", list, [], "The worker's workspaces when no --workspace/--codebases is given."),
    Key("a2a", "max_concurrent", int, 4, "Tasks the worker runs at once (--max-concurrent wins).", minimum=1),
    Key("ui", "theme", str, "dark",
        "TUI theme: dark (or default), light, solarized-dark, solarized-light, or a theme file's name."),
    Key("ui", "hot_reload", bool, False, "Reload the config every 2 s while the TUI runs; theme changes apply live."),
    Key("ui", "custom_theme", dict, {},
        "Colours over the theme: primary, secondary, accent, foreground, background, surface, panel, success, "
        "warning, error, boost."),
    Key("ui", "mouse", bool, True, "Let the TUI take mouse input (false: the terminal keeps it, for selecting text)."),
    Key("session", "auto_compact", bool, True,
        "Summarise older turns with the model when the window fills; false: drop the oldest instead."),
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
    Key("sandbox", "unix_sockets", bool, False,
        "Let commands create unix-domain sockets (off: no command can reach a daemon's socket, such as ssh-agent, "
        "an ssh ControlMaster, gpg-agent or Docker; socketpair stays). Needed by test suites that serve on one."),
    Key("sandbox", "writable_roots", list, [], "More directories commands may write (e.g. ~/.cache/go-build)."),
    Key("sandbox", "hidden_paths", list, [],
        "More paths commands must not see (e.g. ~/.ssh); codetether's own secrets are always hidden."),
    Key("sandbox", "env_keep", list, [],
        "More environment variables (names or globs) passed to commands; Vault and API keys never are."),
)

# Other names for keys: the spec's top-level spellings and earlier names.
ALIASES: dict[str, str] = {"default_model": "default.model", "default_provider": "default.provider",
                           "a2a.server": "a2a.server_url"}
# Keys from the seed's README and the spec that codetether reads but does not act on, with what to do instead.
NOT_USED: dict[str, str] = {
    "a2a.enabled": "A2A is always available: `codetether serve`, `worker` and `a2a`",
    "a2a.auto_connect": "start the worker with `codetether worker` (or `codetether --server URL`)",
    "session.auto_save": "sessions are always saved", "session.persist": "sessions are always saved",
    "session.max_tokens": "the window comes from the model; compaction keeps each request inside it",
    "ui.line_numbers": "the TUI shows code without line numbers",
    "providers": "API keys and endpoints live in Vault: `codetether auth login <provider>`",
    "agents": "the built-in agents are build, plan and explore; choose one with --agent",
    "permissions.rules": "use [permission] edit, bash, webfetch, external_directory",
    "permissions.paths": "use [permission] external_directory",
}
BY_NAME: dict[str, Key] = {k.dotted: k for k in KEYS}
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(k.section for k in KEYS))
