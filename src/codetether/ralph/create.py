"""New PRDs: a valid template, or stories drafted by a model from a description (validated, re-asked once)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codetether.config.load import Config
from codetether.errors import CodetetherError
from codetether.ralph.detect import detect_checks
from codetether.ralph.prd import Prd, PrdError, default_branch


def template(feature: str, project: str, cwd: Path) -> dict[str, Any]:
    return {"project": project, "feature": feature, "branch": default_branch(feature), "version": "1.0",
            "quality_checks": detect_checks(cwd)[0],
            "user_stories": [{"id": "US-001", "title": "First user story",
                              "description": f"Describe the first piece of {feature}",
                              "acceptance_criteria": ["Describe what must be true when it is done"],
                              "priority": 1, "complexity": 2, "depends_on": [], "passes": False}]}


def write_prd(path: Path, data: dict[str, Any], *, force: bool = False) -> Prd:
    """Validate, then write atomically; an existing file is kept unless force is set."""
    prd = Prd(data, str(path))
    if path.exists() and not force:
        raise CodetetherError(f"{path} already exists; not overwriting it", "Pass --force, or choose --output.")
    path.parent.mkdir(parents=True, exist_ok=True)
    prd.save(path)
    return prd


DRAFT_PROMPT = """Write the user stories for a PRD (product requirements document) for this feature.

Project: {project}
Feature: {feature}
Description:
{description}

Reply with only a JSON object, no prose and no code fence, of this shape:
{{"user_stories": [{{"id": "US-001", "title": "...", "description": "...",
  "acceptance_criteria": ["..."], "priority": 1, "complexity": 2, "depends_on": [], "passes": false}}],
 "quality_checks": {{"typecheck": null, "lint": "...", "test": "...", "build": null}}}}

Rules: ids are unique ("US-001", "US-002", ...); priority 1 is the highest; complexity is 1 to 5; depends_on
lists ids of stories that must be done first (no cycles); every story is small enough for one focused session
and testable. Omit quality_checks to keep these: {checks}"""


def parse_draft(text: str, base: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The model's reply merged into the template; (data, None) when valid, else (None, the problem)."""
    body = re.sub(r"^```[a-zA-Z]*\s*|\s*```$", "", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        return None, "the reply contains no JSON object"
    try:
        draft = json.loads(body[start:end + 1])
    except ValueError as exc:
        return None, f"the reply is not valid JSON ({getattr(exc, 'msg', exc)} at char {getattr(exc, 'pos', '?')})"
    if not isinstance(draft, dict):
        return None, "the reply must be a JSON object with 'user_stories'"
    data = {**base, **{k: v for k, v in draft.items() if k not in ("project", "feature", "branch")}}
    try:
        Prd(data, "the draft")
    except PrdError as exc:
        return None, exc.message
    return data, None


async def draft_prd(config: Config, *, model_id: str | None, feature: str, project: str, description: str,
                    cwd: Path, log: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Ask the model for the stories through the one agent loop (chat agent, no tools); one retry."""
    from codetether.session.turn import SessionRun

    base = template(feature, project, cwd)
    prompt = DRAFT_PROMPT.format(project=project, feature=feature, description=description,
                                 checks=json.dumps(base["quality_checks"]))
    run = await SessionRun.open(config, cwd=cwd, model_id=model_id, agent_name="chat")
    try:
        problem = None
        for attempt in (1, 2):
            result = await run.turn(prompt)
            if result.error:
                raise CodetetherError(f"the model could not draft the PRD: {result.error}")
            data, problem = parse_draft(result.text, base)
            if data is not None:
                return data
            log(f"draft {attempt} was not a valid PRD: {problem.splitlines()[0]}")
            prompt = (f"That reply cannot be used: {problem}\nReply again with only the corrected JSON object "
                      "described before.")
    finally:
        await run.aclose()
    raise CodetetherError(f"the model's PRD draft was still invalid after one retry: {problem}",
                          "Try again, use another model, or start from the template (omit --from).")
