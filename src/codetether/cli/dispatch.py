"""Parse arguments, run the chosen command, and turn every expected failure into one clear line."""

from __future__ import annotations

import importlib
import sys

from codetether.errors import CodetetherError

HANDLERS = {"run": "codetether.cli.run_cmd", "chat": "codetether.cli.chat_cmd", "config": "codetether.cli.config_cmd"}


def dispatch(argv: list[str]) -> int:
    from codetether.cli.parser import build_parser

    args = build_parser().parse_args(argv)  # exits 2 with usage on a bad command or flag
    command = args.command or "chat"
    try:
        return importlib.import_module(HANDLERS[command]).execute(args)
    except CodetetherError as exc:
        from codetether.secrets.redact import redact

        print(redact(exc.render()), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
