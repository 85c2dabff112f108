"""Pod mode through the real CLI: the pods created (checked field by field), the results, budget and cache."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from codetether.swarm.k8s.podspec import DEFAULT_IMAGE, PAYLOAD_ENV
from tests.harness.k8s_cluster import Cluster
from tests.harness.llm_server import Reply, ToolCall
from tests.swarm.conftest import plan_json, router, text_of
from tests.swarm.k8s.conftest import run_json

THREE = plan_json(
    {"id": "alpha", "name": "Alpha", "instruction": "MARK-ALPHA: note alpha", "specialty": "Researcher",
     "dependencies": [], "priority": 1},
    {"id": "beta", "name": "Beta", "instruction": "MARK-BETA: note beta", "specialty": "Researcher",
     "dependencies": [], "priority": 1},
    {"id": "gamma", "name": "Gamma", "instruction": "MARK-GAMMA: combine alpha and beta", "specialty": "Writer",
     "dependencies": ["alpha", "Beta"], "priority": 2},
)
SCRIPT = {
    "MARK-ALPHA": [Reply(tool_calls=[ToolCall("write", {"path": "alpha.md", "content": "alpha\n"})]),
                   Reply("ALPHA-RESULT: alpha noted")],
    "MARK-BETA": [Reply(tool_calls=[ToolCall("write", {"path": "beta.md", "content": "beta\n"})]),
                  Reply("BETA-RESULT: beta noted")],
    "MARK-GAMMA": [Reply("GAMMA-RESULT: both combined")],
}
COMPARED = ("subtask_id", "name", "stage", "success", "result", "steps", "tool_calls", "error", "retry_count")


def comparable(data: dict) -> dict:
    subs = sorted(({k: s[k] for k in COMPARED} for s in data["subtask_results"]), key=lambda s: s["subtask_id"])
    stages = [{k: s[k] for k in ("stage", "subagent_count", "max_steps", "total_steps")} for s in data["stats"]["stages"]]
    # Prompt tokens differ by design: a pod's system prompt names its own working directory.
    stats = {k: data["stats"][k] for k in ("subagents_completed", "subagents_failed", "total_tool_calls",
                                          "critical_path_length", "completion_tokens")}
    return {"success": data["success"], "error": data["error"], "subtasks": subs, "stages": stages, "stats": stats}


def test_three_subtasks_two_stages_match_local_mode(swarm_cli, llm_server, repo: Path, cluster: Cluster, tmp_path):
    llm_server.router = router(THREE, SCRIPT)
    local = run_json(swarm_cli("swarm", "--model", "openai/m", "--json", "--execution-mode", "local",
                               "--no-worktree", "note alpha and beta, then combine"))
    env = {**swarm_cli.env, "CODETETHER_DATA_DIR": str(tmp_path / "pod-data")}  # a cold result cache
    before = len(llm_server.requests)
    proc = swarm_cli("swarm", "--model", "openai/m", "--json", "--execution-mode", "kubernetes-pod",
                     "note alpha and beta, then combine", env=env, timeout=120)
    pods = run_json(proc)
    assert pods["success"], proc.stderr
    assert comparable(pods) == comparable(local)
    assert any("Kubernetes pods in namespace default" in n for n in pods["notes"])

    # Three pods, one per subtask; gamma's was created after both of stage 0 were gone.
    created = cluster.created
    assert sorted(p.manifest["metadata"]["labels"]["codetether.run/subagent-id"] for p in created) == \
        ["alpha", "beta", "gamma"]
    assert created[-1].manifest["metadata"]["labels"]["codetether.run/stage"] == "1"
    assert cluster.pods() == []  # every pod deleted once its result was read
    assert all(p.exit_code == 0 for p in created)  # each pod's process ran to its end and reported
    # The stage-1 pod received both stage-0 results as its context, and its sub-agent sent them to the model.
    gamma = _payload(created[-1].manifest)
    assert "ALPHA-RESULT" in gamma["context"] and "BETA-RESULT" in gamma["context"]
    asked = [r.body for r in llm_server.requests[before:] if "MARK-GAMMA" in text_of(r.body, "user")
             and "task orchestrator" not in text_of(r.body, "user")]
    assert len(asked) == 1 and "ALPHA-RESULT" in text_of(asked[0], "user")
    # The sub-agents wrote in their pods' own directories.
    assert [p.name for p in (tmp_path / "cluster" / "pods").glob("*/alpha.md")] == ["alpha.md"]


def test_pod_spec_field_by_field(swarm_cli, llm_server, repo: Path, cluster: Cluster):
    llm_server.router = router("unused", {"": [Reply("looked")]})
    env = {**swarm_cli.env, "VAULT_MOUNT": "secret", "CODETETHER_AUTH_TOKEN": "platform-token",
           "UNRELATED_SECRET": "must-not-leak"}
    proc = swarm_cli("swarm", "--model", "openai/m", "--json", "--strategy", "none", "--execution-mode", "k8s",
                     "--timeout", "77", "inspect", env=env, timeout=120)
    assert run_json(proc)["success"], proc.stderr
    [pod] = cluster.created
    manifest = pod.manifest
    meta, spec = manifest["metadata"], manifest["spec"]
    swarm_id = meta["labels"]["codetether.run/swarm-id"]
    assert meta["name"] == f"codetether-subagent-{swarm_id}-subtask-1"
    assert meta["namespace"] == "default"
    assert meta["labels"] == {"app": "codetether", "codetether.run/role": "subagent",
                              "codetether.run/subagent-id": "subtask-1", "codetether.run/swarm-id": swarm_id,
                              "codetether.run/stage": "0"}
    assert spec["restartPolicy"] == "Never" and spec["activeDeadlineSeconds"] == 77 + 120
    [container] = spec["containers"]
    assert container["name"] == "agent" and container["image"] == DEFAULT_IMAGE
    assert container["command"] == ["sh", "-c"]
    assert container["args"] == [f"if codetether swarm-subagent --help >/dev/null 2>&1; then exec codetether "
                                 f"swarm-subagent --payload-env {PAYLOAD_ENV}; else echo CT_SUBTASK_FALLBACK; exec "
                                 f'codetether run "$CODETETHER_SWARM_FALLBACK_PROMPT" --model '
                                 f'"$CODETETHER_SWARM_FALLBACK_MODEL"; fi']
    assert container["resources"] == {"requests": {"memory": "256Mi", "cpu": "250m"},
                                      "limits": {"memory": "1Gi", "cpu": "1000m"}}
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "runAsNonRoot": True}
    env_vars = {e["name"]: e["value"] for e in container["env"]}
    assert set(env_vars) == {"VAULT_ADDR", "VAULT_TOKEN", "VAULT_MOUNT", "CODETETHER_AUTH_TOKEN", PAYLOAD_ENV,
                             "CODETETHER_SUBAGENT_ID", "CODETETHER_K8S_NAMESPACE", "CODETETHER_SWARM_FALLBACK_PROMPT",
                             "CODETETHER_SWARM_FALLBACK_MODEL"}
    assert env_vars["CODETETHER_SWARM_FALLBACK_MODEL"] == "openai/m"
    assert env_vars["CODETETHER_SWARM_FALLBACK_PROMPT"] == ("You are executing swarm subtask 'subtask-1'.\n\nTask:\n"
                                                           "inspect\n\nReturn only the final subtask answer.")
    assert env_vars["VAULT_ADDR"] == swarm_cli.env["VAULT_ADDR"] and env_vars["CODETETHER_SUBAGENT_ID"] == "subtask-1"
    assert env_vars["CODETETHER_K8S_NAMESPACE"] == "default"
    payload = _payload(manifest)
    assert payload == {"swarm_id": swarm_id, "subtask_id": "subtask-1", "subtask_name": "Main Task",
                       "specialty": "Generalist", "instruction": "inspect", "context": "", "provider": "openai",
                       "model": "m", "max_steps": 100, "timeout_secs": 77, "working_dir": None, "read_only": False,
                       "verification": False, "probe_interval_secs": 5.0}
    # The API conversation: create, state reads, the log, the delete, and the final sweep of the swarm's label.
    verbs = cluster.requests()
    assert ("POST", "create", None) in verbs and ("GET", "fetch", "log") in verbs
    assert ("DELETE", "delete", None) in verbs and verbs[0] == ("GET", "list", None)  # the pre-flight check


def test_namespace_from_the_environment(swarm_cli, llm_server, repo: Path, cluster: Cluster):
    llm_server.router = router("unused", {"": [Reply("fine")]})
    env = {**swarm_cli.env, "CODETETHER_K8S_NAMESPACE": "agents"}
    proc = swarm_cli("swarm", "--model", "openai/m", "--json", "--strategy", "none", "--execution-mode", "pod",
                     "check", env=env, timeout=120)
    assert run_json(proc)["success"], proc.stderr
    [pod] = cluster.created
    assert pod.namespace == "agents" and pod.manifest["metadata"]["namespace"] == "agents"


def test_budget_two_never_has_more_than_two_pods(swarm_cli, llm_server, repo: Path, cluster: Cluster):
    plan = plan_json(*({"id": f"t{i}", "name": f"T{i}", "instruction": f"MARK-T{i}"} for i in range(5)))
    llm_server.router = router(plan, {f"MARK-T{i}": [Reply(f"t{i} done")] for i in range(5)})
    proc = swarm_cli("swarm", "--model", "openai/m", "--json", "--execution-mode", "k8s", "--k8s-pod-budget", "2",
                     "five at once", timeout=180)
    data = run_json(proc)
    assert data["success"] and len(data["subtask_results"]) == 5, proc.stderr
    assert len(cluster.created) == 5 and cluster.max_alive == 2
    assert cluster.pods() == []


def test_identical_subtask_is_served_from_the_cache_without_a_pod(swarm_cli, llm_server, repo: Path,
                                                                   cluster: Cluster):
    llm_server.router = router("unused", {"": [Reply("the answer is 42")]})
    args = ("swarm", "--model", "openai/m", "--json", "--strategy", "none", "--execution-mode", "k8s", "what is it")
    first = run_json(swarm_cli(*args, timeout=120))
    second = run_json(swarm_cli(*args, timeout=120))
    assert (first["stats"]["cache_misses"], second["stats"]["cache_hits"]) == (1, 1)
    assert second["subtask_results"][0]["cached"] and second["subtask_results"][0]["result"] == "the answer is 42"
    assert len(cluster.created) == 1


def _payload(manifest: dict) -> dict:
    env = {e["name"]: e["value"] for e in manifest["spec"]["containers"][0]["env"]}
    return json.loads(base64.b64decode(env[PAYLOAD_ENV]))


def test_an_image_without_swarm_subagent_falls_back_to_run(swarm_cli, llm_server, repo: Path, tmp_path: Path):
    """The seed's CODETETHER_SWARM_FALLBACK_PROMPT/_MODEL: an older image's codetether (no swarm-subagent) answers
    the subtask as `codetether run`, and that answer is the subtask's result."""
    import os
    import sys

    from tests.harness.k8s_cluster import image_env
    from tests.swarm.conftest import FAST_SWARM
    from tests.swarm.k8s.conftest import POD_SWARM

    old = tmp_path / "old-release" / "bin"
    old.mkdir(parents=True)
    (old / "codetether").write_text(f'#!/bin/sh\n[ "$1" = swarm-subagent ] && {{ echo "unknown command" >&2; exit 2; }}'
                                    f'\nexec {sys.executable} -m codetether "$@"\n')
    (old / "codetether").chmod(0o755)
    llm_server.router = lambda body: Reply("OLD-IMAGE-ANSWER: inspected")
    (Path(swarm_cli.env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml").write_text(POD_SWARM)
    env = image_env(tmp_path / "image", FAST_SWARM)
    env["PATH"] = f"{old}{os.pathsep}{env['PATH']}"
    with Cluster(tmp_path / "cluster", DEFAULT_IMAGE, env) as cluster:
        proc = swarm_cli("swarm", "--model", "openai/m", "--json", "--strategy", "none", "--execution-mode", "k8s",
                         "inspect", env={**swarm_cli.env, "KUBECONFIG": str(cluster.kubeconfig)}, timeout=120)
        data = run_json(proc)
        assert cluster.errors == []
    assert data["success"], proc.stderr
    [sub] = data["subtask_results"]
    assert sub["success"] and sub["result"] == "OLD-IMAGE-ANSWER: inspected" and sub["error"] is None
    [request] = [r.body for r in llm_server.requests]
    assert "You are executing swarm subtask 'subtask-1'." in text_of(request, "user")
