"""`codetether tui [PROJECT]` (and bare `codetether` on a terminal): the Textual interface."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from codetether.errors import UsageError


def execute(args: argparse.Namespace) -> int:
    project = getattr(args, "project", None)
    if project:
        path = Path(project).expanduser()
        if not path.is_dir():
            raise UsageError(f"PROJECT {project} is not a directory", "Give an existing project directory, "
                             "e.g. codetether tui ~/src/my-app")
        os.chdir(path)
    from codetether.cli.run_cmd import session_ref
    from codetether.config.load import load
    from codetether.tui.app import CodetetherApp  # Textual loads only for this command

    ref = session_ref(args) if hasattr(args, "continue_session") else None
    warnings: list[str] = []  # shown as notices in the TUI: stderr is hidden behind its screen
    app = CodetetherApp(load(warn=warnings.append), Path.cwd(), model_id=getattr(args, "model", None),
                        agent_name=getattr(args, "agent", None), session_ref=ref,
                        assume_yes=getattr(args, "yes", False), max_steps=getattr(args, "max_steps", None))
    app.run(mouse=app.config.get("ui.mouse"))
    sid = app.run_session_id
    if sid:
        print(f"[Session: {sid} | Continue with: codetether tui -c]", file=sys.stderr)
    return app.return_code or 0
