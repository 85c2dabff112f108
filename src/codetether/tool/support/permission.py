"""The permission policy: before a tool runs, allow it, ask the user (or honour --yes), or refuse naming the rule."""

from __future__ import annotations

import asyncio
import fnmatch
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codetether.config.permission import PermissionRules
from codetether.tool.base import ApprovalNeeded, PermissionDenied

EDIT_TOOLS = frozenset({"write", "edit", "multiedit", "apply_patch"})
READ_ONLY_AGENTS = frozenset({"plan", "explore"})
_SEVERITY = {"allow": 0, "ask": 1, "deny": 2}
# Shell operators that start another command; each part is checked on its own so `ok && rm -rf x` can't hide.
_SPLIT = re.compile(r"\|\||&&|[;|&\n()`]|\$\(")
_ENV_PREFIX = re.compile(r"^(?:\w+=\S*\s+)+")


@dataclass(frozen=True)
class ApprovalRequest:
    """What an approver is shown: which tool, what it would do, and the rule that asked. A `strict` request
    needs a person's answer: --yes does not settle it."""

    tool: str
    subject: str
    rule: str
    arguments: Mapping[str, Any] = field(default_factory=dict, compare=False)  # the call's, for "always allow"
    strict: bool = False


Approver = Callable[[ApprovalRequest], Awaitable[bool]]


@dataclass(frozen=True)
class Approvals:
    """How a front end settles 'ask' rules: --yes allows, an approver asks the user, neither refuses.
    `read_only_tools`: why this front end runs read-only tools only (a worker's --auto-approve safe), or None."""

    assume_yes: bool = False
    approver: Approver | None = None
    read_only_tools: str | None = None


@dataclass(frozen=True)
class Decision:
    action: str  # allow | ask | deny
    subject: str  # what the call would do, as the user reads it
    rule: str  # where the action came from, as the user would change it
    strict: bool = False  # an "ask" that --yes does not answer


class PermissionPolicy:
    """The rules for one agent run, plus how to settle 'ask': --yes, an interactive approver, or refuse."""

    def __init__(self, rules: PermissionRules | None = None, *, agent: str = "build", assume_yes: bool = False,
                 approver: Approver | None = None, access_mode: str = "approve", kernel_read_only: bool = False,
                 read_only_tools: str | None = None):
        """`access_mode` ask makes every edit need approval; `kernel_read_only` says the sandbox itself keeps
        this agent's commands from writing, so a read-only agent may run more than its allow-list, if approved;
        `read_only_tools`: why only read-only tools may run at all (the worker's --auto-approve safe), or None."""
        self.rules = rules or PermissionRules()
        self.agent, self.assume_yes, self.approver = agent, assume_yes, approver
        self.access_mode, self.kernel_read_only = access_mode, kernel_read_only
        self.read_only_tools = read_only_tools
        self._ask_lock = asyncio.Lock()  # one question on the terminal at a time, even for parallel calls

    def decide(self, tool: str, read_only: bool, arguments: dict[str, Any]) -> Decision:
        """The stricter of what the kind of call is allowed and what a per-tool rule says."""
        if self.read_only_tools and not read_only:
            return Decision("deny", f"{tool} (changes files or runs commands)", self.read_only_tools)
        decision = self._by_kind(tool, read_only, arguments)
        action = self.rules.tools.get(tool)
        if action is not None and _SEVERITY[action] > _SEVERITY[decision.action]:
            return Decision(action, decision.subject, f'permission.tools.{tool} = "{action}" in {self.rules.source}')
        return decision

    def _by_kind(self, tool: str, read_only: bool, arguments: dict[str, Any]) -> Decision:
        if self.agent in READ_ONLY_AGENTS and not read_only:
            return self._read_only_agent(tool, arguments)
        if tool in EDIT_TOOLS:
            if self.access_mode == "ask" and self.rules.edit == "allow":
                return Decision("ask", f"{tool} (changes files)", 'access mode "ask" (--access-mode)')
            return Decision(self.rules.edit, f"{tool} (changes files)", self._rule("edit", self.rules.edit))
        if tool == "bash" or (tool == "task" and arguments.get("action") == "start"):
            return self._bash(str(arguments.get("command", "")))  # a background task is a bash command too
        if tool == "webfetch":
            return Decision(self.rules.webfetch, f"webfetch {arguments.get('url', '')}",
                            self._rule("webfetch", self.rules.webfetch))
        return Decision("allow", tool, "read-only tool")

    async def check(self, tool: str, read_only: bool, arguments: dict[str, Any]) -> None:
        """Return if the call may run; raise PermissionDenied with a reason the model can act on otherwise."""
        decision = self.decide(tool, read_only, arguments)
        if decision.action == "deny":
            raise PermissionDenied(f"{decision.subject} is denied by {decision.rule}. Do not retry it; "
                                   "choose another approach or ask the user to run it")
        if decision.action == "ask":
            await self.approve(ApprovalRequest(tool, decision.subject, decision.rule, arguments, decision.strict))

    def check_external(self, given: str, full: Path, root: Path) -> None:
        """A path outside the root: allowed, refused, or ApprovalNeeded for the caller to settle."""
        action = self.rules.external_directory
        if action == "allow" or (action == "ask" and self.assume_yes):
            return
        subject = f"path '{given}' resolves to {full}, outside the workspace {root}"
        rule = self._rule("external_directory", action)
        if action == "ask":
            raise ApprovalNeeded(self._cannot_ask(subject, rule), full, ApprovalRequest("external_directory",
                                                                                       subject, rule))
        raise PermissionDenied(f"{subject}; only files inside the workspace can be accessed ({rule})")

    async def approve(self, request: ApprovalRequest) -> None:
        """Settle an 'ask': --yes allows (not a strict one), an approver decides, and without either the call is
        refused."""
        if self.assume_yes and not request.strict:
            return
        if self.approver is None:
            raise PermissionDenied(self._cannot_ask(request.subject, request.rule, request.strict))
        async with self._ask_lock:
            granted = await self.approver(request)
        if not granted:
            raise PermissionDenied(f"the user declined {request.subject} ({request.rule}); do not retry it")

    def _bash(self, command: str) -> Decision:
        """Rules match the command as written and every program it really runs (paths, wrappers, `sh -c`
        seen through); a program that can't be known before it runs is asked about wherever a rule restricts."""
        subject = f"bash command {command.strip()!r}"
        if not self.rules.bash_patterns:
            return Decision(self.rules.bash, subject, self._rule("bash", self.rules.bash))
        from codetether.tool.support.shell.programs import resolve

        programs = resolve(command)
        worst: tuple[str, str] | None = None
        for part in dict.fromkeys([*_commands(command), *programs.commands]):
            found = self._match(part)
            if worst is None or _SEVERITY[found[0]] > _SEVERITY[worst[0]]:
                worst = found
        action, rule = worst or ("allow", "no [permission.bash] pattern matches")
        restrictive = self.rules.bash != "allow" or any(a != "allow" for a in self.rules.bash_patterns.values())
        if programs.unresolved and restrictive and _SEVERITY[action] < _SEVERITY["ask"]:
            # It might be a program a rule denies: a person must look at it (--yes never overrides a deny).
            denies = self.rules.bash == "deny" or "deny" in self.rules.bash_patterns.values()
            return Decision("ask", subject, f"[permission.bash] in {self.rules.source}: which program "
                                            f"{programs.unresolved[0].strip()[:80]!r} runs can't be known before "
                                            "it runs", strict=denies)
        return Decision(action, subject, rule)

    def _match(self, command: str) -> tuple[str, str]:
        """The longest pattern that matches wins: it is the most specific rule the user wrote."""
        hits = [p for p in self.rules.bash_patterns if fnmatch.fnmatchcase(command, p)]
        if not hits:
            return self.rules.bash, "no [permission.bash] pattern matches"
        best = max(hits, key=len)
        action = self.rules.bash_patterns[best]
        return action, f'[permission.bash] "{best}" = "{action}" in {self.rules.source}'

    def _read_only_agent(self, tool: str, arguments: dict[str, Any]) -> Decision:
        rule = f"the {self.agent} agent, which is read-only"
        if tool == "bash":
            command = str(arguments.get("command", ""))
            from codetether.tool.support.shell.readonly import read_only_problem  # plan's bash only

            problem = read_only_problem(command)
            if problem is None:
                return self._bash(command)
            if self.kernel_read_only:  # it can't write anyway: the user may let it run
                denied = self._bash(command)
                if denied.action == "deny":
                    return denied
                return Decision("ask", f"bash command {command.strip()!r} ({problem}; it runs in a read-only "
                                       "sandbox)", rule)
            return Decision("deny", f"bash command {command.strip()!r} ({problem})", rule)
        return Decision("deny", f"{tool} (changes files or runs commands)", rule)

    def _rule(self, key: str, action: str) -> str:
        return f'permission.{key} = "{action}" in {self.rules.source}'

    def _cannot_ask(self, subject: str, rule: str, strict: bool = False) -> str:
        how = "" if strict else "re-running with --yes, or by "
        return (f"{subject} needs the user's approval ({rule}), and this run cannot ask. "
                f"The user can allow it by {how}setting the rule to \"allow\" in {self.rules.source}")

    async def check_local_network(self, tool: str, url: str, why: str) -> None:
        """A request a model aims at a local or private address: the [permission] local_network rule decides."""
        action, rule = self.rules.local_network, self._rule("local_network", self.rules.local_network)
        subject = f"{tool} {url} ({why})"
        if action == "deny":
            raise PermissionDenied(f"{subject} is denied by {rule}")
        if action == "ask":
            await self.approve(ApprovalRequest(tool, subject, rule, strict=True))


def _commands(command: str) -> list[str]:
    """The whole command and every simple command inside it, leading VAR=value assignments dropped."""
    parts = [command, *_SPLIT.split(command)]
    return [_ENV_PREFIX.sub("", p.strip()) for p in parts if p.strip()]
