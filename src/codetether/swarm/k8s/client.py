"""The Kubernetes API conversation for pod mode, through lightkube (an httpx-based client; the `k8s` extra)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codetether.errors import CodetetherError
from codetether.swarm.k8s.podspec import CONTAINER, SA_DIR, resolve_namespace
from codetether.swarm.k8s.state import PodState

INSTALL_HINT = "Install the Kubernetes extra: pip install 'codetether-agent[k8s]' (it adds lightkube)."
RBAC_HINT = ("the account needs create, get, list and delete on pods and get on pods/log in namespace {ns} "
             "(see deploy/k8s/rbac.yaml)")
LOG_LIMIT_BYTES = 4 * 1024 * 1024


class K8sError(CodetetherError):
    """A Kubernetes failure in words a user can act on; `retryable` when waiting may fix it."""

    def __init__(self, message: str, hint: str | None = None, retryable: bool = False, status: int | None = None):
        super().__init__(message, hint)
        self.retryable, self.status = retryable, status


@dataclass
class PodApi:
    client: Any  # lightkube.AsyncClient
    namespace: str
    server: str
    env: dict[str, str]  # what pods are given their pass-through variables from

    @classmethod
    async def connect(cls, env: dict[str, str] | None = None) -> PodApi:
        """Load the in-cluster or kubeconfig credentials and check the namespace's pods can be listed."""
        from codetether.secrets import sealed

        env = dict(sealed.environ()) if env is None else env  # pass-through variables include the sealed ones
        try:
            import httpx2
            from lightkube import AsyncClient
        except ImportError:
            raise K8sError("--execution-mode k8s needs the Kubernetes client, which is not installed",
                           INSTALL_HINT) from None
        config = _load_config(env)
        namespace = resolve_namespace(env, kubeconfig_namespace=config.context.namespace)
        api = cls(AsyncClient(config, namespace=namespace, timeout=httpx2.Timeout(15.0)), namespace,
                  config.cluster.server, env)
        try:
            await api._call("list pods in", "", api._first_pod())
        except BaseException:
            await api.aclose()
            raise
        return api

    async def _first_pod(self) -> None:
        from lightkube.resources.core_v1 import Pod

        async for _pod in self.client.list(Pod, namespace=self.namespace, chunk_size=1):
            break

    async def create(self, manifest: dict[str, Any]) -> None:
        """Create the pod; one left over from an earlier attempt (409) is deleted and created anew."""
        from lightkube.resources.core_v1 import Pod

        name = manifest["metadata"]["name"]
        try:
            await self._call("create pod", name, self.client.create(Pod.from_dict(manifest), namespace=self.namespace))
        except K8sError as exc:
            if exc.status != 409:
                raise
            await self.delete(name)
            await self._gone(name)
            await self._call("create pod", name, self.client.create(Pod.from_dict(manifest), namespace=self.namespace))

    async def state(self, name: str) -> PodState | None:
        """None once the pod no longer exists."""
        from lightkube.resources.core_v1 import Pod

        try:
            pod = await self._call("read pod", name, self.client.get(Pod, name, namespace=self.namespace))
        except K8sError as exc:
            if exc.status == 404:
                return None
            raise
        return PodState.from_pod(pod.to_dict())

    async def logs(self, name: str, tail_lines: int | None = None) -> str:
        async def read() -> str:
            lines = self.client.log(name, namespace=self.namespace, container=CONTAINER, tail_lines=tail_lines)
            return "".join([line async for line in lines])

        try:
            return await self._call("read the logs of pod", name, read())
        except K8sError as exc:
            if exc.status in (400, 404):  # not started yet, or gone
                return ""
            raise

    async def delete(self, name: str) -> None:
        """Delete now (no grace period: the sub-agent has nothing to save); an absent pod is fine."""
        from lightkube.resources.core_v1 import Pod

        try:
            await self._call("delete pod", name, self.client.delete(Pod, name, namespace=self.namespace,
                                                                   grace_period=0))
        except K8sError as exc:
            if exc.status != 404:
                raise

    async def names(self, swarm_label: str) -> list[str]:
        """This swarm's pods still in the namespace."""
        from lightkube.resources.core_v1 import Pod

        async def collect() -> list[str]:
            found = []
            async for pod in self.client.list(Pod, namespace=self.namespace,
                                              labels={"codetether.run/swarm-id": swarm_label}):
                if (pod.metadata.labels or {}).get("codetether.run/swarm-id") == swarm_label:
                    found.append(pod.metadata.name)
            return found

        return await self._call("list pods in", "", collect())

    async def aclose(self) -> None:
        await self.client.close()

    async def _gone(self, name: str, timeout: float = 30) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while await self.state(name) is not None:
            if asyncio.get_running_loop().time() > deadline:
                raise K8sError(f"pod {name} in namespace {self.namespace} was not deleted within {timeout:.0f}s",
                               retryable=True)
            await asyncio.sleep(0.5)

    async def _call(self, action: str, name: str, call: Any) -> Any:
        import httpx2
        import msgspec

        target = f"{action} {name}".strip() if name else f"{action} namespace {self.namespace}"
        try:
            return await call
        except httpx2.HTTPStatusError as exc:
            raise _explain(exc.response, target, self.namespace) from None
        except msgspec.MsgspecError as exc:  # an object the client's models cannot read
            raise K8sError(f"the Kubernetes API at {self.server} sent an unreadable answer to {target}: {exc}",
                           retryable=True) from None
        except httpx2.TransportError as exc:
            raise K8sError(f"cannot reach the Kubernetes API at {self.server} to {target} ({type(exc).__name__})",
                           "Check the kubeconfig (KUBECONFIG) or that the cluster is running.", retryable=True) \
                from None


def _explain(response: Any, target: str, namespace: str) -> K8sError:
    """One Kubernetes Status response in words: what was refused and what fixes it."""
    code = response.status_code
    try:
        body = response.json()
        message = str(body.get("message") or body.get("reason") or "")
    except ValueError:
        message = response.text[:300].strip()
    where = f"Kubernetes refused to {target} (HTTP {code}): {message or response.reason_phrase}"
    if code == 401:
        return K8sError(where, "The kubeconfig's credentials or the service account token were not accepted.",
                        status=code)
    if code == 403 and "exceeded quota" in message:
        return K8sError(f"Kubernetes quota exceeded in namespace {namespace}: {message}",
                        "Lower --k8s-pod-budget, or raise the namespace's ResourceQuota.", retryable=True, status=code)
    if code == 403:
        return K8sError(where, f"RBAC: {RBAC_HINT.format(ns=namespace)}.", status=code)
    if code in (404, 409, 400, 422):
        return K8sError(where, status=code)
    return K8sError(where, retryable=code == 429 or code >= 500, status=code)


def _load_config(env: dict[str, str]) -> Any:
    import yaml
    from lightkube import ConfigError, KubeConfig

    if (SA_DIR / "token").is_file() and env.get("KUBERNETES_SERVICE_HOST"):
        try:
            return KubeConfig.from_service_account(SA_DIR).get()
        except (ConfigError, KeyError, OSError) as exc:
            raise K8sError(f"the in-cluster service account at {SA_DIR} is unusable: {exc}") from None
    paths = [p for p in env.get("KUBECONFIG", "").split(os.pathsep) if p] or ["~/.kube/config"]
    for path in paths:
        file = Path(path).expanduser()
        if not file.is_file():
            continue
        try:
            return KubeConfig.from_file(file).get()
        except (ConfigError, KeyError, TypeError, ValueError, OSError, yaml.YAMLError) as exc:
            raise K8sError(f"the kubeconfig {file} is unusable: {type(exc).__name__}: {exc}",
                           "Fix the file, or point KUBECONFIG at a working one (kubectl config view).") from None
    raise K8sError("--execution-mode k8s found no Kubernetes cluster: not running in a pod (no service account "
                   f"token in {SA_DIR}) and no kubeconfig at {' or '.join(paths)}",
                   "Point KUBECONFIG at your cluster's config (kind, k3s, ...) or run --execution-mode local.")
