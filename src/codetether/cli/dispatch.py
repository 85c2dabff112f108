"""Parse arguments, run the chosen command, and turn every expected failure into one clear line."""

from __future__ import annotations

import importlib
import os
import sys

from codetether.errors import CodetetherError

HANDLERS = {"run": "codetether.cli.run_cmd", "chat": "codetether.cli.chat_cmd", "config": "codetether.cli.config_cmd",
            "sessions": "codetether.cli.sessions_cmd", "tools": "codetether.cli.tools_cmd",
            "serve": "codetether.cli.serve_cmd",
            "a2a": "codetether.cli.a2a_cmd", "worker": "codetether.cli.worker_cmd",
            "ralph": "codetether.cli.ralph_cmd", "rlm": "codetether.cli.rlm_cmd",
            "swarm": "codetether.cli.swarm_cmd", "tui": "codetether.cli.tui_cmd", "mcp": "codetether.cli.mcp_cmd",
            "models": "codetether.cli.models_cmd", "auth": "codetether.cli.auth_cmd",
            "vault": "codetether.cli.vault_cmd", "swarm-subagent": "codetether.cli.subagent_cmd",
            "acp": "codetether.cli.acp_cmd"}


def dispatch(argv: list[str]) -> int:
    import signal

    from codetether.cli.parser import build_parser

    # A parent that ignores SIGINT (a shell's background job, some CI runners) would leave Ctrl-C and
    # `kill -INT` without effect; every command relies on it to stop cleanly.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)

    args = build_parser(argv).parse_args(argv)  # exits 2 with usage on a bad command or flag
    if os.environ.get(SLOW_CALLBACK_ENV):
        _report_slow_callbacks(float(os.environ[SLOW_CALLBACK_ENV]))
    command = args.command or _default_command(args)
    from codetether.cli.sandbox_flags import apply_sandbox_flags
    from codetether.secrets import sealed

    apply_sandbox_flags(args)
    sealed.seal()  # from here on no child process inherits a credential
    from codetether.crash import has_queued_reports

    uploader = None
    if has_queued_reports():  # reports queued by an earlier crash: sent in the background if reporting is on
        from codetether.crash.upload import start_upload

        uploader = start_upload()
    try:
        return _run(command, args)
    except CodetetherError as exc:
        from codetether.secrets.redact import redact

        print(redact(exc.render()), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        from codetether.cli import reader_gone

        return reader_gone()
    except Exception as exc:
        return _internal_error(exc, argv)
    finally:
        if uploader is not None:
            uploader.join(5)  # a short command gives the upload a moment; a daemon thread never blocks exit


SLOW_CALLBACK_ENV = "CODETETHER_SLOW_CALLBACK_MS"


def _report_slow_callbacks(ms: float) -> None:
    """Test and diagnosis aid: asyncio's debug mode logs every callback that held the event loop longer than
    `ms` ("Executing <...> took 0.123 seconds"), so a blocking call on the loop shows up in the log."""
    import asyncio
    import logging

    os.environ["PYTHONASYNCIODEBUG"] = "1"  # for the loops created from here on
    base = asyncio.base_events.BaseEventLoop
    init = base.__init__

    def with_threshold(self: asyncio.AbstractEventLoop, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)  # type: ignore[arg-type]
        self.slow_callback_duration = ms / 1000  # an instance attribute, set by __init__

    base.__init__ = with_threshold  # type: ignore[method-assign]
    logger = logging.getLogger("asyncio")
    logger.setLevel(logging.WARNING)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("asyncio: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False


def _run(command: str, args: object) -> int:
    import os

    # Test-only: CODETETHER_DEBUG_FORCE_CRASH=<message> fails before the command, =after:<message> after it
    # (once it has loaded its secrets), so the crash path can be exercised end to end.
    forced = os.environ.get("CODETETHER_DEBUG_FORCE_CRASH")
    if forced and not forced.startswith("after:"):
        raise RuntimeError(f"forced crash: {forced}")
    code = importlib.import_module(HANDLERS[command]).execute(args)
    if forced:
        raise RuntimeError(f"forced crash: {forced.removeprefix('after:')}")
    return code


def _default_command(args: object) -> str:
    """The seed's headless default: with a platform URL (--server or CODETETHER_SERVER) bare `codetether` works
    as a worker; otherwise the TUI on a terminal, and the line-mode chat when stdin or stdout is not one."""
    import os

    if getattr(args, "root_server", None) or os.environ.get("CODETETHER_SERVER"):
        return "worker"
    return "tui" if sys.stdin.isatty() and sys.stdout.isatty() else "chat"


def _internal_error(exc: Exception, argv: list[str]) -> int:
    import traceback

    from codetether.config.paths import data_dir
    from codetether.secrets.redact import redact

    queued = _queue_crash_report(exc, argv)
    if queued:
        print(f"codetether hit an internal error ({type(exc).__name__}); {queued}", file=sys.stderr)
        return 70
    log = data_dir() / "crash.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(redact("".join(traceback.format_exception(exc))) + "\n")
        where = f"details in {log}"
    except OSError:
        where = "no crash log could be written"
    print(f"codetether hit an internal error ({type(exc).__name__}: {redact(str(exc))[:300]}); {where}. "
          "Please report it. Crash reporting is disabled (opt-in): "
          "codetether config --set telemetry.crash_reporting=true", file=sys.stderr)
    return 70


def _queue_crash_report(exc: Exception, argv: list[str]) -> str | None:
    """With crash reporting on, queue a scrubbed report and say where; None when off or it cannot be written."""
    try:
        from codetether.config.load import load
        from codetether.crash.report import build_report, queue_report

        if not load().get("telemetry.crash_reporting"):
            return None
        path = queue_report(build_report(exc, argv))
    except Exception:
        return None  # a broken config or disk falls back to the local crash log
    return f"crash report queued at '{path}' and will be sent on next startup."
