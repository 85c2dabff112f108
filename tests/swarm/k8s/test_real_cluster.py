"""Opt-in: the same pod-mode swarm on a real cluster (kind, k3s, ...). Skipped unless CODETETHER_K8S_E2E=1.

Needs: KUBECONFIG pointing at the cluster; CODETETHER_K8S_E2E_IMAGE, the image built from the Dockerfile and
available to the cluster (kind load docker-image ...); CODETETHER_K8S_E2E_MODEL (provider/model); VAULT_ADDR and
VAULT_TOKEN of a Vault holding that provider's key that both this machine and the pods can reach. The README's
"Swarm pod mode" section shows the commands.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest

NEEDED = ("KUBECONFIG", "CODETETHER_K8S_E2E_IMAGE", "CODETETHER_K8S_E2E_MODEL", "VAULT_ADDR", "VAULT_TOKEN")
pytestmark = pytest.mark.skipif(os.environ.get("CODETETHER_K8S_E2E") != "1" or not all(map(os.environ.get, NEEDED)),
                                reason="opt-in real-cluster test: set CODETETHER_K8S_E2E=1 and " + ", ".join(NEEDED))

TASK = ("Two independent research subtasks, then one that combines them: (1) name one prime number above 100, "
        "(2) name one even number above 100, (3) add the two. Answer briefly; do not use tools.")


def test_swarm_runs_in_real_pods_and_leaves_none(tmp_path):
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-m", "codetether", "swarm", "--json", "--execution-mode", "k8s",
                           "--k8s-pod-budget", "2", "--k8s-image", env["CODETETHER_K8S_E2E_IMAGE"],
                           "--model", env["CODETETHER_K8S_E2E_MODEL"], "--timeout", "300", TASK],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800)
    data = json.loads(proc.stdout)
    assert data["success"], proc.stderr + json.dumps(data, indent=2)[:4000]
    assert any("Kubernetes pods" in n for n in data["notes"])
    assert asyncio.run(_leftover_pods()) == []


async def _leftover_pods() -> list[str]:
    from lightkube.resources.core_v1 import Pod

    from codetether.swarm.k8s.client import PodApi

    api = await PodApi.connect()
    try:
        return [p.metadata.name async for p in api.client.list(Pod, namespace=api.namespace,
                                                                 labels={"codetether.run/role": "subagent"})]
    finally:
        await api.aclose()
