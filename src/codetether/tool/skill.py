"""The skill tool: list and load skills, folders holding a SKILL.md, from the project and the user's config."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, NamedTuple

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for
from codetether.tool.support.fsutil import read_bytes

SKILL_FILE = "SKILL.md"
MAX_BODY_CHARS = 50_000
MAX_LISTED_FILES = 50

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "enum": ["list", "load"]},
        "name": {"type": "string", "description": "Skill to load, or skill/file for one of its files"},
    },
    "required": ["action"],
}


class Skill(NamedTuple):
    name: str
    description: str
    folder: Path
    body: str
    tools: tuple[str, ...] = ()  # front matter `allowed-tools` / `tools`, as written (Read, read_file, bash, ...)


def skill_dirs(ctx: ToolContext) -> list[Path]:
    """Project skills first, so they win over the user's skills of the same name."""
    from codetether.config.paths import config_dir

    return [ctx.root / ".codetether" / "skills", config_dir() / "skills"]


def parse(folder: Path, root: Path | None = None) -> Skill:
    """Read a SKILL.md (beneath `root`, the workspace, for a project's skill): `---` front matter with name and
    description lines, then the body."""
    text = read_bytes(folder / SKILL_FILE, root).decode("utf-8", "replace")
    meta: dict[str, str] = {}
    body = text
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), None)
        if end is not None:
            for line in lines[1:end]:
                key, sep, value = line.partition(":")
                if sep and not line.startswith((" ", "\t")):
                    meta[key.strip().lower()] = value.strip().strip("\"'")
            body = "\n".join(lines[end + 1:])
    first = next((line.strip("# ").strip() for line in body.splitlines() if line.strip()), "")
    listed = meta.get("allowed-tools") or meta.get("allowed_tools") or meta.get("tools") or ""
    tools = tuple(t for t in re.split(r"[\s,]+", listed.strip("[]")) if t.strip("\"'"))
    return Skill(meta.get("name") or folder.name, meta.get("description") or first, folder, body.strip(),
                 tuple(t.strip("\"'") for t in tools))


def tools_line(skill: Skill, available: list[str]) -> str:
    """The skill's tools under the names this agent calls them, and any it lacks."""
    from codetether.tool.registry import CORE_TOOLS
    from codetether.tool.support.names import resolve_name

    ours: dict[str, list[str]] = {}
    missing = []
    for given in skill.tools:
        bare = re.sub(r"\(.*\)$", "", given)  # Claude-style Bash(git:*): the tool is what counts here
        name = resolve_name(bare, available)[0] or resolve_name(bare, list(CORE_TOOLS))[0]
        if name in available:
            ours.setdefault(name, []).extend([given] if given != name else [])
        else:
            missing.append(given)
    line = "Tools this skill uses: " + ", ".join(f"{n} ({', '.join(g)})" if g else n for n, g in ours.items()) \
        if ours else ""
    if missing:
        line += ("\n" if line else "") + f"Not available to you here: {', '.join(missing)}"
    return line


def find_skills(ctx: ToolContext) -> list[Skill]:
    found: dict[str, Skill] = {}
    for base in skill_dirs(ctx):
        if not base.is_dir():
            continue
        for folder in sorted(base.iterdir()):
            if (folder / SKILL_FILE).is_file():
                try:
                    skill = parse(folder, ctx.confinement(folder))
                except OSError:
                    continue  # a project skill whose file leads outside the workspace is not a skill
                found.setdefault(skill.name, skill)
    return sorted(found.values(), key=lambda s: s.name)


def _other_files(folder: Path) -> list[str]:
    files = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            rel = os.path.relpath(os.path.join(dirpath, name), folder)
            if rel != SKILL_FILE:
                files.append(rel)
    return files


def _load_file(skill: Skill, rel: str) -> ToolResult:
    folder = skill.folder.resolve()
    path = (folder / rel).resolve()
    if folder not in path.parents or not path.is_file():
        raise ToolError(f"'name': the skill {skill.name!r} has no file {rel!r}; load the skill to see its files")
    text = read_bytes(skill.folder / rel, skill.folder).decode("utf-8", "replace")  # no link out of the skill
    if len(text) > MAX_BODY_CHARS:
        text = text[:MAX_BODY_CHARS] + "\n[… file truncated]"
    return ToolResult(f"# {skill.name}/{rel}\n\n{text}", metadata={"name": skill.name, "file": rel})


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    skills = find_skills(ctx)
    if args["action"] == "list":
        if not skills:
            where = " or ".join(str(d) for d in skill_dirs(ctx))
            return ToolResult(f"no skills found (a skill is a folder with a {SKILL_FILE} in {where})")
        return ToolResult("\n".join(f"{s.name}: {s.description}" for s in skills), metadata={"count": len(skills)})
    name = (args.get("name") or "").strip()
    if not name:
        raise ToolError("'name' is required for action 'load'; action 'list' shows the skills")
    name, _, extra = name.partition("/")
    skill = next((s for s in skills if name in (s.name, s.folder.name)), None)
    if skill is None:
        known = ", ".join(s.name for s in skills) or "none"
        raise ToolError(f"no skill named {name!r}; known skills: {known}")
    if extra:
        return _load_file(skill, extra)
    body = skill.body if len(skill.body) <= MAX_BODY_CHARS else skill.body[:MAX_BODY_CHARS] + "\n[… skill truncated]"
    files = _other_files(skill.folder)
    text = f"# Skill: {skill.name} ({skill.folder})\n\n{body}"
    if skill.tools:
        text += "\n\n" + tools_line(skill, ctx.tools.names if ctx.tools is not None else [])
    if files:
        more = f"\n… and {len(files) - MAX_LISTED_FILES} more" if len(files) > MAX_LISTED_FILES else ""
        text += f"\n\nOther files (load one with name \"{skill.name}/<file>\" when the skill refers to it):\n" + \
            "\n".join(f"- {f}" for f in files[:MAX_LISTED_FILES]) + more
    return ToolResult(text, metadata={"name": skill.name, "folder": str(skill.folder), "files": len(files)})


TOOL = Tool(name="skill", description=description_for(__file__), parameters=PARAMETERS, run=run, read_only=True)
