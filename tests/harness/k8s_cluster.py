"""A Kubernetes cluster for tests: kmock's API emulator on 127.0.0.1 plus a kubelet that runs pods as processes.

The API side is kmock's KubernetesEmulator (stateful pods, watch streams, Status errors). The kubelet watches the
pods over that same API; for each pod it runs the container's command and args as a local process with the pod's
environment (over a small "image" environment that has the installed `codetether` on its PATH), and writes what
happens back as the pod's status and logs. Deleting a pod kills its process. Faults are injected the way a cluster
shows them: API refusals (RBAC, quota) as Status responses, image pulls and evictions as pod status.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp.web
import kmock
import yaml

PODS = kmock.resource("v1/pods")
EVICTION = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 51Mi."


@dataclass
class Incarnation:
    """One creation of a pod name (a retry recreates the same name)."""

    namespace: str
    name: str
    manifest: dict[str, Any]
    log: list[str] = field(default_factory=list)
    proc: asyncio.subprocess.Process | None = None
    deleted: bool = False
    exit_code: int | None = None


class Cluster:
    """Start with `with Cluster(tmp, image=..., image_env=...) as cluster:`; point KUBECONFIG at cluster.kubeconfig."""

    def __init__(self, root: Path, image: str, image_env: dict[str, str]):
        self.root, self.image, self.image_env = root, image, image_env
        self.kubeconfig = root / "kubeconfig.yaml"
        self.created: list[Incarnation] = []  # every pod the kubelet saw created, in order
        self.alive: dict[tuple[str, str], Incarnation] = {}
        self.max_alive = 0
        self.evict: Callable[[Incarnation], bool] = lambda _pod: False  # evict this pod once it runs
        self.unschedulable: str | None = None  # no pod gets a node; this is the scheduler's message
        self.degrade: Callable[[Incarnation], bool] = lambda _pod: False  # report this pod restarting, not ready
        self.errors: list[str] = []  # kubelet problems, asserted empty by the fixture
        self.refusals: dict[str, kmock.KubernetesError] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.service_accounts: dict[str, tuple[str, str, str]] = {}  # JWT -> (namespace, name, uid)
        self.token_reviews: list[Any] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="k8s-cluster", daemon=True)

    # -- lifecycle -------------------------------------------------------------------------------------------
    def __enter__(self) -> Cluster:
        self.root.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the kmock cluster did not start")
        self.kubeconfig.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "kmock",
            "clusters": [{"name": "kmock", "cluster": {"server": self.url}}],
            "users": [{"name": "tester", "user": {"token": "kmock-test-token"}}],
            "contexts": [{"name": "kmock", "context": {"cluster": "kmock", "user": "tester"}}]}))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run fn on the cluster's loop (kmock's state is not thread-safe) and return its result."""
        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    # -- fault injection and inspection -------------------------------------------------------------------------
    def refuse(self, action: str, status: int, reason: str, message: str) -> None:
        """Answer every `action` on pods ('create', 'list', ...) with a Kubernetes Status error, before the
        emulator changes any state (a refused create creates nothing)."""
        self.refusals[action] = kmock.KubernetesError(status=status, reason=reason, message=message)

    def pods(self) -> list[dict[str, Any]]:
        """Pods that exist now (not deleted), as the API returns them."""
        return self.call(lambda: [obj.raw for (res, _ns, _name), obj in self.api.objects.items()
                                  if res == PODS and not obj.deleted])

    def requests(self) -> list[tuple[str, str, str | None]]:
        """(HTTP method, k8s action, subresource) of every pod request the API served, in order; the kubelet's
        own watch left out."""
        found = self.call(lambda: [(str(r.method.value), str(r.action.value).lower() if r.action else "",
                                    r.subresource) for r in self.api if r.resource == PODS])
        return [r for r in found if r[1] != "watch"]

    def running(self) -> list[Incarnation]:
        return [p for p in self.alive.values() if p.proc is not None and p.proc.returncode is None]

    # -- the cluster's thread --------------------------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        refusals, accounts, reviews = self.refusals, self.service_accounts, self.token_reviews

        class Emulator(kmock.KubernetesEmulator):
            async def _handle(self, request: kmock.Request) -> Any:
                if str(request.url.path).endswith("/tokenreviews"):  # Vault's Kubernetes auth asks who a JWT is
                    reviews.append(request.data)
                    return aiohttp.web.json_response(_review(request.data, accounts), status=201)
                action = str(request.action.value).lower() if request.action else ""
                if request.resource == PODS and action in refusals and not request.subresource:
                    raise refusals[action]
                return await super()._handle(request)

        async with Emulator() as api, kmock.Server(api) as server:
            self.api, self.url = api, str(server.url).rstrip("/")
            api.resources["v1/pods"] = {}
            api["get", PODS, kmock.subresource("log")] << self._serve_log
            watcher = asyncio.create_task(self._kubelet(server))
            self._ready.set()
            await self._stop.wait()
            watcher.cancel()
            for pod in self.created:
                await _kill(pod)
            await asyncio.wait_for(asyncio.gather(*self._tasks, return_exceptions=True), 10)

    async def _kubelet(self, server: kmock.Server) -> None:
        """Watch pods like a node's kubelet: start what is added, kill what is deleted."""
        try:
            async with server.client.get("/api/v1/pods", params={"watch": "true"}, timeout=None) as resp:
                async for raw in resp.content:
                    if not raw.strip():
                        continue
                    event = json.loads(raw)
                    meta = (event.get("object") or {}).get("metadata") or {}
                    key = (meta.get("namespace") or "default", meta.get("name"))
                    if event.get("type") == "ADDED":
                        pod = Incarnation(key[0], key[1], event["object"])
                        self.created.append(pod)
                        self.alive[key] = pod
                        self.max_alive = max(self.max_alive, len(self.alive))
                        self._tasks.append(asyncio.create_task(self._start(pod)))
                    elif event.get("type") == "DELETED" and key in self.alive:
                        pod = self.alive.pop(key)
                        pod.deleted = True
                        await _kill(pod)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # shown by the fixture, not swallowed
            self.errors.append(f"kubelet watch failed: {exc!r}")

    async def _start(self, pod: Incarnation) -> None:
        spec = pod.manifest["spec"]
        container = spec["containers"][0]
        if self.unschedulable:
            self._status(pod, {"phase": "Pending", "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": self.unschedulable}]})
            return
        if container["image"] != self.image:
            self._status(pod, {"phase": "Pending", "containerStatuses": [_container(container, waiting={
                "reason": "ErrImagePull", "message": f'failed to pull and unpack image "{container["image"]}": '
                                                     "not found"})]})
            return
        env = {**self.image_env, "HOME": str(self._home(pod)), "HOSTNAME": pod.name}
        env.update({item["name"]: item.get("value", "") for item in container.get("env", [])})
        cwd = Path(container.get("workingDir") or self._home(pod))
        try:
            pod.proc = await asyncio.create_subprocess_exec(
                *container.get("command", []), *container.get("args", []), env=env, cwd=cwd,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                start_new_session=True)
        except OSError as exc:
            self._status(pod, {"phase": "Pending", "containerStatuses": [_container(container, waiting={
                "reason": "CreateContainerError", "message": str(exc)})]})
            return
        self._status(pod, {"phase": "Running", "containerStatuses": [_container(container, ready=True, running={
            "startedAt": _now()})]})
        assert pod.proc.stdout is not None
        if self.degrade(pod):
            status = _container(container, running={"startedAt": _now()})
            status["restartCount"] = 3
            self._status(pod, {"phase": "Running", "containerStatuses": [status]})
        evicting = self.evict(pod)
        if evicting:
            await asyncio.sleep(0.3)
            await _kill(pod)
            await pod.proc.stdout.read()  # to its end: the pipe closes with the process
            self._status(pod, {"phase": "Failed", "reason": "Evicted", "message": EVICTION, "containerStatuses": [
                _container(container, terminated={"exitCode": 137, "reason": "Error"})]})
            return
        async for line in pod.proc.stdout:
            pod.log.append(line.decode(errors="replace"))
        pod.exit_code = await pod.proc.wait()
        if not pod.deleted:
            self._status(pod, {"phase": "Succeeded" if pod.exit_code == 0 else "Failed", "containerStatuses": [
                _container(container, terminated={"exitCode": pod.exit_code,
                                                  "reason": "Completed" if pod.exit_code == 0 else "Error"})]})

    def _home(self, pod: Incarnation) -> Path:
        home = self.root / "pods" / f"{pod.name}-{self.created.index(pod)}"
        home.mkdir(parents=True, exist_ok=True)
        return home

    def _status(self, pod: Incarnation, status: dict[str, Any]) -> None:
        """Write the status of this incarnation, unless it was deleted (or replaced) meanwhile."""
        if pod.deleted or self.alive.get((pod.namespace, pod.name)) is not pod:
            return
        obj = self.api.objects[PODS, pod.namespace, pod.name]
        obj.patch({"status": status})

    def _serve_log(self, request: kmock.Request) -> Any:
        pod = self.alive.get((request.namespace or "default", request.name))
        if pod is None:
            raise kmock.KubernetesError(status=404, reason="NotFound", message=f'pods "{request.name}" not found')
        if pod.proc is None:
            raise kmock.KubernetesError(status=400, reason="BadRequest", message=(
                f'container "agent" in pod "{pod.name}" is waiting to start: ContainerCreating'))
        lines = pod.log
        tail = request.params.get("tailLines")
        if tail:
            lines = lines[-int(tail):]
        return "".join(lines).encode()


def _container(container: dict[str, Any], ready: bool = False, **state: dict[str, Any]) -> dict[str, Any]:
    """A containerStatuses entry with the fields a real API server always sends."""
    started = "running" in state or "terminated" in state
    return {"name": container["name"], "image": container["image"], "ready": ready, "restartCount": 0,
            "started": ready, "state": state, "lastState": {},
            "imageID": f"{container['image']}@sha256:{'0' * 64}" if started else "",
            **({"containerID": "containerd://" + "ab" * 32} if started else {})}


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _kill(pod: Incarnation) -> None:
    """SIGTERM the pod's process group, SIGKILL it if it lingers (what a kubelet does on deletion)."""
    proc = pod.proc
    if proc is None or proc.returncode is not None:
        return
    for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            await asyncio.wait_for(proc.wait(), wait)
            return
        except TimeoutError:
            continue


def image_env(tmp: Path, config_text: str = "") -> dict[str, str]:
    """The environment a codetether image gives its containers: the installed executable on PATH, and (like a
    ConfigMap) a config file."""
    config = tmp / "image-config" / "codetether-agent"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(config_text)
    return {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
            "XDG_CONFIG_HOME": str(config.parent), "PYTHONDONTWRITEBYTECODE": "1"}


def _review(body: Any, accounts: dict[str, tuple[str, str, str]]) -> dict[str, Any]:
    """A TokenReview answer: authenticated only for a JWT the test registered as a service account's."""
    token = ((body or {}).get("spec") or {}).get("token", "")
    status: dict[str, Any] = {"authenticated": False, "error": "invalid bearer token"}
    if token in accounts:
        namespace, name, uid = accounts[token]
        status = {"authenticated": True, "user": {"username": f"system:serviceaccount:{namespace}:{name}", "uid": uid,
                                                  "groups": ["system:serviceaccounts"]},
                  "audiences": ((body or {}).get("spec") or {}).get("audiences") or []}  # the audiences asked for
    return {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": (body or {}).get("spec", {}),
            "status": status}


def service_account_jwt(namespace: str, name: str, uid: str) -> str:
    """A JWT shaped like a projected service-account token (unsigned: the API server's TokenReview vouches)."""
    import base64
    import time

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": "https://kubernetes.default.svc", "sub": f"system:serviceaccount:{namespace}:{name}",
              "aud": ["https://kubernetes.default.svc"], "iat": now, "nbf": now, "exp": now + 3600,
              "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": name, "uid": uid}}}
    return f"{part({'alg': 'RS256', 'kid': 'test'})}.{part(claims)}.{part({'sig': 'unchecked'})}"
