"""`codetether a2a card|send`: talk to another A2A agent with the official a2a-sdk client."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any


def execute(args: argparse.Namespace) -> int:
    from google.protobuf.json_format import MessageToDict

    from codetether.a2a import client

    token = client.token_or_env(args.token)
    if args.a2a_command == "card":
        card = asyncio.run(client.get_card(args.url, token))
        if args.json:
            print(json.dumps(MessageToDict(card), indent=2, ensure_ascii=False))
        else:
            _print_card(MessageToDict(card))
        return 0
    printer = _EventPrinter(args.json) if args.stream else None
    result = asyncio.run(client.send(args.url, " ".join(args.message), token=token, stream=args.stream,
                                     on_event=printer, context_id=args.context_id))
    if isinstance(result, client.Message):
        print(json.dumps(MessageToDict(result)) if args.json else client.answer_text(result))
        return 0
    state = client.state_name(result)
    if args.json:
        print(json.dumps(MessageToDict(result), indent=None if args.stream else 2, ensure_ascii=False))
    else:
        if printer is not None:
            printer.end_line()
        answer = client.response_text(result)
        note = client.get_message_text(result.status.message) if result.status.HasField("message") else ""
        streamed = printer is not None and printer.streamed_text
        if state == "completed" and not streamed:
            print(answer or note)
        elif answer and not streamed:
            print(answer)
        files = client.changed_files(result)
        tail = f"; changed: {', '.join(files)}" if files else ""
        print(f"[task {result.id}: {state}{tail}; continue with --context-id {result.context_id}]", file=sys.stderr)
        if state != "completed" and note and note != answer:
            print(note, file=sys.stderr)
    return 0 if state == "completed" else 1


class _EventPrinter:
    """Stream updates: agent text to stdout, tool activity to stderr; or every event as a JSON line."""

    def __init__(self, as_json: bool):
        self.as_json, self.streamed_text, self.at_line_start = as_json, False, True

    def __call__(self, event: Any) -> None:
        from google.protobuf.json_format import MessageToDict

        if self.as_json:
            print(json.dumps(MessageToDict(event), ensure_ascii=False), flush=True)
            return
        if not event.HasField("status_update") or not event.status_update.status.HasField("message"):
            return
        message = event.status_update.status.message
        kind = MessageToDict(message.metadata).get("codetether", {}).get("kind") if message.metadata else None
        text = "".join(p.text for p in message.parts)
        if kind == "text":
            sys.stdout.write(text)
            sys.stdout.flush()
            self.streamed_text, self.at_line_start = True, text.endswith("\n")
        elif kind in ("tool_call", "tool_result", "error"):
            self.end_line()
            print(text, file=sys.stderr, flush=True)

    def end_line(self) -> None:
        if not self.at_line_start:
            print(flush=True)
            self.at_line_start = True


def _print_card(card: dict[str, Any]) -> None:
    print(f"{card.get('name', '?')} {card.get('version', '')}".rstrip())
    if card.get("description"):
        print(card["description"])
    for iface in card.get("supportedInterfaces", []):
        print(f"  endpoint: {iface.get('url')} ({iface.get('protocolBinding')} {iface.get('protocolVersion', '')})")
    caps = card.get("capabilities", {})
    print(f"  streaming: {'yes' if caps.get('streaming') else 'no'}")
    if card.get("securitySchemes"):
        print(f"  auth: {', '.join(card['securitySchemes'])}")
    for skill in card.get("skills", []):
        print(f"  skill {skill.get('id')}: {skill.get('name')} - {skill.get('description', '')}")
