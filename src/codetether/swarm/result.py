"""The seed's SwarmResult shape, as printed by `codetether swarm --json`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class SubTaskResult:
    subtask_id: str
    subagent_id: str
    success: bool
    result: str
    steps: int = 0
    tool_calls: int = 0
    execution_time_ms: int = 0
    error: str | None = None
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    retry_count: int = 0
    # Beyond the seed: where the subtask sat and what happened to its edits.
    name: str = ""
    stage: int = 0
    changed_files: list[str] = field(default_factory=list)
    merge: dict[str, Any] | None = None
    session_id: str | None = None
    cached: bool = False


@dataclass
class StageStats:
    stage: int
    subagent_count: int
    max_steps: int
    total_steps: int
    execution_time_ms: int


@dataclass
class SwarmStats:
    subagents_spawned: int = 0
    subagents_completed: int = 0
    subagents_failed: int = 0
    total_tool_calls: int = 0
    critical_path_length: int = 0  # sum of each stage's max steps, as in the seed
    execution_time_ms: int = 0
    sequential_time_estimate_ms: int = 0
    speedup_factor: float = 0.0
    stages: list[StageStats] = field(default_factory=list)
    rate_limit_stats: dict[str, Any] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0
    critical_path: list[str] = field(default_factory=list)  # subtask ids of the longest dependency chain
    prompt_tokens: int = 0
    completion_tokens: int = 0
    spawn_ms_per_agent: float = 0.0  # constructing one sub-agent (worktree creation excluded)

    def finish(self, results: list[SubTaskResult], elapsed_ms: int) -> None:
        self.execution_time_ms = elapsed_ms
        self.sequential_time_estimate_ms = sum(r.execution_time_ms for r in results)
        self.critical_path_length = sum(s.max_steps for s in self.stages)
        parallel = len(results) > 1  # one sub-agent ran alone: there is nothing to have sped up
        self.speedup_factor = (round(self.sequential_time_estimate_ms / elapsed_ms, 3) if parallel and elapsed_ms > 0
                               else 1.0)
        self.subagents_completed = sum(r.success for r in results)
        self.subagents_failed = len(results) - self.subagents_completed
        self.total_tool_calls = sum(r.tool_calls for r in results)


@dataclass
class SwarmArtifact:
    artifact_type: str
    name: str
    content: str
    source_subagent: str | None = None
    mime_type: str | None = None


@dataclass
class SwarmResult:
    success: bool
    result: str
    subtask_results: list[SubTaskResult]
    stats: SwarmStats
    artifacts: list[SwarmArtifact] = field(default_factory=list)
    error: str | None = None
    notes: list[str] = field(default_factory=list)  # plan repairs and fallbacks, workspace warnings

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def aggregate(results: list[SubTaskResult]) -> str:
    """The seed's aggregated text: one section per subtask, failures with their error."""
    parts = []
    for n, r in enumerate(results, 1):
        if r.success:
            parts.append(f"=== Subtask {n} ===\n{r.result}\n")
        else:
            parts.append(f"=== Subtask {n} (FAILED) ===\nError: {r.error or 'Unknown error'}\n")
    return "\n".join(parts)


def text_summary(result: SwarmResult) -> str:
    """The seed's text summary, then what a user must act on: conflicts, kept branches, notes."""
    stats = result.stats
    lines = ["=== Swarm Execution Results ===", f"Status: {'SUCCESS' if result.success else 'FAILED'}",
             f"Subtasks: {len(result.subtask_results)}",
             *([f"Speedup: {stats.speedup_factor:.1f}x"] if len(result.subtask_results) > 1 else []),
             f"Critical Path: {stats.critical_path_length} steps",
             f"Stages: {len(stats.stages)} | tool calls {stats.total_tool_calls} | tokens "
             f"{stats.prompt_tokens + stats.completion_tokens} | cache {stats.cache_hits} hit(s), "
             f"{stats.cache_misses} miss(es) | rate limited {stats.rate_limit_stats.get('rate_limit_hits', 0)}x"]
    lines += [f"Note: {note}" for note in result.notes]
    lines += [f"Kept branch: {a.name}" for a in result.artifacts if a.artifact_type == "branch"]
    lines += [f"Shared file written by several sub-agents: {a.name} ({a.content})" for a in result.artifacts
              if a.artifact_type == "shared_write"]
    return "\n".join(lines) + "\n\n" + result.result.rstrip()
