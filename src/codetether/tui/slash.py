"""Slash commands: exact names on the trimmed input. A single `/word` that is not a command is refused, not sent;
anything else (`/usr/bin/x fails`, `//word`) is a prompt for the agent."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

COMMANDS: dict[str, str] = {
    "/help": "keys and commands",
    "/new": "start a new session (the current one stays saved)",
    "/model [provider/model]": "pick a model (Ctrl+P) or set one",
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
    "/quit": "leave (Ctrl+Q; Ctrl+C when no turn is running)",
}

KEYS = ("Enter send · Ctrl+J/Alt+Enter new line · Ctrl+Up/Down history · Esc stop the turn · Tab switch agent\n"
        "Ctrl+P (or F4) model picker · Ctrl+O show/hide tool details · Ctrl+B layout · F3 inspector\n"
        "F2/Ctrl+S swarm view · ? help (on an empty input) · Ctrl+C stop the turn, again to quit · Ctrl+Q quit\n"
        "@path attaches a project file to the prompt (Tab or Enter completes the highlighted path)")

HELP_TEXT = KEYS + "\n\n" + "\n".join(f"{name:<28} {what}" for name, what in COMMANDS.items())
NAMES = frozenset(name.split()[0].rstrip(",") for name in COMMANDS) | {"/classic", "/exit", "/agent", "/view"}


@dataclass(frozen=True)
class Slash:
    name: str
    arg: str
    known: bool = True


COMMAND_WORD = re.compile(r"/[A-Za-z][\w-]*")


def parse(text: str) -> Slash | None:
    """The slash command in `text` (known or not), or None for a prompt; `//word ...` is a prompt `/word ...`."""
    text = text.strip()
    if not text.startswith("/") or text.startswith("//"):
        return None
    name, _, arg = text.partition(" ")
    if name in NAMES:
        return Slash(name, arg.strip())
    return Slash(name, arg.strip(), known=False) if COMMAND_WORD.fullmatch(name) else None


def as_prompt(text: str) -> str:
    """What goes to the model: `//word` is sent as `/word`."""
    stripped = text.lstrip()
    return stripped[1:] if stripped.startswith("//") else text


def unknown_message(name: str) -> str:
    close = difflib.get_close_matches(name, sorted(NAMES), n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    return (f"Unknown command {name}.{hint} /help lists the commands; start with // to send it to the model "
            f"as text (//{name[1:]} ...).")
