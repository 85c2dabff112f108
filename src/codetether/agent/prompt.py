"""Assemble the system prompt: agent prompt, environment block, project instructions."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from codetether.agent.agents import AgentSpec
from codetether.gitinfo import Project, project_for
from codetether.tool.support.fsutil import read_bytes

INSTRUCTIONS_CAP = 32 * 1024


def build_system_prompt(agent: AgentSpec, cwd: Path, project: Project | None = None) -> str:
    project = project or project_for(cwd)
    sections = [agent.prompt_template().replace("{cwd}", str(cwd)).strip(), environment_block(cwd, project)]
    instructions = project_instructions(cwd, project.root)
    if instructions:
        sections.append(instructions)
    return "\n\n".join(sections)


def environment_block(cwd: Path, project: Project) -> str:
    branch, dirty = project.branch, project.dirty
    lines = [f"Working directory: {cwd}", f"Platform: {_system()}",
             f"Date: {datetime.date.today().isoformat()}"]
    if branch:
        lines.append(f"Git branch: {branch} ({'uncommitted changes' if dirty else 'clean'})")
    else:
        lines.append("Not a git repository")
    return "<env>\n" + "\n".join(lines) + "\n</env>"


def project_instructions(cwd: Path, root: Path) -> str:
    """AGENTS.md files: the global one, then git root down to cwd, capped at 32 KiB in all."""
    files: list[Path] = []
    home = Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex")
    global_file = home / "AGENTS.md"
    if global_file.is_file():
        files.append(global_file)
    cwd = cwd.resolve()
    chain = [cwd, *cwd.parents]
    dirs = list(reversed(chain[: chain.index(root) + 1])) if root in chain else [cwd]
    for d in dirs:
        for name in ("AGENTS.override.md", "AGENTS.md"):
            if (d / name).is_file():
                files.append(d / name)
                break
    parts, used = [], 0
    for path in files:
        try:  # a project's file is read beneath the project: a link to elsewhere is skipped, never followed
            inside = root if root in path.parents else None
            text = read_bytes(path, inside).decode("utf-8", "replace").strip()
        except OSError:
            continue
        if not text:
            continue
        chunk = f"### From {path}\n\n{text}"
        room = INSTRUCTIONS_CAP - used
        if room <= 0:
            break
        chunk = chunk.encode()[:room].decode("utf-8", errors="ignore")
        parts.append(chunk)
        used += len(chunk.encode())
    return "## Project Instructions (AGENTS.md)\n\n" + "\n\n".join(parts) if parts else ""



def _system() -> str:
    """linux, darwin, ... as platform.system() says it, without importing platform on every start."""
    if hasattr(os, "uname"):
        return os.uname().sysname.lower()
    import platform

    return platform.system().lower()
