"""Pod mode when things go wrong: timeouts, Ctrl-C, and each Kubernetes error as a clear message, never a hang."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.conftest import assert_clean_failure
from tests.harness.k8s_cluster import EVICTION, Cluster
from tests.harness.llm_server import Reply, Stall
from tests.swarm.conftest import plan_json, router
from tests.swarm.k8s.conftest import run_json

TWO = plan_json({"id": "s1", "name": "One", "instruction": "MARK-ONE"},
                {"id": "s2", "name": "Two", "instruction": "MARK-TWO"})
RBAC = ('pods is forbidden: User "system:serviceaccount:default:codetether" cannot create resource "pods" in API '
        'group "" in the namespace "default"')
QUOTA = ('pods "codetether-subagent-x" is forbidden: exceeded quota: compute-resources, requested: limits.memory=1Gi, '
         'used: limits.memory=2Gi, limited: limits.memory=2Gi')


def _pod_swarm(cli, *args: str, timeout: float = 120):
    return cli("swarm", "--model", "openai/m", "--json", "--execution-mode", "k8s", *args, timeout=timeout)


def test_timeout_deletes_the_pod_and_retries_then_fails(swarm_cli, llm_server, repo: Path, cluster: Cluster):
    llm_server.router = router("unused", {"": [Stall(60, Reply("late"))]})
    started = time.monotonic()
    data = run_json(_pod_swarm(swarm_cli, "--strategy", "none", "--timeout", "2", "slow"))
    assert time.monotonic() - started < 40
    [sub] = data["subtask_results"]
    assert not sub["success"] and sub["retry_count"] == 1  # max_retries = 1 in the test config
    assert sub["error"].startswith("sub-agent timed out after 2s in Kubernetes pod codetether-subagent-")
    assert len(cluster.created) == 2 and all(p.deleted for p in cluster.created)
    assert cluster.pods() == [] and cluster.running() == []


def test_ctrl_c_deletes_every_pod(swarm_cli, llm_server, repo: Path, cluster: Cluster):
    llm_server.router = router(TWO, {"MARK-": [Stall(60, Reply("late"))]})
    proc = subprocess.Popen([sys.executable, "-m", "codetether", "swarm", "--model", "openai/m", "--execution-mode",
                             "k8s", "go slowly"], cwd=repo, env=swarm_cli.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        llm_server.wait_for_requests(3, timeout=60)  # the plan, then both pods' sub-agents wait on the model
        assert len(cluster.pods()) == 2 and len(cluster.running()) == 2
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert cluster.pods() == []
    _wait_until(lambda: cluster.running() == [])  # the kubelet stopped both processes


def test_rbac_refusal_is_a_clear_failed_subtask(swarm_cli, llm_server, repo: Path, cluster: Cluster):
    cluster.refuse("create", 403, "Forbidden", RBAC)
    llm_server.router = router(TWO, {"MARK-": [Reply("never")]})
    proc = _pod_swarm(swarm_cli, "two")
    data = run_json(proc)
    assert proc.returncode == 1 and not data["success"]
    for sub in data["subtask_results"]:
        assert "Kubernetes refused to create pod codetether-subagent-" in sub["error"]
        assert 'cannot create resource "pods"' in sub["error"] and "deploy/k8s/rbac.yaml" in sub["error"]
        assert sub["retry_count"] == 0  # RBAC does not change by waiting
    assert cluster.created == []


def test_quota_exceeded_is_retried_then_reported(swarm_cli, llm_server, repo: Path, cluster: Cluster):
    cluster.refuse("create", 403, "Forbidden", QUOTA)
    llm_server.router = router("unused", {"": [Reply("never")]})
    data = run_json(_pod_swarm(swarm_cli, "--strategy", "none", "one"))
    [sub] = data["subtask_results"]
    assert sub["error"].startswith("could not create pod codetether-subagent-")
    assert "Kubernetes quota exceeded in namespace default: " in sub["error"] and "exceeded quota" in sub["error"]
    assert "--k8s-pod-budget" in sub["error"] and sub["retry_count"] == 1


def test_image_pull_failure_ends_at_once(swarm_cli, llm_server, repo: Path, cluster: Cluster):
    llm_server.router = router("unused", {"": [Reply("never")]})
    started = time.monotonic()
    data = run_json(_pod_swarm(swarm_cli, "--strategy", "none", "--k8s-image", "registry.invalid/nope:1", "one"))
    assert time.monotonic() - started < 30
    [sub] = data["subtask_results"]
    assert "the image registry.invalid/nope:1 could not be pulled (ErrImagePull" in sub["error"]
    assert "--k8s-image" in sub["error"] and sub["retry_count"] == 0
    assert cluster.pods() == [] and llm_server.requests == []


def test_evicted_pod_is_retried_and_the_retry_succeeds(swarm_cli, llm_server, repo: Path, cluster: Cluster):
    cluster.evict = lambda pod: cluster.created.index(pod) == 0  # only the first attempt
    llm_server.router = router("unused", {"": [Stall(2, Reply("second attempt done"))]})
    data = run_json(_pod_swarm(swarm_cli, "--strategy", "none", "one"))
    [sub] = data["subtask_results"]
    assert sub["success"] and sub["result"] == "second attempt done" and sub["retry_count"] == 1
    assert len(cluster.created) == 2 and cluster.pods() == []


def test_evicted_every_time_fails_with_the_eviction_message(swarm_cli, llm_server, repo: Path, cluster: Cluster):
    cluster.evict = lambda pod: True
    llm_server.router = router("unused", {"": [Stall(5, Reply("never"))]})
    data = run_json(_pod_swarm(swarm_cli, "--strategy", "none", "one"))
    [sub] = data["subtask_results"]
    assert sub["error"] == f"pod {cluster.created[-1].name}: the pod was evicted: {EVICTION}"
    assert sub["retry_count"] == 1 and cluster.pods() == []


def test_unschedulable_pod_times_out_with_the_schedulers_reason(swarm_cli, llm_server, repo: Path,
                                                                cluster: Cluster):
    cluster.unschedulable = "0/3 nodes are available: 3 Insufficient cpu."
    llm_server.router = router("unused", {"": [Reply("never")]})
    data = run_json(_pod_swarm(swarm_cli, "--strategy", "none", "--timeout", "1", "one"))
    [sub] = data["subtask_results"]
    assert sub["error"].endswith("; it was never scheduled: 0/3 nodes are available: 3 Insufficient cpu.")
    assert cluster.pods() == []


def test_no_cluster_fails_fast_before_any_model_call(swarm_cli, llm_server, repo: Path, tmp_path: Path):
    env = {**swarm_cli.env, "KUBECONFIG": str(tmp_path / "missing-kubeconfig")}
    proc = swarm_cli("swarm", "--model", "openai/m", "--execution-mode", "k8s", "anything", env=env)
    assert_clean_failure(proc, "found no Kubernetes cluster", "missing-kubeconfig", "KUBECONFIG")
    assert llm_server.requests == []


def test_unreachable_cluster_fails_fast(swarm_cli, llm_server, repo: Path, tmp_path: Path):
    config = tmp_path / "dead.yaml"
    config.write_text("apiVersion: v1\nkind: Config\ncurrent-context: dead\nclusters:\n- name: dead\n  cluster:\n"
                      "    server: http://127.0.0.1:9\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n"
                      "- name: dead\n  context:\n    cluster: dead\n    user: u\n")
    proc = swarm_cli("swarm", "--model", "openai/m", "--execution-mode", "k8s", "anything",
                     env={**swarm_cli.env, "KUBECONFIG": str(config)})
    assert_clean_failure(proc, "cannot reach the Kubernetes API at http://127.0.0.1:9")
    assert llm_server.requests == []


def test_listing_forbidden_fails_fast_with_the_rbac_hint(swarm_cli, llm_server, repo: Path, cluster: Cluster):
    cluster.refuse("list", 403, "Forbidden", 'pods is forbidden: User "alice" cannot list resource "pods"')
    proc = swarm_cli("swarm", "--model", "openai/m", "--execution-mode", "k8s", "anything")
    assert_clean_failure(proc, "Kubernetes refused to list pods in namespace default (HTTP 403)",
                         'cannot list resource "pods"', "deploy/k8s/rbac.yaml")
    assert llm_server.requests == []


def _wait_until(check, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_collapse_controller_stops_an_unhealthy_pod(swarm_cli, llm_server, repo: Path, cluster: Cluster):
    config = Path(swarm_cli.env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    config.write_text(config.read_text() + "collapse_enabled = true\ncollapse_sample_secs = 0.2\n")
    cluster.degrade = lambda pod: pod.manifest["metadata"]["labels"]["codetether.run/subagent-id"] == "s2"
    llm_server.router = router(TWO, {"MARK-ONE": [Stall(4, Reply("one done"))], "MARK-TWO": [Stall(60, Reply("x"))]})
    data = run_json(_pod_swarm(swarm_cli, "two"))
    by_id = {s["subtask_id"]: s for s in data["subtask_results"]}
    assert by_id["s1"]["success"] and by_id["s1"]["result"] == "one done"
    assert by_id["s2"]["error"].startswith("Cancelled by collapse controller: 3 consecutive unhealthy resource "
                                           "samples (health 0.20)")
    assert cluster.pods() == []
