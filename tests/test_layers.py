"""The layering, held by CI: each package may import only the packages below it (imports read by grimp, lazy
ones inside functions included). A failure names the module and the import that crosses a layer."""

from __future__ import annotations

import functools

import grimp
import pytest

UTILITIES = {"errors", "net", "process", "lenient_json"}  # leaves anything may use
FRONT_ENDS = {"cli", "tui", "server", "acp", "api"}  # api: the Python library's (codetether.create_agent, ...)
APPLICATION = FRONT_ENDS | {"a2a", "swarm", "ralph", "rlm", "session", "agent", "mcp", "codesearch", "lsp", "crash",
                            "cognition", "router"}

# package -> the codetether packages it may import (besides itself and the utilities)
ALLOWED: dict[str, set[str]] = {
    "config": set(),
    "secrets": {"config"},
    "sandbox": {"config"},
    "provider": {"config", "secrets", "llama"},
    "llama": set(),
    "images": {"provider"},
    "gitinfo": {"sandbox"},
}
# Single modules that are plain vocabulary (import nothing of ours), which a lower layer may name.
VOCABULARY = {"codetether.tool.support.names"}  # the tool names models and config files use, mapped to ours


@functools.cache
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("codetether", cache_dir=None)


def package_of(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def imports_of(package: str) -> set[tuple[str, str]]:
    g = graph()
    found = set()
    for module in g.modules:
        if package_of(module) != package:
            continue
        for imported in g.find_modules_directly_imported_by(module):
            target = package_of(imported)
            if target and target != package and target not in UTILITIES:
                found.add((module, imported))
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_lower_layers_import_only_what_is_below_them(package: str):
    crossing = sorted(f"{module} imports {imported}" for module, imported in imports_of(package)
                      if package_of(imported) not in ALLOWED[package] and imported not in VOCABULARY)
    assert not crossing, f"{package} may import only {sorted(ALLOWED[package]) or 'utilities'}:\n" + "\n".join(crossing)


def test_vocabulary_modules_import_nothing_of_ours():
    for module in VOCABULARY:
        ours = {m for m in graph().find_modules_directly_imported_by(module) if m.startswith("codetether.")}
        assert not ours, f"{module} is vocabulary a lower layer uses; it must not import {sorted(ours)}"


@pytest.mark.parametrize("package", sorted(FRONT_ENDS - {"cli"}))
def test_front_ends_are_reached_only_from_the_cli_or_the_api(package: str):
    g = graph()
    importers = {package_of(m) for m in g.modules if package_of(m) != package
                 for imported in g.find_modules_directly_imported_by(m) if package_of(imported) == package}
    # The Python API serves A2A as `serve` does; the root package ("") re-exports the API, and only it.
    allowed = {"cli", "server", "api"} | ({""} if package == "api" else set())
    assert importers <= allowed, f"{package} is a front end; imported from {sorted(importers)}"


def test_the_agent_loop_knows_no_front_end_or_orchestrator():
    """The loop is written once and reused: it must not reach up into what drives it."""
    up = APPLICATION - {"agent", "rlm", "router"}  # the loop calls the RLM hook and the router it is given
    crossing = sorted(f"{module} imports {imported}" for module, imported in imports_of("agent")
                      if module in ("codetether.agent.loop", "codetether.agent.events", "codetether.agent.calls")
                      and package_of(imported) in up)
    assert not crossing, "\n".join(crossing)


def test_tool_base_depends_only_on_the_lower_layers():
    """What every tool is handed (ToolContext, ToolResult) stays small: no agent, session or front end."""
    g = graph()
    for module in ("codetether.tool.base",):
        ours = {package_of(m) for m in g.find_modules_directly_imported_by(module) if m.startswith("codetether.")}
        assert ours <= {"tool", "config", "sandbox", "provider", "secrets"} | UTILITIES, (module, sorted(ours))
