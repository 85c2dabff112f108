"""A platform task whose agent_type is ralph: the real Ralph loop over the PRD the task carries (metadata.prd), names
(metadata.prd_path) or describes (the prompt, drafted into stories by the model), streamed as `[ralph] …` lines."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from codetether.a2a.worker.outcome import Outcome, record_exchange
from codetether.a2a.worker.tasks import TaskSpec
from codetether.agent import events as ev
from codetether.config.load import Config
from codetether.errors import CodetetherError
from codetether.ralph import events as rl


class RalphLines:
    """Turns Ralph events into stream lines: iterations, each tool a story agent starts, checks, verdicts."""

    def __init__(self, put: Callable[[str], None]):
        self.put = put

    def __call__(self, event: rl.RalphEvent) -> None:
        if isinstance(event, rl.RalphStarted):
            done = sum(s.passes for s in event.stories)
            self.put(f"[ralph] started prd={event.prd} branch={event.branch} stories={len(event.stories)} "
                     f"passing={done} max_iterations={event.max_iterations}")
        elif isinstance(event, rl.IterationStarted):
            self.put(f"[ralph] iteration={event.iteration}/{event.max_iterations} story={event.story_id} "
                     f"attempt={event.attempt}")
        elif isinstance(event, rl.StoryActivity) and isinstance(event.event, ev.ToolCallStarted):
            self.put(f"[ralph] story={event.story_id} tool={event.event.name}")
        elif isinstance(event, rl.CheckDone):
            self.put(f"[ralph] story={event.story_id} check={event.name} passed={str(event.passed).lower()} "
                     f"seconds={event.seconds:.1f}" + (f" detail={event.detail}" if event.detail else ""))
        elif isinstance(event, rl.StoryPassed):
            self.put(f"[ralph] story={event.story_id} status=passed commit={event.commit}")
        elif isinstance(event, rl.StoryFailed):
            self.put(f"[ralph] story={event.story_id} status=failed reason={' '.join(event.reason.split())[:300]}")
        elif isinstance(event, rl.RalphDone):
            self.put(f"[ralph] complete status={event.status} passed={event.passed}/{event.total} "
                     f"iterations={event.iterations}")


async def run_ralph_task(task: TaskSpec, config: Config, put: Callable[[str], None]) -> Outcome:
    from codetether.ralph.loop import RalphLoop, RalphOptions
    from codetether.ralph.report import status_dict, status_text

    path = await _prd_file(task, config, put)
    options = RalphOptions(path, task.model, task.ralph.max_iterations, assume_yes=True)
    loop = RalphLoop(config, options, log=lambda line: None, observe=RalphLines(put))
    summary = await loop.run()
    text = status_text(status_dict(path)) + (f"\n\nCommits: {', '.join(summary.commits)}" if summary.commits else "")
    session_id = record_exchange(task, "ralph", text)
    if summary.status == "completed":
        return Outcome("completed", text, None, session_id)
    why = summary.error or {"max_iterations": "the iteration budget ran out before every story passed",
                            "quality_failed": "no story passed its quality checks",
                            "stopped": "the run was stopped"}.get(summary.status, summary.status)
    return Outcome("failed", text, f"Ralph {summary.status}: {why} ({len(summary.passed)}/"
                                   f"{len(summary.passed) + len(summary.failed)} stories pass)", session_id)


async def _prd_file(task: TaskSpec, config: Config, put: Callable[[str], None]) -> Path:
    """The PRD to run: the task's own (written to prd_path), the file prd_path names, or one drafted now."""
    from codetether.ralph.create import draft_prd, write_prd
    from codetether.ralph.prd import Prd

    opts = task.ralph
    path = (task.workspace / opts.prd_path).resolve()
    if task.workspace not in (path, *path.parents):
        raise CodetetherError(f"metadata.prd_path {opts.prd_path!r} leads outside the workspace {task.workspace}")
    if opts.prd is not None:
        prd = Prd(opts.prd, "metadata.prd")  # a broken PRD is reported before anything is written
        if path.exists() and json.loads(path.read_text(encoding="utf-8") or "null") != opts.prd:
            if Prd.load(path).branch != prd.branch or Prd.load(path).feature != prd.feature:
                raise CodetetherError(f"{opts.prd_path} in the workspace holds another PRD; not overwriting it",
                                      "Give metadata.prd_path a new file name for this PRD.")
            put(f"[ralph] {opts.prd_path} already holds this feature's PRD: continuing it")
            return path
        if not path.exists():
            write_prd(path, opts.prd)
            put(f"[ralph] wrote the task's PRD to {opts.prd_path}")
        return path
    if path.exists():
        return path
    put(f"[ralph] no PRD at {opts.prd_path}: drafting the stories from the task's description")
    data = await draft_prd(config, model_id=task.model, feature=opts.feature or task.title,
                           project=opts.project or task.workspace.name, description=task.prompt,
                           cwd=task.workspace, log=lambda line: put(f"[ralph] {line}"))
    write_prd(path, data)
    put(f"[ralph] wrote {opts.prd_path}: {len(data['user_stories'])} stories")
    return path
