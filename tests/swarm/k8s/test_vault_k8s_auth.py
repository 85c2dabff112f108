"""Vault's Kubernetes auth against a real OpenBao whose TokenReview calls reach the kmock API server."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from pathlib import Path

import pytest

from codetether.secrets.vault import VaultClient, VaultSettings
from tests.cli.conftest import assert_clean_failure
from tests.harness.k8s_cluster import Cluster, service_account_jwt
from tests.harness.llm_server import Reply

POLICY = 'path "secret/data/codetether/providers/*" { capabilities = ["read"] }\n' \
         'path "secret/metadata/codetether/providers*" { capabilities = ["read", "list"] }\n'


@pytest.fixture
def k8s_vault(vault_clean, cluster: Cluster, tmp_path: Path) -> dict[str, str]:
    """Kubernetes auth enabled at a fresh mount, a role for codetether/codetether, and that account's JWT file."""
    mount = "k8s-" + secrets.token_hex(4)
    api = vault_clean.client
    config = {"kubernetes_host": cluster.url, "disable_local_ca_jwt": True, "kubernetes_ca_cert": _ca_pem()}
    for method, url, body in (
            ("POST", f"/v1/sys/auth/{mount}", {"type": "kubernetes"}),
            ("POST", f"/v1/auth/{mount}/config", config),
            ("POST", "/v1/sys/policies/acl/codetether-read", {"policy": POLICY}),
            ("POST", f"/v1/auth/{mount}/role/codetether-agent", {
                "bound_service_account_names": ["codetether"], "bound_service_account_namespaces": ["codetether"],
                "token_policies": ["codetether-read"], "token_ttl": "10m"})):
        resp = api.request(method, url, json=body)
        assert resp.status_code < 300, resp.text
    uid = str(uuid.uuid4())
    jwt = service_account_jwt("codetether", "codetether", uid)
    cluster.service_accounts[jwt] = ("codetether", "codetether", uid)
    path = tmp_path / "sa-token"
    path.write_text(jwt)
    env = {k: v for k, v in vault_clean.env().items() if k != "VAULT_TOKEN"}
    return {**env, "VAULT_ROLE": "codetether-agent", "VAULT_AUTH_MOUNT": mount, "VAULT_K8S_SA_JWT_PATH": str(path)}


def _ca_pem() -> str:
    """A self-signed CA certificate: Vault insists on one, though the emulated API server speaks plain HTTP."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kmock-ca")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _no_token(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k != "VAULT_TOKEN"}


def test_run_reads_provider_keys_through_kubernetes_login(swarm_cli, llm_server, cluster: Cluster, k8s_vault):
    llm_server.script(Reply("hello from a pod's identity"))
    proc = swarm_cli("run", "--model", "openai/m", "hi", env={**_no_token(swarm_cli.env), **k8s_vault})
    assert proc.returncode == 0, proc.stderr
    assert "hello from a pod's identity" in proc.stdout
    assert cluster.token_reviews  # OpenBao asked the Kubernetes API who the JWT belongs to


def test_wrong_role_is_a_clear_error(swarm_cli, llm_server, cluster: Cluster, k8s_vault):
    env = {**_no_token(swarm_cli.env), **k8s_vault, "VAULT_ROLE": "nobody"}
    proc = swarm_cli("run", "--model", "openai/m", "hi", env=env)
    assert_clean_failure(proc, "refused the Kubernetes login as role 'nobody'", "VAULT_AUTH_MOUNT")
    assert llm_server.requests == []


def test_missing_service_account_token_is_a_clear_error(swarm_cli, llm_server, cluster: Cluster, k8s_vault,
                                                        tmp_path: Path):
    env = {**_no_token(swarm_cli.env), **k8s_vault, "VAULT_K8S_SA_JWT_PATH": str(tmp_path / "absent")}
    proc = swarm_cli("run", "--model", "openai/m", "hi", env=env)
    assert_clean_failure(proc, "VAULT_ROLE is set but the service-account token", "VAULT_K8S_SA_JWT_PATH")


def test_revoked_token_logs_in_again(vault_clean, cluster: Cluster, k8s_vault):
    vault_clean.put_provider("openai", api_key="sk-k8s-auth-0123456789")

    async def scenario() -> tuple[str, str, str | None]:
        settings = VaultSettings.from_env(k8s_vault)
        async with VaultClient(settings) as vault:
            first = await vault.read_provider("openai")
            token = settings.token
            revoked = vault_clean.client.post("/v1/auth/token/revoke", json={"token": token})  # as an operator would
            assert revoked.status_code == 204
            second = await vault.read_provider("openai")
            return token, settings.token, second.api_key if second and first else None

    old, new, key = asyncio.run(scenario())
    assert key == "sk-k8s-auth-0123456789" and old != new
    assert len(cluster.token_reviews) == 2  # one login, then one re-login after the 403
