"""`codetether sessions list|show|export|delete|undo|replay`: look back at recorded sessions and revert their edits."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetether.errors import CodetetherError
from codetether.session.store import SessionStore

if TYPE_CHECKING:
    from codetether.gitinfo import Project

EXPORT_FORMAT = "codetether.session.v1"


def execute(args: argparse.Namespace) -> int:
    store = SessionStore()
    try:
        return COMMANDS[args.sessions_command](store, args)
    finally:
        store.close()


def _list(store: SessionStore, args: argparse.Namespace) -> int:
    project_ids = None if args.all else _project().ids
    sessions = store.list(project_ids, limit=args.limit)
    if args.json:
        print(json.dumps([s.to_dict() for s in sessions], indent=2, ensure_ascii=False))
        return 0
    if not sessions:
        where = "" if args.all else " for this project (--all lists every project)"
        print(f"no sessions{where}", file=sys.stderr)
        return 0
    print(f"{'ID':<36}  {'UPDATED':<16}  {'MSGS':>5}  {'TOKENS':>9}  {'COST':>8}  {'MODEL':<24}  TITLE")
    for s in sessions:
        tokens = s.prompt_tokens + s.completion_tokens
        print(f"{s.id:<36}  {_when(s.updated_at):<16}  {s.message_count:>5}  {tokens:>9,}  {_usd(s.cost_usd):>8}  "
              f"{_cut(s.model, 24):<24}  {_cut(s.title, 60)}")
    return 0


def _show(store: SessionStore, args: argparse.Namespace) -> int:
    from codetether.cli.sessions_view import render_session

    info = store.get(store.resolve_id(args.id))
    turns, messages = store.turns(info.id), store.message_rows(info.id)
    if args.json:
        print(json.dumps({"session": info.to_dict(), "turns": turns, "totals": _totals(turns), "messages": messages,
                          "tool_calls": store.tool_calls(info.id)}, indent=2, ensure_ascii=False))
        return 0
    print(render_session(info, turns, _totals(turns), messages))
    return 0


def _export(store: SessionStore, args: argparse.Namespace) -> int:
    info = store.get(store.resolve_id(args.id))
    if args.replay:
        from codetether.cli.replay_cmd import export_replay_bundle

        document = export_replay_bundle(store, info.id)
    else:
        turns = store.turns(info.id)
        document = {"format": EXPORT_FORMAT, "exported_at": time.time(), "session": info.to_dict(), "turns": turns,
                    "totals": _totals(turns), "messages": store.message_rows(info.id),
                    "tool_calls": store.tool_calls(info.id), "events": store.events(info.id),
                    "file_changes": store.snapshot_index(info.id)}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if not args.output or args.output == "-":
        sys.stdout.write(text)
        return 0
    from codetether.tool.support.fsutil import atomic_write

    target = Path(args.output)
    try:
        atomic_write(target, text)
    except OSError as exc:
        raise CodetetherError(f"cannot write {target}: {exc.strerror or exc}") from None
    what = "a replay bundle of session" if args.replay else "session"
    print(f"exported {what} {info.id} to {target}", file=sys.stderr)
    return 0


def _delete(store: SessionStore, args: argparse.Namespace) -> int:
    info = store.get(store.resolve_id(args.id))
    store.delete(info.id)
    print(f"deleted session {info.id}" + (f" ({info.title})" if info.title else ""))
    return 0


def _undo(store: SessionStore, args: argparse.Namespace) -> int:
    from codetether.session.undo import undo_turns

    if args.id:
        info = store.get(store.resolve_id(args.id))
    else:
        project = _project()
        found = store.latest_for_project(project.ids)
        if found is None:
            raise CodetetherError(f"there is no session for {project.root} to undo",
                                  "Give a session id: `codetether sessions undo ID`.")
        info = found
    done, results = undo_turns(store, info.id, args.turns)
    root = Path(info.project_root)
    for turn in sorted({r.turn for r in results} | set(done), reverse=True):
        changed = [r for r in results if r.turn == turn]
        status = "undid" if turn in done else "could not fully undo"
        print(f"{status} turn {turn} of session {info.id}" + ("" if changed else ": it changed no files"))
        for r in changed:
            print(f"  {r.action} {_shown(Path(r.path), root)}")
    failed = [r for r in results if r.action.startswith("failed")]
    if not failed and len(done) < args.turns:
        print(f"only {len(done)} turn(s) were left to undo", file=sys.stderr)
    if failed:
        raise CodetetherError(f"{len(failed)} file(s) could not be restored; fix the cause and run undo again")
    return 0


def _replay(store: SessionStore, args: argparse.Namespace) -> int:
    from codetether.cli.replay_cmd import replay_session

    return replay_session(store, args)


COMMANDS = {"list": _list, "show": _show, "export": _export, "delete": _delete, "undo": _undo, "replay": _replay}


def _project() -> Project:
    from codetether.gitinfo import project_for

    return project_for(Path.cwd())


def _totals(turns: list[dict[str, Any]]) -> dict[str, Any]:
    return {"turns": len(turns), "prompt_tokens": sum(t["prompt_tokens"] for t in turns),
            "completion_tokens": sum(t["completion_tokens"] for t in turns),
            "cost_usd": round(sum(t["cost_usd"] for t in turns), 6)}


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def _usd(value: float) -> str:
    return f"${value:.4f}"


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."

