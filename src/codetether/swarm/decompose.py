"""Ask the model for a plan as strict JSON; one repair retry with the error, then fall back to a single task."""

from __future__ import annotations

import json
import re
from typing import Any

from codetether.errors import CodetetherError
from codetether.provider.model import CompletionRequest, Message, Usage
from codetether.swarm.plan import Plan, PlanError, plan_from_data, single_task

STRATEGY_TEXT = {
    "auto": "Analyze the task and determine the optimal way to split it into parallel subtasks.",
    "domain": "Decompose by domain expertise (research, coding, analysis, verification).",
    "data": "Decompose by data partition (files, sections, datasets).",
    "stage": "Decompose by workflow stages (gather, process, synthesize).",
}

PROMPT = """You are a task orchestrator. Split the task below into subtasks that sub-agents run in parallel.

TASK: {task}

STRATEGY: {strategy}

CONSTRAINTS:
- Maximum {max_subagents} subtasks
- Each subtask must be independently executable by an agent with file and shell tools
- Identify dependencies: a subtask that needs another's result lists that subtask's id
- Assign a specialty to each subtask (Researcher, Coder, Tester, Reviewer, ...)
- Subtasks in parallel must not edit the same files

OUTPUT FORMAT: JSON only, no prose:
{{"subtasks": [{{"id": "short-id", "name": "Subtask Name", "instruction": "what to do, precisely",
  "specialty": "Coder", "dependencies": ["id of an earlier subtask"], "priority": 1}}]}}"""

REPAIR = """Repair this invalid swarm decomposition. Return JSON only, with a `subtasks` array as specified.

TASK: {task}
ERROR: {error}
INVALID RESPONSE:
{response}"""

_FENCED = re.compile(r"```(?:json)?\s*\n(.*?)```", re.DOTALL)


def extract_json(text: str) -> Any:
    """The ```json fenced block if any, else the outermost {...}; raises PlanError naming the problem."""
    fenced = _FENCED.search(text)
    candidate = fenced.group(1) if fenced else text[text.find("{"): text.rfind("}") + 1] if "{" in text else text
    try:
        return json.loads(candidate)
    except ValueError as exc:
        raise PlanError(f"the response is not valid JSON ({exc})") from None


async def decompose(model: Any, model_name: str, task: str, strategy: str, max_subagents: int,
                    usage: Usage | None = None) -> Plan:
    """A validated Plan; `none` skips the model, an empty or twice-invalid answer becomes one task."""
    if strategy == "none":
        return single_task(task)
    prompt = PROMPT.format(task=task, strategy=STRATEGY_TEXT[strategy], max_subagents=max_subagents)
    text = await _ask(model, model_name, prompt, usage)
    if not text.strip():
        return single_task(task, "the model returned an empty decomposition; running the task as one subtask")
    try:
        return plan_from_data(extract_json(text), max_subagents)
    except PlanError as exc:
        first_error = str(exc)
    repaired = await _ask(model, model_name, REPAIR.format(task=task, error=first_error, response=text[:8000]), usage)
    try:
        plan = plan_from_data(extract_json(repaired), max_subagents)
    except PlanError as exc:
        return single_task(task, f"the decomposition was invalid twice ({first_error}; then {exc}); "
                                 "running the task as one subtask")
    plan.notes.insert(0, f"the first decomposition was invalid ({first_error}); the repaired one was used")
    return plan


async def _ask(model: Any, model_name: str, prompt: str, usage: Usage | None) -> str:
    request = CompletionRequest(model_name, [Message.text("user", prompt)], [], None, None, False)
    try:
        response = await model.complete(request)
    except CodetetherError as exc:
        raise CodetetherError(f"the task could not be decomposed: {exc.message}", exc.hint) from None
    if usage is not None:
        usage.add(response.usage)
    return response.message.text_content
