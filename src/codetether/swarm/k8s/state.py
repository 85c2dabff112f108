"""A pod's state as the executor needs it: finished or not, infrastructure failures, resource health."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PULL_FAILURES = {"errimagepull", "imagepullbackoff", "invalidimagename", "errimageneverpull"}
CREATE_FAILURES = {"createcontainerconfigerror", "createcontainererror", "runcontainererror"}


@dataclass
class PodFailure:
    message: str
    retryable: bool


@dataclass
class PodState:
    phase: str = "Pending"
    ready: bool = False
    restart_count: int = 0
    reason: str | None = None  # the container's waiting/terminated reason, else the pod's
    message: str | None = None
    exit_code: int | None = None
    terminated: bool = False
    image: str = ""
    unschedulable: str | None = None  # the scheduler's explanation while the pod waits for a node
    pod_reason: str | None = None  # the pod's own (Evicted, DeadlineExceeded): it outranks the container's
    pod_message: str | None = None

    @classmethod
    def from_pod(cls, pod: dict[str, Any]) -> PodState:
        status = pod.get("status") or {}
        containers = (pod.get("spec") or {}).get("containers") or [{}]
        state = cls(phase=status.get("phase") or "Pending", reason=status.get("reason"),
                    message=status.get("message"), image=containers[0].get("image", ""),
                    pod_reason=status.get("reason"), pod_message=status.get("message"))
        for cond in status.get("conditions") or []:
            if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
                state.unschedulable = cond.get("message") or cond.get("reason")
        statuses = status.get("containerStatuses") or []
        if statuses:
            first = statuses[0]
            state.ready, state.restart_count = bool(first.get("ready")), int(first.get("restartCount") or 0)
            current = first.get("state") or {}
            waiting, terminated = current.get("waiting"), current.get("terminated")
            if terminated:
                state.terminated, state.exit_code = True, terminated.get("exitCode")
                state.reason = terminated.get("reason") or state.reason
                state.message = terminated.get("message") or state.message
            elif waiting:
                state.reason, state.message = waiting.get("reason"), waiting.get("message")
        return state

    @property
    def finished(self) -> bool:
        return self.terminated or self.phase.lower() in ("succeeded", "failed")

    def failure(self) -> PodFailure | None:
        """An infrastructure failure that ends the attempt before (or instead of) a reported result."""
        reason, detail = (self.reason or "").lower(), f": {self.message}" if self.message else ""
        if self.pod_reason:
            reason, detail = self.pod_reason.lower(), f": {self.pod_message}" if self.pod_message else ""
        if reason in PULL_FAILURES:
            return PodFailure(f"the image {self.image} could not be pulled ({self.reason}{detail}); check "
                              "--k8s-image (swarm.k8s_subagent_image) and that the cluster can reach its registry",
                              False)
        if reason in CREATE_FAILURES:
            return PodFailure(f"the pod's container could not be started ({self.reason}{detail})", False)
        if reason == "evicted":
            return PodFailure(f"the pod was evicted{detail or ' by the node'}", True)
        if reason == "oomkilled":
            return PodFailure("the sub-agent ran out of memory in its pod (OOMKilled; limit "
                              "1Gi)", True)
        if reason == "deadlineexceeded":
            return PodFailure(f"the pod passed its activeDeadlineSeconds{detail}", True)
        return None

    def resource_health(self) -> tuple[float, int]:
        """The seed's score in [0, 1] and the count of unhealthy signals, for the collapse controller."""
        reason, phase = (self.reason or "").lower(), self.phase.lower()
        if reason == "oomkilled" or reason in PULL_FAILURES:
            return 0.0, 3
        if reason == "crashloopbackoff" or phase == "failed":
            return 0.1, 2
        score, signals = 1.0, 0
        if not self.ready:
            score -= 0.2
        if reason:
            score, signals = score - 0.3, signals + 1
        if self.restart_count > 0:
            score, signals = score - min(self.restart_count, 3) * 0.2, signals + 1
        return min(1.0, max(0.0, score)), signals


def missing_pod_health() -> tuple[float, int]:
    """A pod whose state could not be read counts as barely healthy (the seed's 0.2)."""
    return 0.2, 1
