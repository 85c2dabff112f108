"""What the agents one process builds can share: the session store, providers by model id, facts about projects.

A one-shot `run` builds one agent and needs none of this; `serve` and the worker build one per task, and each
would otherwise open its own database (and writer thread), read Vault, open a provider's HTTP pool and run git.
Every cache here has a lifetime: a provider is re-read from Vault after MODEL_TTL (keys rotate); project facts,
system prompts (AGENTS.md) and the paths a sandbox protects after PROJECT_TTL (branches and files change)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from codetether.gitinfo import Project, project_for

if TYPE_CHECKING:
    from codetether.agent.agents import AgentSpec
    from codetether.config.load import Config
    from codetether.provider.registry import ResolvedModel
    from codetether.session.store import SessionStore

MODEL_TTL = 60.0
PROJECT_TTL = 2.0
T = TypeVar("T")


class AgentKit:
    def __init__(self, config: Config):
        self.config = config
        self._store: SessionStore | None = None
        self._models: dict[str | None, tuple[float, asyncio.Future[ResolvedModel]]] = {}
        self._projects: dict[Path, tuple[float, asyncio.Future[Project]]] = {}
        self._prompts: dict[tuple[str, Path], tuple[float, asyncio.Future[str]]] = {}
        self._protected: dict[Path, tuple[float, asyncio.Future[tuple[Path, ...]]]] = {}
        self._retired: list[ResolvedModel] = []  # replaced providers, closed with the kit (tasks may still use them)

    @property
    def store(self) -> SessionStore:
        """One store, and so one writer thread, for every session of this process."""
        if self._store is None:
            from codetether.session.store import SessionStore

            self._store = SessionStore()
        return self._store

    async def model(self, model_id: str | None) -> ResolvedModel:
        """The provider for `model_id`, resolved once (concurrent askers share the one Vault read)."""
        from codetether.provider.registry import resolve_model

        entry = self._models.get(model_id)
        if entry is not None and time.monotonic() - entry[0] < MODEL_TTL and not _failed(entry[1]):
            return await asyncio.shield(entry[1])
        if entry is not None and entry[1].done() and not _failed(entry[1]):
            self._retired.append(entry[1].result())
        future = asyncio.ensure_future(resolve_model(model_id, self.config))
        self._models[model_id] = (time.monotonic(), future)
        return await asyncio.shield(future)

    async def project(self, cwd: Path) -> Project:
        """Where `cwd` belongs (repository, branch, whether it is dirty), looked up at most every PROJECT_TTL."""
        return await _fresh(self._projects, cwd, lambda: asyncio.to_thread(project_for, cwd))

    async def prompt(self, spec: AgentSpec, cwd: Path, project: Project) -> str:
        """The system prompt of `spec` agents in `cwd`, built at most every PROJECT_TTL."""
        from codetether.agent.prompt import build_system_prompt

        return await _fresh(self._prompts, (spec.name, cwd),
                            lambda: asyncio.to_thread(build_system_prompt, spec, cwd, project))

    async def protected(self, root: Path) -> tuple[Path, ...]:
        """The project config paths a sandbox in `root` keeps read-only (sandbox.settings.protected_for)."""
        from codetether.sandbox.settings import protected_for

        return await _fresh(self._protected, root, lambda: asyncio.to_thread(protected_for, root))

    def forget_model(self, model_id: str | None) -> None:
        """A provider refused its key: the next task reads Vault again."""
        self._models.pop(model_id, None)

    async def aclose(self) -> None:
        providers = [f.result() for _, f in self._models.values() if f.done() and not _failed(f)] + self._retired
        self._models.clear()
        await asyncio.gather(*(p.provider.aclose() for p in providers), return_exceptions=True)
        if self._store is not None:
            await asyncio.to_thread(self._store.close)
            self._store = None


async def _fresh(table: dict[Any, tuple[float, asyncio.Future[T]]], key: Any,
                 make: Callable[[], Awaitable[T]]) -> T:
    """The value `make` gave for `key` less than PROJECT_TTL ago (concurrent askers share one), or a new one."""
    entry = table.get(key)
    if entry is None or time.monotonic() - entry[0] >= PROJECT_TTL or _failed(entry[1]):
        entry = (time.monotonic(), asyncio.ensure_future(make()))
        table[key] = entry
    return await asyncio.shield(entry[1])


def _failed(future: asyncio.Future[object]) -> bool:
    return future.done() and (future.cancelled() or future.exception() is not None)
