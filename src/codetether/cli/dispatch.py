"""Parse arguments, run the chosen command, and turn every expected failure into one clear line."""

from __future__ import annotations

import importlib
import sys

from codetether.errors import CodetetherError

HANDLERS = {"run": "codetether.cli.run_cmd", "chat": "codetether.cli.chat_cmd", "config": "codetether.cli.config_cmd",
            "sessions": "codetether.cli.sessions_cmd"}


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
    except Exception as exc:
        return _internal_error(exc)


def _internal_error(exc: Exception) -> int:
    import traceback

    from codetether.config.paths import data_dir
    from codetether.secrets.redact import redact

    log = data_dir() / "crash.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(redact("".join(traceback.format_exception(exc))) + "\n")
        where = f"details in {log}"
    except OSError:
        where = "no crash log could be written"
    print(f"codetether hit an internal error ({type(exc).__name__}: {redact(str(exc))[:300]}); {where}. "
          "Please report it.", file=sys.stderr)
    return 70
