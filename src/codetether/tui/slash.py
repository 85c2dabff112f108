"""Slash commands: exact names on the trimmed input; anything else is a prompt for the agent."""

from __future__ import annotations

from dataclasses import dataclass

COMMANDS: dict[str, str] = {
    "/help": "keys and commands",
    "/new": "start a new session (the current one stays saved)",
    "/model [provider/model]": "pick a model (Ctrl+M) or set one",
    "/sessions": "pick one of this project's sessions to resume",
    "/resume [id]": "resume this project's latest session, or one by id",
    "/undo": "restore the files the last turn changed",
    "/compact": "summarise the conversation so far (all but the latest exchange) to free context",
    "/agent build|plan|explore": "switch agent (Tab cycles)",
    "/swarm <task>": "run the task as parallel sub-agents; bare /swarm shows the swarm view",
    "/ralph [prd.json]": "run Ralph over a PRD; shows the stories",
    "/theme [name]": "list themes or switch (files in ~/.config/codetether-agent/themes/)",
    "/webview, /classic": "sidebar + chat + inspector, or the chat alone",
    "/inspector": "toggle the inspector (F3)",
    "/refresh": "rescan the workspace and sessions",
    "/quit": "leave (Ctrl+C)",
}

KEYS = ("Enter send · Ctrl+J/Alt+Enter new line · Ctrl+Up/Down history · Esc stop the turn · Tab switch agent\n"
        "Ctrl+M model picker (if your terminal sends it as Enter, use /model) · Ctrl+B layout · F3 inspector\n"
        "F2/Ctrl+S swarm view · ? help (on an empty input) · Ctrl+C/Ctrl+Q quit\n"
        "@path attaches a project file to the prompt (Tab or Enter completes the highlighted path)")

HELP_TEXT = KEYS + "\n\n" + "\n".join(f"{name:<28} {what}" for name, what in COMMANDS.items())
NAMES = frozenset(name.split()[0].rstrip(",") for name in COMMANDS) | {"/classic", "/exit", "/agent", "/view"}


@dataclass(frozen=True)
class Slash:
    name: str
    arg: str


def parse(text: str) -> Slash | None:
    """A known slash command with its argument, or None for a prompt (unknown /words go to the model)."""
    text = text.strip()
    if not text.startswith("/"):
        return None
    name, _, arg = text.partition(" ")
    if name not in NAMES:
        return None
    return Slash(name, arg.strip())
