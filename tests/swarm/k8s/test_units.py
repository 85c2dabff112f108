"""Pod mode's pure parts: names, namespace resolution, payloads, pod state, the hidden entrypoint, start-up cost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codetether.config.swarm import swarm_config
from codetether.swarm.collapse import CollapseController, Observation
from codetether.swarm.k8s.podspec import (
    RESULT_PREFIX,
    RemotePayload,
    dns_label,
    last_line,
    pod_name,
    resolve_namespace,
)
from codetether.swarm.k8s.state import PodState
from tests.cli.test_import_budget import imported
from tests.harness.llm_server import Reply
from tests.swarm.conftest import router


def test_pod_names_are_dns_labels_and_unique_when_cut():
    assert pod_name("ab12cd34", "Write_Tests") == "codetether-subagent-ab12cd34-write-tests"
    long_a, long_b = pod_name("s", "x" * 80 + "a"), pod_name("s", "x" * 80 + "b")
    assert len(long_a) == 63 and long_a != long_b and dns_label("--") == "x"


def test_namespace_resolution_order(tmp_path: Path):
    sa = tmp_path / "sa"
    sa.mkdir()
    assert resolve_namespace({}, sa) == "default"
    assert resolve_namespace({}, sa, kubeconfig_namespace="from-kubeconfig") == "from-kubeconfig"
    (sa / "namespace").write_text("in-cluster\n")
    assert resolve_namespace({}, sa, kubeconfig_namespace="from-kubeconfig") == "in-cluster"
    assert resolve_namespace({"CODETETHER_K8S_NAMESPACE": "explicit"}, sa) == "explicit"


def test_payload_round_trip_and_clear_errors():
    payload = RemotePayload("sw", "t1", "T", "Coder", "do it", "", "openai", "m", 10, 60)
    assert RemotePayload.decode(payload.encode()) == payload
    for bad, words in (("%%%", "not base64-encoded JSON"), ("WzFd", "must be a JSON object"),
                       ("eyJzd2FybV9pZCI6ICJzIn0=", "it lacks")):
        with pytest.raises(ValueError, match=words):
            RemotePayload.decode(bad)


def test_result_line_is_the_last_parsable_one():
    logs = f"noise\n{RESULT_PREFIX}{{\"result\": \"old\"}}\n{RESULT_PREFIX}{{broken\nmore noise\n"
    assert last_line(logs, RESULT_PREFIX) == {"result": "old"}
    assert last_line("nothing here", RESULT_PREFIX) is None


def _pod(phase: str, reason: str | None = None, **container: object) -> dict:
    return {"spec": {"containers": [{"image": "img:1"}]},
            "status": {"phase": phase, **({"reason": reason} if reason else {}),
                       "containerStatuses": [container] if container else []}}


def test_pod_state_failures_and_resource_health():
    pulling = PodState.from_pod(_pod("Pending", state={"waiting": {"reason": "ImagePullBackOff", "message": "nope"}}))
    assert not pulling.failure().retryable and "img:1 could not be pulled" in pulling.failure().message
    assert pulling.resource_health() == (0.0, 3)
    evicted = PodState.from_pod(_pod("Failed", "Evicted", state={"terminated": {"exitCode": 137, "reason": "Error"}}))
    assert evicted.finished and evicted.failure().retryable and "evicted" in evicted.failure().message
    oom = PodState.from_pod(_pod("Failed", state={"terminated": {"exitCode": 137, "reason": "OOMKilled"}}))
    assert "out of memory" in oom.failure().message and oom.resource_health() == (0.0, 3)
    healthy = PodState.from_pod(_pod("Running", ready=True, restartCount=0, state={"running": {}}))
    assert healthy.failure() is None and healthy.resource_health() == (1.0, 0) and not healthy.finished
    restarting = PodState.from_pod(_pod("Running", ready=False, restartCount=5, state={"running": {}}))
    assert restarting.resource_health() == (pytest.approx(0.2), 1)


def test_collapse_kills_a_branch_unhealthy_for_three_samples_but_never_the_best():
    controller = CollapseController()
    sick = [Observation("sick", True, set(), 0, 0.2, 1), Observation("well", True, set(), 0, 1.0, 0)]
    assert controller.tick(sick) == [] and controller.tick(sick) == []
    [kill] = controller.tick(sick)
    assert kill.subtask_id == "sick" and "3 consecutive unhealthy resource samples" in kill.reason
    lone = CollapseController()
    for _ in range(4):
        assert lone.tick([Observation("only", True, set(), 0, 0.0, 3)]) == []  # the best is always spared


def test_execution_mode_aliases_and_bad_values():
    for alias in ("k8s", "kubernetes", "kubernetes-pod", "pod"):
        assert swarm_config({"swarm": {"execution_mode": alias}}).execution_mode == "k8s"
    with pytest.raises(Exception, match="kubernetes-pod"):
        swarm_config({"swarm": {"execution_mode": "cloud"}})


def test_hidden_entrypoint_reports_a_bad_payload_as_a_result(isolated_env):
    env = {**isolated_env, "BAD_PAYLOAD": "not base64"}
    proc = subprocess.run([sys.executable, "-m", "codetether", "swarm-subagent", "--payload-env", "BAD_PAYLOAD"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    reported = last_line(proc.stdout, RESULT_PREFIX)
    assert reported["success"] is False and "payload in BAD_PAYLOAD is unusable" in reported["error"]
    assert reported["retryable"] is False
    listed = subprocess.run([sys.executable, "-m", "codetether", "--help"], env=env, capture_output=True, text=True)
    assert "swarm-subagent" not in listed.stdout  # a machine's entrypoint, not a user's command


def test_k8s_client_loads_only_in_pod_mode(tmp_path: Path, swarm_cli, llm_server, repo: Path):
    llm_server.router = router("unused", {"": [Reply("done locally")]})
    modules = imported(tmp_path, ["swarm", "--model", "openai/m", "--strategy", "none", "local work"],
                       env=swarm_cli.env, cwd=str(repo))
    assert "codetether.swarm.executor" in modules and llm_server.requests  # a real local swarm ran
    assert not {m for m in modules if m.split(".")[0] in ("lightkube", "httpx2", "msgspec", "kmock")}
    assert not [m for m in modules if m.startswith("codetether.swarm.k8s.")]
