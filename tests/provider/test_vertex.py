"""Google Vertex AI: service-account JWT -> OAuth token (verified by a local token endpoint), Claude via rawPredict,
GLM via the OpenAI-compatible endpoint, token caching and refresh, and clear errors for bad key files."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from codetether.provider.errors import ProviderAuthError
from codetether.provider.vertex import location_base
from tests.cli.conftest import assert_clean_failure
from tests.harness.google_token_server import GoogleTokenServer, verify_jwt
from tests.harness.llm_server import Reply, ToolCall
from tests.provider.helpers import complete

EMAIL = "codetether@demo-project.iam.gserviceaccount.com"
CLAUDE = "claude-sonnet-4@20250514"
GLM = "zai-org/glm-4.7-maas"


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def google(rsa_key):
    numbers = rsa_key.public_key().public_numbers()
    with GoogleTokenServer(keys={EMAIL: (numbers.n, numbers.e)}) as server:
        yield server


def _sa(google, key, **over) -> dict:
    return {"type": "service_account", "project_id": "demo-project", "private_key_id": "kid-0001",
            "private_key": _pem(key), "client_email": EMAIL, "client_id": "1234567890",
            "token_uri": google.token_uri, **over}


def _fields(google, key, llm, **over) -> dict:
    return {"service_account_json": json.dumps(_sa(google, key)), "base_url": llm.url, "region": "us-east5", **over}


@pytest.mark.parametrize("stream", [False, True], ids=["rawPredict", "streamRawPredict"])
def test_vertex_anthropic_raw_predict_with_minted_token(llm_server, google, rsa_key, stream):
    llm_server.bearer_tokens = google.issued  # only tokens the token endpoint handed out are accepted
    llm_server.script(Reply(text="Reading it.", tool_calls=[ToolCall("read", {"path": "a.py"}, id="tu-1")]))
    (resp,) = complete("vertex-anthropic", _fields(google, rsa_key, llm_server), CLAUDE, stream=stream)

    assert google.exchanges == 1 and google.rejections == []
    (exchange,) = google.requests
    assert exchange["content_type"].startswith("application/x-www-form-urlencoded")
    (req,) = llm_server.requests
    verb = "streamRawPredict" if stream else "rawPredict"
    assert req.path == f"/v1/projects/demo-project/locations/us-east5/publishers/anthropic/models/{CLAUDE}:{verb}"
    assert req.headers["authorization"] == "Bearer ya29.vertex-token-1"
    assert "x-api-key" not in req.headers and "anthropic-version" not in req.headers
    body = req.body
    assert body["anthropic_version"] == "vertex-2023-10-16" and "model" not in body
    assert body["system"] == "be brief" and body["max_tokens"] == 256
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "read a.py"}]}]
    assert body["tools"][0]["name"] == "read" and body.get("stream", False) is stream
    assert resp.message.text_content == "Reading it."
    (call,) = resp.message.tool_calls
    assert (call.id, call.name, json.loads(call.arguments)) == ("tu-1", "read", {"path": "a.py"})


def test_vertex_glm_openai_endpoint_on_the_global_location(llm_server, google, rsa_key):
    llm_server.bearer_tokens = google.issued
    llm_server.script(Reply(text="glm here"))
    # The alias, the key file stored as a JSON object, and the project taken from inside it.
    fields = {"service_account_json": _sa(google, rsa_key), "base_url": llm_server.url}
    (resp,) = complete("vertex-ai", fields, GLM, stream=True)
    (req,) = llm_server.requests
    assert req.path == "/v1/projects/demo-project/locations/global/endpoints/openapi/chat/completions"
    assert req.headers["authorization"] == "Bearer ya29.vertex-token-1"
    assert req.body["model"] == GLM and req.body["stream"] is True
    assert resp.message.text_content == "glm here"


def test_token_is_cached_across_requests(llm_server, google, rsa_key):
    llm_server.bearer_tokens = google.issued
    llm_server.script(Reply(text="one"), Reply(text="two"))
    first, second = complete("vertex-anthropic", _fields(google, rsa_key, llm_server), CLAUDE, times=2)
    assert (first.message.text_content, second.message.text_content) == ("one", "two")
    assert google.exchanges == 1
    assert [r.headers["authorization"] for r in llm_server.requests] == ["Bearer ya29.vertex-token-1"] * 2


def test_token_near_expiry_is_minted_again(llm_server, google, rsa_key):
    google.token_ttl = 60  # inside the refresh margin: every request needs a fresh token
    llm_server.script(Reply(text="a"), Reply(text="b"))
    complete("vertex-anthropic", _fields(google, rsa_key, llm_server), CLAUDE, times=2)
    assert google.exchanges == 2
    assert [r.headers["authorization"] for r in llm_server.requests] == [
        "Bearer ya29.vertex-token-1", "Bearer ya29.vertex-token-2"]


def test_rejected_token_is_refreshed_once(llm_server, google, rsa_key):
    llm_server.bearer_tokens = {"ya29.vertex-token-2"}  # the first minted token counts as revoked
    llm_server.script(Reply(text="after refresh"))
    (resp,) = complete("vertex-anthropic", _fields(google, rsa_key, llm_server), CLAUDE)
    assert resp.message.text_content == "after refresh" and google.exchanges == 2
    assert [r.headers["authorization"] for r in llm_server.requests] == [
        "Bearer ya29.vertex-token-1", "Bearer ya29.vertex-token-2"]


def test_token_rejected_again_fails_after_one_refresh(llm_server, google, rsa_key):
    llm_server.bearer_tokens = {"ya29.never-issued"}
    llm_server.script(Reply(text="never"))
    with pytest.raises(ProviderAuthError) as err:
        complete("vertex-anthropic", _fields(google, rsa_key, llm_server), CLAUDE)
    assert "provider 'vertex-anthropic'" in err.value.message and "OAuth token" in err.value.message
    assert "HTTP 401" in err.value.message
    assert google.exchanges == 2 and len(llm_server.requests) == 2 and llm_server.pending == 1


def test_key_the_token_endpoint_does_not_know_is_refused(llm_server, google):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(ProviderAuthError) as err:
        complete("vertex-anthropic", _fields(google, stranger, llm_server), CLAUDE)
    assert google.rejections == ["Invalid JWT Signature."]
    assert "Google refused the service account" in err.value.message and EMAIL in err.value.message
    assert "service_account_json" in (err.value.hint or "")
    assert llm_server.requests == []


def test_harness_jwt_check_rejects_tampering_and_bad_claims(google, rsa_key):
    from codetether.provider.google_auth import GoogleServiceAccountAuth
    from codetether.secrets.model import ProviderSecret

    secret = ProviderSecret.from_fields("vertex-anthropic", {"service_account_json": _sa(google, rsa_key)}, "vault")
    auth = GoogleServiceAccountAuth(secret)
    good = auth.assertion()
    assert verify_jwt(good, google.keys, google.token_uri) is None
    head, claims, sig = good.split(".")
    other = auth.assertion(now=1_000_000)  # validly signed, long expired
    assert verify_jwt(other, google.keys, google.token_uri) is not None
    assert verify_jwt(f"{head}.{other.split('.')[1]}.{sig}", google.keys, google.token_uri) == "Invalid JWT Signature."
    assert verify_jwt(good, google.keys, "https://oauth2.googleapis.com/token") is not None  # wrong audience


@pytest.mark.parametrize(("value", "needle"), [
    ("{not json", "service_account_json in Vault is not valid JSON"),
    (json.dumps({"type": "authorized_user", "client_id": "x"}), "holds 'authorized_user' credentials"),
    (json.dumps({"type": "service_account", "client_email": EMAIL}), "lacks private_key"),
    (json.dumps({"client_email": EMAIL, "private_key": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"}),
     "service_account_json.private_key in Vault is not a readable PEM private key"),
], ids=["not-json", "user-credentials", "no-private-key", "bad-pem"])
def test_bad_service_account_json_names_the_field(llm_server, value, needle):
    with pytest.raises(ProviderAuthError) as err:
        complete("vertex-anthropic", {"service_account_json": value, "project_id": "p", "base_url": llm_server.url},
                 CLAUDE)
    assert needle in err.value.message and "provider 'vertex-anthropic'" in err.value.message
    assert "vault kv patch" in (err.value.hint or "") and llm_server.requests == []


def test_missing_credentials_name_the_fields(llm_server):
    with pytest.raises(ProviderAuthError) as err:
        complete("vertex-glm", {"project_id": "p", "base_url": llm_server.url}, GLM)
    assert "has no service_account_json" in err.value.message
    with pytest.raises(ProviderAuthError) as err:
        complete("vertex-glm", {"base_url": llm_server.url}, GLM)
    assert "no project_id" in err.value.message and "service_account_json" in (err.value.hint or "")


def test_api_key_is_used_as_a_ready_access_token(llm_server):
    llm_server.bearer_tokens = {"ya29.from-gcloud-print-access-token"}
    llm_server.script(Reply(text="ok"))
    fields = {"api_key": "ya29.from-gcloud-print-access-token", "project_id": "p", "base_url": llm_server.url}
    complete("gcp-anthropic", fields, CLAUDE, tools=False)
    assert llm_server.requests[0].path == f"/v1/projects/p/locations/global/publishers/anthropic/models/{CLAUDE}:rawPredict"


def test_location_urls():
    assert location_base("vertex-glm", None, {"project_id": "p"}) == \
        "https://aiplatform.googleapis.com/v1/projects/p/locations/global/endpoints/openapi"
    assert location_base("vertex-anthropic", None, {"projectId": "p", "region": "us-east5"}) == \
        "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5"
    whole = "https://proxy.example/v1/projects/q/locations/europe-west1"
    assert location_base("vertex-anthropic", whole + "/", {}) == whole


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_run_build_agent_through_vertex_anthropic(cli, vault_clean, llm_server, google, rsa_key, stream):
    llm_server.bearer_tokens = google.issued
    sa = _sa(google, rsa_key)
    vault_clean.put_provider("vertex-anthropic", service_account_json=sa, region="us-east5", base_url=llm_server.url)
    llm_server.script(Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]), Reply(text="app.py prints helo."))
    proc = cli("run", "--agent", "build", "-m", f"vertex-anthropic/{CLAUDE}", "what does app.py print?",
               *([] if stream else ["--no-stream"]))
    assert proc.returncode == 0, proc.stderr
    assert "app.py prints helo." in proc.stdout
    first, second = llm_server.requests
    verb = "streamRawPredict" if stream else "rawPredict"
    assert first.path == f"/v1/projects/demo-project/locations/us-east5/publishers/anthropic/models/{CLAUDE}:{verb}"
    assert "model" not in second.body and second.body["anthropic_version"] == "vertex-2023-10-16"
    results = [b for m in second.body["messages"] for b in m["content"] if b.get("type") == "tool_result"]
    assert "helo" in str(results[0]["content"])
    assert google.exchanges == 1  # one token for both turns
    assert sa["private_key"].splitlines()[1] not in proc.stdout + proc.stderr
    assert "ya29.vertex-token" not in proc.stdout + proc.stderr


def test_run_with_a_broken_key_file_fails_cleanly(cli, vault_clean, llm_server):
    vault_clean.put_provider("vertex-claude", service_account_json="{oops", project_id="p", base_url=llm_server.url)
    proc = cli("run", "-m", f"vertex-claude/{CLAUDE}", "hi")
    assert_clean_failure(proc, "service_account_json in Vault is not valid JSON", "vault kv patch")
    assert llm_server.requests == []


def test_models_lists_vertex_with_key_presence(cli, vault_clean, google, rsa_key):
    vault_clean.put_provider("vertex-anthropic", service_account_json=json.dumps(_sa(google, rsa_key)))
    proc = cli("models", "--provider", "vertex-anthropic", "--json")
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads(proc.stdout)
    assert row["provider"] == "vertex-anthropic" and row["available"] is True and row["source"] == "vault"
    sonnet = next(m for m in row["models"] if m["canonical_id"] == CLAUDE)
    assert sonnet["selectable_id"] == f"vertex-anthropic/{CLAUDE}" and sonnet["context_window"] == 200_000
    assert sonnet["input_cost_per_million"] == 3.0
    proc = cli("models", "-p", "vertex-ai")
    assert proc.returncode == 0, proc.stderr
    assert "vertex-glm  (no key)" in proc.stdout and f"vertex-glm/{GLM}" in proc.stdout
    assert "BEGIN PRIVATE KEY" not in proc.stdout + proc.stderr


def test_run_without_a_secret_says_what_to_store(cli, vault_clean):
    proc = cli("run", "-m", f"gcp-glm/{GLM}", "hi")
    assert_clean_failure(proc, "provider 'gcp-glm'", "service_account_json=@service-account.json")


def test_token_answer_with_a_non_numeric_expires_in_is_a_clear_error(llm_server, google, rsa_key):
    from codetether.provider.errors import ProviderProtocolError

    google.token_ttl = "an hour"
    with pytest.raises(ProviderProtocolError) as err:
        complete("vertex-glm", _fields(google, rsa_key, llm_server), GLM)
    assert "expires_in that is not a number of seconds: 'an hour'" in err.value.message
    assert "vertex-glm" in err.value.message and llm_server.requests == []
