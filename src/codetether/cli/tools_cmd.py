"""`codetether tools list`: every registered tool with its description, parameter schema and agents."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import Any


def tool_catalog() -> list[dict[str, Any]]:
    from codetether.agent.agents import AGENTS
    from codetether.tool.registry import CORE_TOOLS, load_tool
    from codetether.tool.support.names import aliases_of

    catalog: list[dict[str, Any]] = []
    for name in CORE_TOOLS:
        agents = [a.name for a in AGENTS.values() if name in a.tools]
        try:
            tool = load_tool(name)
        except Exception as exc:  # a broken tool module is reported, and the rest still listed
            catalog.append({"name": name, "agents": agents, "error": f"{type(exc).__name__}: {exc}"})
            continue
        catalog.append({"name": tool.name, "aliases": aliases_of(tool.name), "description": tool.description,
                        "read_only": tool.read_only, "agents": agents, "parameters": tool.parameters})
    return catalog


def execute(args: argparse.Namespace) -> int:
    catalog = tool_catalog()
    broken = [e for e in catalog if "error" in e]
    for entry in broken:
        print(f"error: tool '{entry['name']}' cannot be loaded ({entry['error']})", file=sys.stderr)
    if args.json:
        print(json.dumps(catalog, indent=2, ensure_ascii=False))
        return 1 if broken else 0
    for entry in catalog:
        if "error" in entry:
            continue
        agents = ", ".join(entry["agents"]) or "none"
        kind = "read-only" if entry["read_only"] else "may change things"
        aliases = f"; aliases: {', '.join(entry['aliases'])}" if entry["aliases"] else ""
        print(f"{entry['name']}  ({kind}; agents: {agents}{aliases})")
        print(textwrap.indent(textwrap.fill(entry["description"], 100), "  "))
        print(f"  parameters: {json.dumps(entry['parameters'], ensure_ascii=False)}\n")
    print(f"{len(catalog)} tools")
    return 1 if broken else 0
