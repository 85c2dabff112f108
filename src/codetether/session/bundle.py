"""Replay bundles: one self-contained JSON file with what `sessions replay` needs of a session (its turns' messages
and tool calls, the commit it started from, its settings, the files its file tools changed as they were before),
secrets redacted, so someone else can replay it on a fresh clone."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path, PurePosixPath
from typing import Any

from codetether.errors import CodetetherError
from codetether.secrets.redact import redact
from codetether.session.recording import FileState, Recording, from_store
from codetether.session.store import SessionStore

BUNDLE_FORMAT = "codetether.replay.v1"
HOW_TO_MAKE = "Make one with `codetether sessions export ID --replay -o FILE`."


def export_bundle(store: SessionStore, session_id: str) -> dict[str, Any]:
    """The bundle of a stored session, every string and file passed through the redaction of known secrets (the
    caller makes them known first: the Vault token, every provider key)."""
    from codetether import __version__

    rec = from_store(store, session_id)
    info = store.get(session_id)
    turns = [{"turn": turn,
              "messages": [{"role": m["role"], "parts": m["parts"]} for m in rec.messages if m["turn"] == turn],
              "tool_calls": [{k: c[k] for k in ("call_id", "name", "arguments", "output", "success")}
                             for c in rec.tool_calls if c["turn"] == turn]}
             for turn in rec.turns]
    document = {"format": BUNDLE_FORMAT, "codetether": __version__, "exported_at": time.time(),
                "session": {"id": rec.session_id, "title": info.title, "project_root": rec.project_root,
                            "created_at": info.created_at},
                "settings": {"agent": rec.agent, "model": rec.model, "access_mode": rec.start.get("access_mode")},
                "start": {"commit": rec.commit, "clean": bool(rec.start.get("clean"))},
                "turns": turns, "files": [_file(f) for f in rec.files]}
    return _redacted(document)


def load_bundle(path: Path) -> Recording:
    """The recording in a bundle file; anything unreadable or malformed is a clear error naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CodetetherError(f"cannot read the replay bundle {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise CodetetherError(f"{path} is not a replay bundle: it is not valid JSON ({exc})", HOW_TO_MAKE) from None
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise CodetetherError(f"{path} is not a replay bundle (format {found!r}, expected {BUNDLE_FORMAT!r})",
                              HOW_TO_MAKE)
    try:
        return _recording(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CodetetherError(f"the replay bundle {path} is damaged: {type(exc).__name__} {exc}", HOW_TO_MAKE) \
            from None


def _recording(data: dict[str, Any]) -> Recording:
    session, settings, start = data["session"], data["settings"], data["start"]
    messages, calls = [], []
    for turn in data["turns"]:
        number = int(turn["turn"])
        messages += [{"turn": number, "role": str(m["role"]), "parts": list(m["parts"])} for m in turn["messages"]]
        calls += [{"turn": number, **{k: str(c[k]) for k in ("call_id", "name", "arguments", "output")}}
                  for c in turn["tool_calls"]]
    return Recording(str(session["id"]), str(session["project_root"]), str(settings.get("model") or ""),
                     str(settings.get("agent") or "build"),
                     {"commit": start.get("commit"), "clean": bool(start.get("clean")),
                      "access_mode": settings.get("access_mode")},
                     [int(t["turn"]) for t in data["turns"]], messages, calls,
                     [_file_state(f) for f in data.get("files", [])])


def _file(state: FileState) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": state.path, "existed": state.existed, "mode": state.mode}
    if state.content is not None:
        text = state.content.decode("utf-8", "surrogateescape")
        try:
            entry["text"] = redact(text).encode("utf-8").decode("utf-8")
        except UnicodeEncodeError:  # not UTF-8: redacted byte for byte, then carried as base64
            entry["base64"] = base64.b64encode(redact(text).encode("utf-8", "surrogateescape")).decode("ascii")
    return entry


def _file_state(entry: dict[str, Any]) -> FileState:
    path = str(entry["path"])
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise ValueError(f"file path {path!r} is not inside the project")  # a bundle never writes outside the copy
    if "text" in entry:
        content: bytes | None = str(entry["text"]).encode("utf-8")
    elif "base64" in entry:
        content = base64.b64decode(entry["base64"], validate=True)
    else:
        content = None
    mode = entry.get("mode")
    return FileState(path, bool(entry["existed"]), content if entry["existed"] else None,
                     int(mode) if mode is not None else None)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value
