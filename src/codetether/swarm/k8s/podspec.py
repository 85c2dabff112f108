"""What a sub-agent pod is: its name, namespace, labels, environment, resources and the payload it carries."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Any

from codetether import __version__

PAYLOAD_ENV = "CODETETHER_SWARM_SUBTASK_PAYLOAD"
DEFAULT_IMAGE = f"codetether-agent:{__version__}"
# The image's ENTRYPOINT is the same executable: a custom image only needs `codetether` on its PATH.
COMMAND = ["codetether"]
ARGS = ["swarm-subagent", "--payload-env", PAYLOAD_ENV]
CONTAINER = "agent"
SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
# Passed from the orchestrator's environment when set. VAULT_TOKEN only without Kubernetes auth: a token in a
# pod spec is readable by anyone who may read pods, while VAULT_ROLE lets each pod log in with its own account.
PASSTHROUGH_ENV = ("VAULT_ADDR", "VAULT_MOUNT", "VAULT_SECRETS_PATH", "VAULT_NAMESPACE", "VAULT_ROLE",
                   "VAULT_AUTH_MOUNT", "VAULT_K8S_SA_JWT_PATH", "CODETETHER_AUTH_TOKEN")
RESOURCES = {"requests": {"memory": "256Mi", "cpu": "250m"}, "limits": {"memory": "1Gi", "cpu": "1000m"}}
DEADLINE_GRACE_SECS = 120  # the cluster ends a pod on its own this long after the swarm's timeout
RESULT_PREFIX = "CT_SUBTASK_RESULT "
PROBE_PREFIX = "CT_SUBTASK_PROBE "
# The seed's fallback: an image whose codetether has no swarm-subagent (an older release) still answers the
# subtask, as a one-shot `codetether run` of the fallback prompt with the fallback model; its answer is the result.
FALLBACK_PROMPT_ENV = "CODETETHER_SWARM_FALLBACK_PROMPT"
FALLBACK_MODEL_ENV = "CODETETHER_SWARM_FALLBACK_MODEL"
FALLBACK_MARKER = "CT_SUBTASK_FALLBACK"
SUBAGENT_COMMAND = ["sh", "-c"]
SUBAGENT_SCRIPT = (f"if codetether swarm-subagent --help >/dev/null 2>&1; then exec codetether {' '.join(ARGS)}; "
                   f'else echo {FALLBACK_MARKER}; exec codetether run "${FALLBACK_PROMPT_ENV}" '
                   f'--model "${FALLBACK_MODEL_ENV}"; fi')


@dataclass
class RemotePayload:
    """The seed's RemoteSubtaskPayload: everything a pod needs to run one subtask."""

    swarm_id: str
    subtask_id: str
    subtask_name: str
    specialty: str
    instruction: str
    context: str
    provider: str
    model: str
    max_steps: int
    timeout_secs: int
    working_dir: str | None = None
    read_only: bool = False
    verification: bool = False
    probe_interval_secs: float = 5.0

    def encode(self) -> str:
        return base64.b64encode(json.dumps(asdict(self)).encode()).decode()

    @classmethod
    def decode(cls, text: str) -> RemotePayload:
        """Raises ValueError naming what is wrong."""
        try:
            data = json.loads(base64.b64decode(text.strip(), validate=True))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"it is not base64-encoded JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ValueError("it must be a JSON object")
        known = {f.name: f for f in fields(cls)}
        missing = sorted(n for n, f in known.items() if n not in data and f.default is MISSING)
        if missing:
            raise ValueError(f"it lacks {', '.join(missing)}")
        for name, value in data.items():
            kind = str(known[name].type) if name in known else ""
            ok = (value is None and "None" in kind) or (kind.startswith("str") and isinstance(value, str)) or \
                (kind.startswith("int") and isinstance(value, int) and not isinstance(value, bool)) or \
                (kind.startswith("bool") and isinstance(value, bool)) or \
                (kind.startswith("float") and isinstance(value, int | float) and not isinstance(value, bool))
            if kind and not ok:
                raise ValueError(f"its field {name} must be {kind.split(' ')[0]}, got {value!r}")
        return cls(**{k: v for k, v in data.items() if k in known})


def dns_label(text: str, limit: int = 63) -> str:
    """A DNS-1123 label (lowercase alphanumerics and '-'); too long: cut, with a hash kept unique."""
    label = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "x"
    if len(label) > limit:
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        label = label[:limit - 9].rstrip("-") + "-" + digest
    return label


def pod_name(swarm_id: str, subtask_id: str) -> str:
    """`codetether-subagent-<swarm>-<subtask>`: the swarm id keeps two swarms in one namespace apart."""
    return dns_label(f"codetether-subagent-{swarm_id}-{subtask_id}")


def label_value(text: str) -> str:
    value = re.sub(r"[^A-Za-z0-9._-]+", "-", text)[:63].strip("-._")
    return value or "x"


def resolve_namespace(env: dict[str, str] | None = None, sa_dir: Path = SA_DIR,
                      kubeconfig_namespace: str | None = None) -> str:
    """CODETETHER_K8S_NAMESPACE, else the service account's namespace file, else the kubeconfig context's, else
    `default`."""
    env = os.environ if env is None else env
    explicit = env.get("CODETETHER_K8S_NAMESPACE", "").strip()
    if explicit:
        return explicit
    try:
        in_cluster = (sa_dir / "namespace").read_text().strip()
    except OSError:
        in_cluster = ""
    return in_cluster or kubeconfig_namespace or "default"


def pod_manifest(payload: RemotePayload, *, name: str, namespace: str, stage: int, image: str,
                 service_account: str | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The Pod object for one attempt at one subtask."""
    from codetether.secrets import sealed

    env = sealed.environ() if env is None else env
    values = {key: env[key] for key in PASSTHROUGH_ENV if env.get(key, "").strip()}
    if env.get("VAULT_TOKEN", "").strip() and not values.get("VAULT_ROLE"):
        values["VAULT_TOKEN"] = env["VAULT_TOKEN"]
    values.update({PAYLOAD_ENV: payload.encode(), "CODETETHER_SUBAGENT_ID": payload.subtask_id,
                   "CODETETHER_K8S_NAMESPACE": namespace, FALLBACK_PROMPT_ENV: fallback_prompt(payload),
                   FALLBACK_MODEL_ENV: f"{payload.provider}/{payload.model}"})
    labels = {"app": "codetether", "codetether.run/role": "subagent",
              "codetether.run/subagent-id": label_value(payload.subtask_id),
              "codetether.run/swarm-id": label_value(payload.swarm_id), "codetether.run/stage": str(stage)}
    container = {"name": CONTAINER, "image": image, "command": SUBAGENT_COMMAND, "args": [SUBAGENT_SCRIPT],
                 "env": [{"name": k, "value": v} for k, v in values.items()], "resources": RESOURCES,
                 "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True}}
    if payload.working_dir:
        container["workingDir"] = payload.working_dir
    spec: dict[str, Any] = {"restartPolicy": "Never", "containers": [container],
                            "activeDeadlineSeconds": payload.timeout_secs + DEADLINE_GRACE_SECS}
    if service_account:
        spec["serviceAccountName"] = service_account
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels}, "spec": spec}


def fallback_prompt(payload: RemotePayload) -> str:
    """The seed's prompt for the `codetether run` fallback."""
    context = f"\n\nDependency context:\n{payload.context}" if payload.context.strip() else ""
    return (f"You are executing swarm subtask '{payload.subtask_id}'.\n\nTask:\n{payload.instruction}{context}\n\n"
            "Return only the final subtask answer.")


def fallback_answer(logs: str) -> str | None:
    """What a fallback `codetether run` answered: the log after its marker line; None when it did not run."""
    head, marker, answer = logs.partition(FALLBACK_MARKER + "\n")
    if not marker or (head and not head.endswith("\n")):
        return None
    return "\n".join(line for line in answer.splitlines() if not line.startswith("[Session: ")).strip()


def last_line(logs: str, prefix: str) -> dict[str, Any] | None:
    """The JSON object of the last `prefix` line in a pod's logs, if any parses."""
    for line in reversed(logs.splitlines()):
        if line.startswith(prefix):
            try:
                data = json.loads(line[len(prefix):])
            except ValueError:
                continue
            if isinstance(data, dict):
                return data
    return None
