"""The argparse definition of every command and flag."""

from __future__ import annotations

import argparse

from codetether import __version__
from codetether.cli.commands import COMMANDS, DESCRIPTION

SUMMARY = dict(COMMANDS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codetether", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"codetether {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")

    run = sub.add_parser("run", help=SUMMARY["run"], description=SUMMARY["run"])
    run.add_argument("message", nargs="+", help="the prompt")
    _model_flags(run)
    run.add_argument("--format", choices=("default", "json", "jsonl"), default="default",
                     help="default: streamed text; json: one result object; jsonl: one event per line")
    run.add_argument("-f", "--file", action="append", default=[], metavar="PATH",
                     help="attach a file's contents to the message (repeatable)")

    chat = sub.add_parser("chat", help=SUMMARY["chat"], description=SUMMARY["chat"])
    _model_flags(chat, default_agent="build")

    config = sub.add_parser("config", help=SUMMARY["config"], description=SUMMARY["config"])
    group = config.add_mutually_exclusive_group()
    group.add_argument("--show", action="store_true", help="print the effective configuration")
    group.add_argument("--init", action="store_true", help="write a default config file if none exists")
    group.add_argument("--set", metavar="KEY=VALUE", help="set one key, e.g. default.model=openai/gpt-4o")
    group.add_argument("--path", action="store_true", help="print the config file's path")

    _sessions_parser(sub.add_parser("sessions", help=SUMMARY["sessions"], description=SUMMARY["sessions"]))
    return parser


def _sessions_parser(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="sessions_command", metavar="<action>", required=True)
    ls = sub.add_parser("list", help="this project's sessions, newest first")
    ls.add_argument("--all", action="store_true", help="sessions of every project")
    ls.add_argument("--json", action="store_true", help="print a JSON array")
    ls.add_argument("--limit", type=_positive, default=50, help="at most this many (default 50)")
    show = sub.add_parser("show", help="a session's turns, usage and messages")
    show.add_argument("id", help="session id or unique prefix")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    export = sub.add_parser("export", help="the whole session as JSON")
    export.add_argument("id", help="session id or unique prefix")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    delete = sub.add_parser("delete", help="delete a session and everything recorded with it")
    delete.add_argument("id", help="session id or unique prefix")
    undo = sub.add_parser("undo", help="restore the files the last turn(s) changed")
    undo.add_argument("id", nargs="?", help="session id or prefix (default: this project's latest session)")
    undo.add_argument("--turns", type=_positive, default=1, help="how many turns to undo (default 1)")


def _model_flags(p: argparse.ArgumentParser, default_agent: str | None = None) -> None:
    p.add_argument("-m", "--model", help="provider/model, e.g. moonshotai/kimi-k2.5")
    p.add_argument("--agent", choices=("build", "plan", "explore"), default=default_agent,
                   help="run the tool loop as this agent" + ("" if default_agent else " (default: chat, no tools)"))
    p.add_argument("--max-steps", type=_positive, help="stop after this many model steps")
    p.add_argument("--no-stream", action="store_true", help="ask the provider for whole responses, not a stream")
    p.add_argument("-y", "--yes", action="store_true",
                   help="approve every action a [permission] rule would ask about (deny rules still apply)")
    resume = p.add_mutually_exclusive_group()
    resume.add_argument("-c", "--continue", dest="continue_session", action="store_true",
                        help="continue this project's most recent session")
    resume.add_argument("-s", "--session", metavar="ID", help="continue the session with this id (or id prefix)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value
