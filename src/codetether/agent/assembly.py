"""The one way an Agent is put together, for every front end and for swarm sub-agents: its tool context,
permission policy, settings, tool-call router and RLM wiring, and where it reports, all fixed at construction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetether.agent import events as ev
from codetether.agent.loop import Agent, AgentSettings, ChatModel
from codetether.provider.model import Message
from codetether.tool.base import AskUser, SessionBinding, Tool, ToolContext
from codetether.tool.registry import ToolSet
from codetether.tool.support.permission import Approvals, PermissionPolicy

if TYPE_CHECKING:
    from codetether.config.load import Config
    from codetether.sandbox import Sandbox
    from codetether.tool.support.files import Files


# Writes nothing to the workspace: a read-only swarm's sub-agents still share findings with each other.
KEPT_READ_ONLY = frozenset({"swarm_share"})


@dataclass
class Wiring:
    """Where an agent reports, whom it asks and where it keeps state: given once, never swapped on the agent."""

    sink: ev.EventSink = ev.discard
    on_message: Callable[[Message], None] | None = None
    recorded: Callable[[], Awaitable[None]] | None = None  # awaited before each model request: on_message's are stored
    on_file_change: Callable[[Path], None] | None = None  # before a file tool changes a file (undo, path locks)
    session: SessionBinding | None = None
    approvals: Approvals = field(default_factory=Approvals)
    ask_user: AskUser | None = None  # the question tool's way to the user; None: nobody to ask
    files: Files | None = None  # the editor's buffers (ACP); None: the disk


@dataclass
class Parts:
    """What the agent is made of, resolved beforehand (by prepare_agent, or once per swarm)."""

    model: ChatModel
    model_name: str
    context_window: int
    root: Path
    cwd: Path
    system_prompt: str
    tools: list[Tool]
    sandbox: Sandbox | None  # None: the config's, for `root`
    policy_agent: str  # the agent whose permission rules apply (build, plan, explore)
    label: str = ""  # what the agent is called in its settings and events (default: policy_agent)
    max_steps: int = 100
    stream: bool = True
    kernel_read_only: bool = False  # the sandbox keeps its commands from writing (a read-only agent's)
    on_demand: bool = True  # rare tools offered by name first (tool_load)
    rlm: bool = True  # the rlm tool's model and oversized outputs analysed by RLM
    router: Any = None  # the FunctionGemma tool-call router (tool_router()), owned by whoever made it
    history: list[Message] = field(default_factory=list)  # the conversation it continues, after the prompt
    read_only: str | None = None  # why only read-only tools may run (a worker's --auto-approve safe), or None


def assemble_agent(config: Config, parts: Parts, wiring: Wiring) -> Agent:
    """The Agent, ready to run; no I/O."""
    approvals = wiring.approvals
    read_only = parts.read_only or approvals.read_only_tools
    policy = PermissionPolicy(config.permission, agent=parts.policy_agent, assume_yes=approvals.assume_yes,
                              approver=approvals.approver, access_mode=config.get("sandbox.access_mode"),
                              kernel_read_only=parts.kernel_read_only, read_only_tools=read_only)
    tools, withheld = parts.tools, {}
    if read_only:  # not offered at all; a call to one is refused with the reason
        withheld = {t.name: read_only for t in tools if not (t.read_only or t.name in KEPT_READ_ONLY)}
        tools = [t for t in tools if t.name not in withheld]
    settings = AgentSettings(model=parts.model_name, agent=parts.label or parts.policy_agent,
                             max_steps=parts.max_steps, context_window=parts.context_window, stream=parts.stream,
                             tool_router=parts.router, doom_loop=config.get("session.doom_loop"),
                             repair_calls=config.get("session.repair_tool_calls"),
                             compaction=config.get("session.auto_compact"))
    rlm_model = None
    if parts.rlm and tools:  # the rlm tool, and oversized webfetch/batch outputs; a chat agent has neither
        from codetether.rlm.model import RlmModel
        from codetether.rlm.router import large_output_handler

        rlm_model = RlmModel(parts.model, parts.model_name, parts.context_window, settings.temperature)
        settings.large_output_handler = large_output_handler(rlm_model)
    ctx = ToolContext(root=parts.root, cwd=parts.cwd, policy=policy, config=config, sandbox=parts.sandbox,
                      session=wiring.session, on_file_change=wiring.on_file_change, ask_user=wiring.ask_user,
                      files=wiring.files, llm=rlm_model)
    agent = Agent(parts.model, ToolSet(tools, on_demand=parts.on_demand, withheld=withheld), ctx, settings,
                  messages=[Message.text("system", parts.system_prompt), *parts.history], sink=wiring.sink,
                  on_message=wiring.on_message, recorded=wiring.recorded)
    if rlm_model is not None:
        rlm_model.on_usage = lambda usage: agent.usage.add(usage)  # its sub-calls count as the agent's own
    return agent


def tool_router() -> Any:
    """The FunctionGemma router when CODETETHER_TOOL_ROUTER_ENABLED asks for it; its modules load only then."""
    import os

    if not os.environ.get("CODETETHER_TOOL_ROUTER_ENABLED"):
        return None
    from codetether.router import router_from_env

    return router_from_env()
