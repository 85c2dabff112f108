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
    return parser


def _model_flags(p: argparse.ArgumentParser, default_agent: str | None = None) -> None:
    p.add_argument("-m", "--model", help="provider/model, e.g. moonshotai/kimi-k2.5")
    p.add_argument("--agent", choices=("build", "plan", "explore"), default=default_agent,
                   help="run the tool loop as this agent" + ("" if default_agent else " (default: chat, no tools)"))
    p.add_argument("--max-steps", type=_positive, help="stop after this many model steps")
    p.add_argument("--no-stream", action="store_true", help="ask the provider for whole responses, not a stream")
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
