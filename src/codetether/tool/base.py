"""The tool contract: a Tool is a name, a description, a JSON schema and an async run function."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from codetether.tool.support.schema import validate_arguments

if TYPE_CHECKING:
    from codetether.config.load import Config
    from codetether.sandbox import Sandbox, Wrapped
    from codetether.tool.registry import ToolSet
    from codetether.tool.support.files import Files
    from codetether.tool.support.permission import ApprovalRequest, PermissionPolicy

# The question tool's way to the user: (question, options, default) -> the user's answer.
AskUser = Callable[[str, list[str], str | None], Awaitable[str]]


class AgentModel(Protocol):
    """The agent's own model, for tools that ask it themselves (rlm): an rlm.model.RlmModel."""

    model: str
    window: int


class SessionBinding(Protocol):
    """What tools know of the session they run in: its id, and the state they keep in it (todos, plan)."""

    @property
    def id(self) -> str: ...

    def get_state(self, key: str) -> Any: ...

    def set_state(self, key: str, value: Any) -> None: ...


@dataclass
class NamedSession:
    """A session with a name and nowhere to keep state (a swarm sub-agent's, a test's)."""

    id: str

    def get_state(self, key: str) -> Any:
        raise ToolError("this run has no recorded session to keep it in")

    def set_state(self, key: str, value: Any) -> None:
        raise ToolError("this run has no recorded session to keep it in")


class ToolError(Exception):
    """A failure the model should read and recover from; never ends the loop."""


class PermissionDenied(ToolError):
    """A call refused by the permission rules; its result is marked refused so the session records it."""


class ApprovalNeeded(PermissionDenied):
    """An 'ask' rule met a path outside the workspace; if the user approves, the call runs again."""

    def __init__(self, message: str, path: Path, request: ApprovalRequest):
        super().__init__(message)
        self.path, self.request = path, request


@dataclass
class ToolResult:
    output: str
    success: bool = True
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolContext:
    """Where and how a tool runs: the workspace root, the current directory, what is permitted."""

    root: Path
    cwd: Path | None = None
    allow_external: bool = False
    session: SessionBinding | None = None  # the session tools keep state in and key their tasks by
    env: dict[str, str] | None = None
    on_file_change: Callable[[Path], None] | None = None  # snapshot hook, called before a write
    policy: PermissionPolicy | None = None  # None: no rules, and paths outside the root are refused
    granted: list[Path] = field(default_factory=list)  # outside paths the user approved this run
    # Set by the Agent and SessionRun for the tools that act on the run itself (batch, todo, plan, question).
    tools: ToolSet | None = None  # the tools the agent may call now
    switch_agent: Callable[[str], str] | None = None  # become another agent; returns the previous one's name
    config: Config | None = None
    ask_user: AskUser | None = None  # None: no user to ask (headless)
    llm: AgentModel | None = None  # the agent's own model, for tools that ask it themselves (rlm)
    files: Files | None = None  # where file tools read and write text; None: the local disk (tool/files.py)
    sandbox: Sandbox | None = None  # every process a tool starts runs in it; None: the config's for this root

    def __post_init__(self) -> None:
        self.root = Path(os.path.realpath(self.root))
        self.cwd = Path(os.path.realpath(self.cwd)) if self.cwd else self.root
        if self.sandbox is None:
            from codetether.sandbox import sandbox_for

            self.sandbox = sandbox_for(self.config, self.root)

    @property
    def session_id(self) -> str:
        return self.session.id if self.session is not None else ""

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        """Resolve a model-given path against cwd and refuse one outside the workspace."""
        raw = os.path.expanduser(str(path))
        full = Path(os.path.realpath(os.path.join(self.cwd, raw)))
        if self.allow_external or _within(full, self.root) or any(_within(full, g) for g in self.granted):
            return full
        if self.policy is None:
            raise PermissionDenied(f"path '{path}' resolves to {full}, outside the workspace {self.root}; "
                                   "only files inside the workspace can be accessed")
        self.policy.check_external(str(path), full, self.root)
        return full

    def confinement(self, path: Path) -> Path | None:
        """The directory `path`'s reads and writes must not leave: the workspace for a path inside it (so a
        symlink swapped in later can't redirect them); None for an outside path the user let through."""
        return self.root if _within(path, self.root) else None

    def before_write(self, path: Path) -> None:
        """Refuse codetether's config (the project's codetether.toml and .codetether/, the user's config folder):
        the agent must not plant settings or skills for the next run. Then let the snapshot hook see the file."""
        from codetether.config.paths import config_dir
        from codetether.config.project import protected_paths

        real = Path(os.path.realpath(path))
        for guarded in protected_paths(self.root, self.cwd or self.root):
            if real == guarded or guarded in real.parents:
                mine = guarded in (config_dir(), Path(os.path.realpath(config_dir())))  # or where its link leads
                what = "your codetether configuration" if mine else "codetether's project configuration"
                raise PermissionDenied(f"'{self.display(real)}' is {what} ({guarded.name}); the agent may not "
                                       "write it, only the user can")
        if self.on_file_change is not None:
            self.on_file_change(path)

    def display(self, path: Path) -> str:
        """A path as the model should see it: relative to the root when inside it."""
        return os.path.relpath(path, self.root) if _within(path, self.root) else str(path)


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


RunFunction = Callable[[dict[str, Any], ToolContext], Awaitable[ToolResult]]


@dataclass
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    run: RunFunction
    read_only: bool = False

    async def execute(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        """Validate, run, and turn every expected failure into an error result."""
        problem = validate_arguments(self.parameters, arguments)
        if problem:
            return ToolResult(f"invalid arguments for {self.name}: {problem}", success=False)
        try:
            if ctx.policy is not None:
                await ctx.policy.check(self.name, self.read_only, arguments)
            return await self._run_approving(arguments, ctx)
        except PermissionDenied as exc:
            return ToolResult(f"{self.name} refused: {exc}", success=False,
                              metadata={"refused": True, "reason": str(exc)})
        except ToolError as exc:
            return ToolResult(f"{self.name} failed: {exc}", success=False)
        except OSError as exc:
            return ToolResult(f"{self.name} failed: {exc.strerror or exc} ({exc.filename or ''})".rstrip(" ()"),
                              success=False)
        except Exception as exc:
            # Input a tool did not anticipate (a NUL byte in a path, a bad glob range) is still the model's
            # to fix, not a reason to end the run; cancellation (BaseException) still propagates.
            return ToolResult(f"{self.name} failed: {type(exc).__name__}: {exc}", success=False)

    async def _run_approving(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        """Run; an outside path an 'ask' rule stops on goes to the approver, and once granted the call reruns.

        Rerunning is safe because every tool resolves all its paths before it changes anything."""
        while True:
            try:
                return await self.run(arguments, ctx)
            except ApprovalNeeded as need:
                if ctx.policy is None or need.path in ctx.granted:
                    raise
                await ctx.policy.approve(need.request)
                ctx.granted.append(need.path)


async def sandboxed(ctx: ToolContext, argv: list[str], cwd: Path) -> Wrapped:
    """`argv` as the context's sandbox runs it; a refusal the model reads where nothing may run."""
    import asyncio

    from codetether.sandbox import SandboxUnavailable
    from codetether.sandbox.probe import backend

    assert ctx.sandbox is not None
    await asyncio.to_thread(backend)  # probed once per process, off the event loop
    try:
        return ctx.sandbox.wrap(argv, cwd, ctx.env)
    except SandboxUnavailable as exc:
        raise ToolError(str(exc)) from None


def description_for(module_file: str) -> str:
    """Read the model-facing description kept in the .txt beside a tool module."""
    return Path(module_file).with_suffix(".txt").read_text(encoding="utf-8").strip()
