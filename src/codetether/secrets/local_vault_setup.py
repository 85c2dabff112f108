"""Setting up the local vault over its HTTP API: init, unseal, the KV mount, a policy and codetether's token.

The root token exists only while the server is set up (or a lost token is reissued) and is revoked right after;
the unseal key can always make a new one (generate-root), so nothing is lost by not keeping it.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from codetether.secrets.local_vault import MOUNT, LocalVaultError, read_secret_file, write_secret_file

if TYPE_CHECKING:
    from codetether.secrets.local_vault import LocalVault

POLICY_NAME = "codetether"
POLICY = f"""\
path "{MOUNT}/data/codetether/*" {{
  capabilities = ["create", "read", "update", "delete", "list"]
}}
path "{MOUNT}/metadata/codetether/*" {{
  capabilities = ["read", "list", "delete"]
}}
"""
TOKEN_TTL = "87600h"  # ten years; renewed each time the server starts


def server_config(storage: Path, api_port: int, cluster_port: int, binary: str, recovery: bool = False) -> str:
    """Single-node raft storage on disk, a plain-HTTP listener on loopback; no UI. `recovery` opens OpenBao's
    unauthenticated generate-root endpoints (closed by default since 2.5.3) for reissuing a lost token."""
    hashicorp = Path(binary).name.startswith("vault")
    # HashiCorp Vault wants mlock off for raft (OpenBao dropped the setting); its generate-root is always open.
    extra = "disable_mlock = true\n" if hashicorp else ""
    listener_extra = "  disable_unauthed_generate_root_endpoints = false\n" if recovery and not hashicorp else ""
    return f"""\
storage "raft" {{
  path = "{storage}"
  node_id = "codetether"
  performance_multiplier = 1
}}
listener "tcp" {{
  address = "127.0.0.1:{api_port}"
  cluster_address = "127.0.0.1:{cluster_port}"
  tls_disable = true
{listener_extra}}}
api_addr = "http://127.0.0.1:{api_port}"
cluster_addr = "http://127.0.0.1:{cluster_port}"
max_lease_ttl = "{TOKEN_TTL}"
log_level = "warn"
ui = false
{extra}"""


def health(addr: str) -> int | None:
    """sys/health's status (200 active, 429 standby, 501 not initialised, 503 sealed); None if unreachable."""
    try:
        return httpx.get(f"{addr}/v1/sys/health", timeout=2.0, trust_env=False).status_code
    except httpx.HTTPError:
        return None


def unseal(addr: str, key: str) -> None:
    if not key:
        raise LocalVaultError("the local vault's unseal key is missing or empty",
                              "Its data cannot be opened without it; move the vault folder aside to start over.")
    _call("PUT", addr, "/v1/sys/unseal", None, {"key": key})
    _wait_active(addr)


def initialise(addr: str, vault: LocalVault) -> None:
    """First start: one unseal key (saved before anything else can fail), then the mount, policy and token."""
    if health(addr) != 501:
        raise LocalVaultError(f"the local vault storage in {vault.storage} is already initialised, but its unseal "
                              f"key {vault.unseal_key} is missing",
                              f"Its data cannot be opened without the key; move {vault.home} aside to start over.")
    answer = _call("PUT", addr, "/v1/sys/init", None, {"secret_shares": 1, "secret_threshold": 1}, timeout=120)
    write_secret_file(vault.unseal_key, answer["keys_base64"][0])
    unseal(addr, answer["keys_base64"][0])
    _issue_token(addr, vault, answer["root_token"])


def renew_token(addr: str, vault: LocalVault) -> bool:
    """On each server start: renew codetether's token; False when it is gone or refused."""
    token = read_secret_file(vault.token_file)
    if not token:
        return False
    try:
        _call("POST", addr, "/v1/auth/token/renew-self", token, {})
    except LocalVaultError as exc:
        if exc.status in (400, 403):
            return False
        raise
    return True


def reissue_token(addr: str, vault: LocalVault) -> None:
    """A new token from a one-off root token (the server must run with generate-root open)."""
    _issue_token(addr, vault, _generate_root(addr, read_secret_file(vault.unseal_key)))


def _issue_token(addr: str, vault: LocalVault, root: str) -> None:
    try:
        mounts = _call("GET", addr, "/v1/sys/mounts", root)
        if f"{MOUNT}/" not in (mounts.get("data") or mounts):
            _call("POST", addr, f"/v1/sys/mounts/{MOUNT}", root, {"type": "kv", "options": {"version": "2"}})
        _call("PUT", addr, f"/v1/sys/policies/acl/{POLICY_NAME}", root, {"policy": POLICY})
        created = _call("POST", addr, "/v1/auth/token/create-orphan", root,
                        {"policies": [POLICY_NAME], "ttl": TOKEN_TTL, "renewable": True,
                         "display_name": "codetether", "meta": {"issued_by": "codetether vault"}})
        write_secret_file(vault.token_file, created["auth"]["client_token"])
    finally:
        _call("POST", addr, "/v1/auth/token/revoke-self", root, {})


def _generate_root(addr: str, key: str) -> str:
    """A one-off root token from the unseal key (the OTP flow of `bao operator generate-root`)."""
    if _call("GET", addr, "/v1/sys/generate-root/attempt", None).get("started"):
        _call("DELETE", addr, "/v1/sys/generate-root/attempt", None)  # a stale attempt would block a new one
    attempt = _call("PUT", addr, "/v1/sys/generate-root/attempt", None, {})
    done = _call("PUT", addr, "/v1/sys/generate-root/update", None, {"key": key, "nonce": attempt["nonce"]})
    encoded = done.get("encoded_token") or done.get("encoded_root_token") or ""
    raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
    otp = attempt["otp"].encode()
    return bytes(a ^ b for a, b in zip(raw, otp)).decode()


def _wait_active(addr: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while (code := health(addr)) != 200:
        if time.monotonic() > deadline:
            raise LocalVaultError(f"the local vault at {addr} did not become active (health {code})",
                                  "See bao.log in the vault folder; `codetether vault stop` then retry.")
        time.sleep(0.05)


def _call(method: str, addr: str, path: str, token: str | None, body: dict | None = None,
          timeout: float = 30.0) -> dict[str, Any]:
    headers = {"X-Vault-Token": token} if token else {}
    try:
        resp = httpx.request(method, f"{addr}{path}", json=body, headers=headers, timeout=timeout, trust_env=False)
    except httpx.HTTPError as exc:
        raise LocalVaultError(f"the local vault at {addr} did not answer {path} ({type(exc).__name__})") from None
    if resp.status_code >= 400:
        try:
            detail = "; ".join(resp.json().get("errors") or []) or resp.reason_phrase
        except ValueError:
            detail = resp.reason_phrase
        error = LocalVaultError(f"the local vault refused {method} {path} (HTTP {resp.status_code}): {detail}")
        error.status = resp.status_code
        raise error
    return resp.json() if resp.content else {}
