"""The PRD file (prd.json): parsing, validation that names the field and story, and atomic rewrites."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codetether.errors import CodetetherError
from codetether.tool.support.fsutil import atomic_write

CHECK_ORDER = ("typecheck", "lint", "test", "build")


class PrdError(CodetetherError):
    """A PRD that cannot be used; the message names every problem found."""


@dataclass
class Story:
    raw: dict[str, Any]  # the story's own object in the file, so unknown fields survive a rewrite
    id: str
    title: str
    description: str
    acceptance_criteria: list[str]
    priority: int
    complexity: int
    depends_on: list[str]
    passes: bool


class Prd:
    """A validated PRD; `data` is the file's JSON object, rewritten as-is apart from what Ralph changes."""

    def __init__(self, data: dict[str, Any], source: str = "prd.json"):
        problems: list[str] = []
        self.data = data
        self.project = _text(data, "project", problems)
        self.feature = _text(data, "feature", problems)
        self.branch_key = "branch_name" if "branch_name" in data and "branch" not in data else "branch"
        branch = data.get(self.branch_key)
        if branch is not None and (not isinstance(branch, str) or not branch.strip()):
            problems.append(f"'{self.branch_key}' must be a non-empty string (a git branch name), got {branch!r}")
        self.branch = branch.strip() if isinstance(branch, str) and branch.strip() else default_branch(self.feature)
        self.quality_checks = _checks(data.get("quality_checks"), problems)
        self.stories = _stories(data.get("user_stories"), problems)
        if not problems:
            problems += _dependency_problems(self.stories)
        if problems:
            raise PrdError(_describe(source, problems),
                           "Fix the PRD file (see `codetether ralph create-prd` for a valid template).")

    @classmethod
    def parse(cls, text: str, source: str = "prd.json") -> Prd:
        try:
            data = json.loads(text)
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            where = f" at line {line}, column {exc.colno}" if line else ""  # type: ignore[attr-defined]
            msg = getattr(exc, "msg", str(exc))
            raise PrdError(f"{source} is not valid JSON: {msg}{where}", "Fix the JSON syntax and try again.") from None
        if not isinstance(data, dict):
            raise PrdError(f"{source} must hold a JSON object with 'project', 'feature' and 'user_stories', "
                           f"not a {type(data).__name__}")
        return cls(data, source)

    @classmethod
    def load(cls, path: Path) -> Prd:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PrdError(f"PRD file {path} does not exist",
                           "Create one with: codetether ralph create-prd --feature F --project-name P") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise PrdError(f"cannot read PRD file {path}: {getattr(exc, 'strerror', None) or exc}") from None
        return cls.parse(text, str(path))

    def story(self, story_id: str) -> Story:
        for story in self.stories:
            if story.id == story_id:
                return story
        raise PrdError(f"the PRD has no story '{story_id}'")

    @property
    def passed(self) -> list[Story]:
        return [s for s in self.stories if s.passes]

    @property
    def complete(self) -> bool:
        return all(s.passes for s in self.stories)

    def ready(self, story: Story) -> bool:
        done = {s.id for s in self.passed}
        return not story.passes and all(d in done for d in story.depends_on)

    def next_story(self) -> Story | None:
        """The highest-priority story (1 is highest, then the simplest) whose dependencies all pass."""
        candidates = [(s.priority, s.complexity, i, s) for i, s in enumerate(self.stories) if self.ready(s)]
        return min(candidates, key=lambda c: c[:3])[3] if candidates else None

    def set_passes(self, story_id: str, passes: bool) -> None:
        story = self.story(story_id)
        story.passes = story.raw["passes"] = passes

    def to_json(self) -> str:
        return json.dumps(self.data, indent=2, ensure_ascii=False) + "\n"

    def save(self, path: Path) -> None:
        atomic_write(path, self.to_json())

    def summary(self) -> str:
        lines = [f"Project: {self.project}", f"Feature: {self.feature}", f"Branch: {self.branch}",
                 f"Progress: {len(self.passed)}/{len(self.stories)} stories pass", "Stories:"]
        for s in self.stories:
            deps = f" (depends on {', '.join(s.depends_on)})" if s.depends_on else ""
            lines.append(f"- [{'x' if s.passes else ' '}] {s.id}: {s.title} [priority {s.priority}]{deps}")
        return "\n".join(lines)


def default_branch(feature: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", feature.lower()).strip("-.") or "ralph"
    return f"feature/{slug}"


def _describe(source: str, problems: list[str]) -> str:
    if len(problems) == 1:
        return f"{source}: {problems[0]}"
    shown = problems[:12] + ([f"... and {len(problems) - 12} more"] if len(problems) > 12 else [])
    return f"{source} has {len(problems)} problems:\n" + "\n".join(f"  - {p}" for p in shown)


def _text(data: dict[str, Any], key: str, problems: list[str], where: str = "") -> str:
    value = data.get(key)
    if key not in data:
        problems.append(f"{where}'{key}' is required")
    elif not isinstance(value, str) or not value.strip():
        problems.append(f"{where}'{key}' must be a non-empty string, got {_shown(value)}")
    return value.strip() if isinstance(value, str) else ""


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _checks(value: Any, problems: list[str]) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, dict):
        problems.append(f"'quality_checks' must be an object like {{\"test\": \"pytest -q\"}}, got {_shown(value)}")
        return []
    checks = []
    for name, command in value.items():
        if name not in CHECK_ORDER:
            problems.append(f"'quality_checks.{name}' is not a known check; use {', '.join(CHECK_ORDER)}")
        elif command is not None and not isinstance(command, str):
            problems.append(f"'quality_checks.{name}' must be a shell command string or null, got {_shown(command)}")
    for name in CHECK_ORDER:  # always run in this order, whatever order the file lists them in
        command = value.get(name)
        if isinstance(command, str) and command.strip():
            checks.append((name, command.strip()))
    return checks


def _stories(value: Any, problems: list[str]) -> list[Story]:
    if value is None:
        problems.append("'user_stories' is required (a list of stories)")
        return []
    if not isinstance(value, list) or not value:
        problems.append(f"'user_stories' must be a non-empty list of stories, got {_shown(value)}")
        return []
    stories, seen = [], set()
    for index, raw in enumerate(value):
        if not isinstance(raw, dict):
            problems.append(f"user_stories[{index}] must be an object, got {_shown(raw)}")
            continue
        ident = raw.get("id")
        where = f"user_stories[{index}]" + (f" ({ident})" if isinstance(ident, str) and ident.strip() else "") + ": "
        story_id = _text(raw, "id", problems, where)
        if story_id and story_id in seen:
            problems.append(f"{where}duplicate story id '{story_id}'; every story needs its own id")
        seen.add(story_id)
        title = _text(raw, "title", problems, where)
        description = raw.get("description")
        if not isinstance(description, str):
            problems.append(f"{where}'description' is required (a string)" if "description" not in raw
                            else f"{where}'description' must be a string, got {_shown(description)}")
        if "depends_on" in raw and "dependencies" in raw:
            problems.append(f"{where}give either 'depends_on' or 'dependencies', not both")
        deps_key = "dependencies" if "dependencies" in raw and "depends_on" not in raw else "depends_on"
        stories.append(Story(
            raw, story_id, title, description if isinstance(description, str) else "",
            _string_list(raw, "acceptance_criteria", where, problems),
            _integer(raw, "priority", 1, where, problems, 1), _integer(raw, "complexity", 3, where, problems, 1, 5),
            _string_list(raw, deps_key, where, problems), _boolean(raw, "passes", where, problems)))
    return stories


def _string_list(raw: dict[str, Any], key: str, where: str, problems: list[str]) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}'{key}' must be a list of strings, got {_shown(value)}")
        return []
    return [v.strip() for v in value]


def _integer(raw: dict[str, Any], key: str, default: int, where: str, problems: list[str],
             low: int, high: int | None = None) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        span = f"from {low} to {high}" if high is not None else f"of at least {low}"
        problems.append(f"{where}'{key}' must be an integer {span}, got {_shown(value)}")
        return default
    return value


def _boolean(raw: dict[str, Any], key: str, where: str, problems: list[str]) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        problems.append(f"{where}'{key}' must be true or false, got {_shown(value)}")
        return False
    return value


def _dependency_problems(stories: list[Story]) -> list[str]:
    ids = {s.id for s in stories}
    problems = [f"story {s.id}: depends_on names unknown story '{d}'; known ids: {', '.join(sorted(ids))}"
                for s in stories for d in s.depends_on if d not in ids]
    if problems:
        return problems
    graph = {s.id: s.depends_on for s in stories}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for dep in graph[node]:
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep] if dep in path else [node, dep]
            if dep not in state and (cycle := visit(dep, path + [dep])):
                return cycle
        state[node] = 2
        return None

    for story in stories:
        if story.id not in state and (cycle := visit(story.id, [story.id])):
            return [f"dependency cycle: {' -> '.join(cycle)}; remove one of these depends_on entries"]
    return []
