""""Always allow": the narrowest [permission] rule that lets an approved call through from now on, written to the
config file and applied to the running policy. Shared by every front end that offers the choice (TUI, ACP)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codetether.config.load import read_raw, save_raw
from codetether.config.permission import DEFAULTS, PermissionRules, parse_permission
from codetether.tool.support.permission import EDIT_TOOLS, ApprovalRequest, PermissionPolicy, _commands


@dataclass(frozen=True)
class AlwaysRule:
    key: str  # edit | webfetch | bash
    patterns: tuple[str, ...] = ()  # bash only: exact commands, as [permission.bash] patterns

    def describe(self) -> str:
        if self.key != "bash":
            return f'permission.{self.key} = "allow"'
        shown = ", ".join(f'"{p}"' for p in self.patterns)
        return f'[permission.bash] {shown} = "allow"'


def always_rule(policy: PermissionPolicy, request: ApprovalRequest) -> AlwaysRule | None:
    """The rule that would allow this request from now on; None when no rule can be that narrow (a path outside
    the workspace: the only rule is 'every outside path') or the question is not a rule's (the doom-loop guard)."""
    decisions = [policy.decide(request.tool, read_only, request.arguments) for read_only in (False, True)]
    if not any((d.action, d.subject, d.rule) == ("ask", request.subject, request.rule) for d in decisions):
        return None
    if request.tool in EDIT_TOOLS:
        return AlwaysRule("edit")
    if request.tool == "webfetch":
        return AlwaysRule("webfetch")
    command = str(request.arguments.get("command", "")).strip()
    if request.tool in ("bash", "task") and command:
        asked = [part for part in dict.fromkeys(_commands(command)) if policy.decide(
            "bash", False, {"command": part}).action != "allow"]
        return AlwaysRule("bash", tuple(_exact(part) for part in asked) or (_exact(command),))
    return None


def remember(policy: PermissionPolicy, rule: AlwaysRule, path: Path) -> PermissionRules:
    """Write the rule into the config file at `path` (other settings kept) and make `policy` follow it at once."""
    raw = read_raw(path)
    table = raw.setdefault("permission", {})
    if rule.key == "bash":
        bash = table.get("bash", DEFAULTS["bash"])
        patterns = dict(bash) if isinstance(bash, dict) else {"*": bash}  # "*": what other commands got before
        patterns.update(dict.fromkeys(rule.patterns, "allow"))
        table["bash"] = patterns
    else:
        table[rule.key] = "allow"
    rules = parse_permission(table, str(path))  # refuses to write a table that would not load back
    save_raw(raw, path)
    policy.rules = rules
    return rules


def _exact(command: str) -> str:
    """A pattern matching this command only: fnmatch's wildcards stand for themselves inside brackets."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in command)
