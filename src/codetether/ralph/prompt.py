"""The message each fresh Ralph iteration starts from: the story, the PRD, and the run's memory."""

from __future__ import annotations

import json
from pathlib import Path

from codetether.ralph.prd import Prd, Story


def story_prompt(prd: Prd, story: Story, *, iteration: int, attempt: int, prd_file: str, progress_path: Path,
                 progress_tail: str, git_log: str, last_failure: str | None) -> str:
    checks = "\n".join(f"- {name}: `{cmd}`" for name, cmd in prd.quality_checks) or \
        f"(none configured: the story passes when you end with `STORY_COMPLETE: {story.id}`)"
    criteria = "\n".join(f"- {c}" for c in story.acceptance_criteria) or "- (none listed; use the description)"
    sections = [
        f"Ralph iteration {iteration}: implement story {story.id} ({story.title}), attempt {attempt}.",
        "You are one iteration of an autonomous loop working through a PRD one story at a time. Nothing from "
        "earlier iterations is in your context: the PRD, progress.txt and git history below are the memory.",
        f"## Story {story.id}: {story.title}\n\n{story.description}\n\nAcceptance criteria:\n{criteria}",
    ]
    if story.raw.get("verification_steps"):
        sections.append("Verification steps:\n" + json.dumps(story.raw["verification_steps"], indent=2))
    sections.append(f"## PRD\n\n{prd.summary()}")
    if last_failure:
        sections.append(f"## Previous attempt failed\n\nThe last attempt at {story.id} did not pass the quality "
                        f"checks. Fix this first:\n\n{last_failure}")
    sections += [
        f"## Quality checks\n\nAfter you finish, the loop runs these in order (you may run them yourself "
        f"first):\n{checks}",
        f"## Previous progress ({progress_path.name}, latest last)\n\n{progress_tail or '(empty: first iteration)'}",
        f"## Recent commits\n\n{git_log or '(no commits yet)'}",
        "## Instructions\n\n"
        f"1. Implement only story {story.id}, with the tools; keep the change focused and add tests for it.\n"
        "2. Make the quality checks pass; read the failure above carefully if there is one.\n"
        f"3. Do not edit {prd_file} and do not commit: the loop marks the story and commits when the "
        "checks pass.\n"
        f"4. Before you finish, append (never overwrite) a few lines to {progress_path.name}: what you did, "
        f"what you learned about this codebase, and any blocker. For example with bash: "
        f"`printf '%s\\n' '## {story.id}' '- learned: ...' >> {progress_path.name}`.\n"
        f"5. End your reply with `STORY_COMPLETE: {story.id}` when done, or `STORY_BLOCKED: <reason>`.",
    ]
    return "\n\n".join(sections)

