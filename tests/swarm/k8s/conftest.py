"""Pod-mode fixtures: a kmock Kubernetes API whose kubelet runs each pod's command as a local process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codetether.swarm.k8s.podspec import DEFAULT_IMAGE
from tests.cli.conftest import Cli
from tests.harness.k8s_cluster import Cluster, image_env
from tests.swarm.conftest import FAST_SWARM

POD_SWARM = FAST_SWARM + "k8s_poll_secs = 0.1\n"


@pytest.fixture
def cluster(tmp_path: Path, swarm_cli: Cli) -> Iterator[Cluster]:
    """A cluster the CLI reaches through KUBECONFIG; pods run the installed codetether with the image's config."""
    config = Path(swarm_cli.env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    config.write_text(POD_SWARM)
    with Cluster(tmp_path / "cluster", DEFAULT_IMAGE, image_env(tmp_path / "image", FAST_SWARM)) as running:
        swarm_cli.env["KUBECONFIG"] = str(running.kubeconfig)
        yield running
        assert running.errors == []


def run_json(proc: Any) -> dict[str, Any]:
    assert proc.stdout, proc.stderr
    return json.loads(proc.stdout)
