"""What `ralph status` shows: each story's state, attempts and last failure, plus the run's progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codetether.ralph import progress
from codetether.ralph.prd import Prd
from codetether.ralph.state import load_state, running_pid


def status_dict(path: Path) -> dict[str, Any]:
    """Everything known about a PRD's run, read from disk only (no git, no model)."""
    prd = Prd.load(path)
    state = load_state(path)
    stories = []
    for story in prd.stories:
        record = state.stories.get(story.id)
        attempts = record.attempts if record else 0
        waiting = [d for d in story.depends_on if not prd.story(d).passes]
        if story.passes:
            label = "passed"
        elif record and record.last_failure_line:
            label = "failing"
        elif waiting:
            label = "blocked"
        else:
            label = "pending"
        stories.append({"id": story.id, "title": story.title, "state": label, "passes": story.passes,
                        "priority": story.priority, "depends_on": story.depends_on, "waiting_on": waiting,
                        "attempts": attempts,
                        "last_failure": None if story.passes or not record else record.last_failure_line})
    upcoming = prd.next_story()
    return {"prd": str(path.resolve()), "project": prd.project, "feature": prd.feature, "branch": prd.branch,
            "progress": {"passed": len(prd.passed), "total": len(prd.stories)},
            "next_story": upcoming.id if upcoming else None, "iterations": state.iterations,
            "running_pid": running_pid(path), "last_run": state.last_run or None, "stories": stories,
            "progress_tail": progress.tail(path.resolve().parent / "progress.txt", lines=10).splitlines()}


def status_text(info: dict[str, Any]) -> str:
    done = info["progress"]["passed"] == info["progress"]["total"]
    lines = ["# Ralph Complete!" if done else "# Ralph Status", "",
             f"**Project:** {info['project']}", f"**Feature:** {info['feature']}", f"**Branch:** {info['branch']}",
             f"**Progress:** {info['progress']['passed']}/{info['progress']['total']} stories",
             f"**Iterations:** {info['iterations']}"]
    last = info.get("last_run")
    if info.get("running_pid"):
        lines.append(f"**Run:** running now (pid {info['running_pid']})")
    elif last:
        lines.append(f"**Last run:** {last.get('status')} after {last.get('iterations', 0)} iterations"
                     + (f" ({last['error']})" if last.get("error") else ""))
    if info.get("next_story"):
        lines.append(f"**Next story:** {info['next_story']}")
    lines += ["", "## Stories", ""]
    for s in info["stories"]:
        extra = [f"attempts {s['attempts']}"] if s["attempts"] else []
        if s["waiting_on"]:
            extra.append(f"waiting on {', '.join(s['waiting_on'])}")
        line = f"- [{'x' if s['passes'] else ' '}] {s['id']}: {s['title']} ({s['state']}"
        line += f"; {'; '.join(extra)})" if extra else ")"
        if s["last_failure"]:
            line += f"\n  last failure: {s['last_failure']}"
        lines.append(line)
    if info["progress_tail"]:
        lines += ["", "## Recent progress", "", *info["progress_tail"]]
    return "\n".join(lines)
