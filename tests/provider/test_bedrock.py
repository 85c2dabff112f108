"""Amazon Bedrock Converse: the wire format, SigV4 verified by the test server, bearer keys, event-stream."""

from __future__ import annotations

import json
import struct
import zlib

import pytest

from codetether.provider.errors import ProviderAuthError, ProviderProtocolError
from codetether.provider.eventstream import decode_message
from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply, ToolCall
from tests.harness.wire_extra import event_frame, verify_sigv4
from tests.provider.helpers import complete

KEY_ID, SECRET_KEY, SESSION = "AKIDEXAMPLE0001", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token-abcdef"
MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"


def _aws(server, **over):
    return {"base_url": server.url, "region": "us-west-2", "aws_access_key_id": KEY_ID,
            "aws_secret_access_key": SECRET_KEY, "aws_session_token": SESSION, **over}


@pytest.mark.parametrize("stream", [False, True], ids=["converse", "converse-stream"])
def test_sigv4_signed_converse_round_trip(llm_server, stream):
    llm_server.aws_credentials = {KEY_ID: SECRET_KEY}
    llm_server.script(Reply(text="Reading it.", tool_calls=[ToolCall("read", {"path": "a.py"}, id="tu-1")]))
    (resp,) = complete("bedrock", _aws(llm_server), MODEL, stream=stream)

    req = llm_server.requests[0]
    suffix = "converse-stream" if stream else "converse"
    assert req.path == f"/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/{suffix}"
    auth = req.headers["authorization"]
    assert auth.startswith(f"AWS4-HMAC-SHA256 Credential={KEY_ID}/") and "/us-west-2/bedrock/aws4_request" in auth
    assert req.headers["x-amz-security-token"] == SESSION
    body = req.body
    assert "model" not in body and body["system"] == [{"text": "be brief"}]
    assert body["messages"] == [{"role": "user", "content": [{"text": "read a.py"}]}]
    assert body["inferenceConfig"] == {"maxTokens": 256}
    assert body["toolConfig"]["tools"][0]["toolSpec"]["name"] == "read"
    assert body["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"]["required"] == ["path"]
    assert resp.message.text_content == "Reading it."
    (call,) = resp.message.tool_calls
    assert (call.id, call.name, json.loads(call.arguments)) == ("tu-1", "read", {"path": "a.py"})
    assert resp.finish_reason == "tool_calls" and resp.usage.prompt_tokens > 0


def test_wrong_secret_key_is_rejected_and_names_the_provider(llm_server):
    llm_server.aws_credentials = {KEY_ID: SECRET_KEY}
    llm_server.script(Reply(text="never"))
    with pytest.raises(ProviderAuthError) as err:
        complete("bedrock", _aws(llm_server, aws_secret_access_key="not-the-right-secret-key"), MODEL)
    assert "provider 'bedrock'" in err.value.message and "HTTP 403" in err.value.message
    assert "signature" in err.value.message
    assert llm_server.pending == 1  # the model was never reached


def test_bedrock_api_key_is_a_bearer_token(llm_server):
    llm_server.script(Reply(text="hi"))
    (resp,) = complete("aws-bedrock", {"base_url": llm_server.url, "api_key": API_KEY}, MODEL, tools=False)
    req = llm_server.requests[0]
    assert req.headers["authorization"] == f"Bearer {API_KEY}"
    assert "x-amz-date" not in req.headers and "toolConfig" not in req.body
    assert resp.message.text_content == "hi"


def test_missing_credentials_name_the_fields():
    with pytest.raises(ProviderAuthError) as err:
        complete("bedrock", {"base_url": "http://127.0.0.1:9", "region": "eu-west-1"}, MODEL)
    assert "aws_access_key_id" in err.value.message and "bedrock" in err.value.message


def test_harness_verifier_agrees_with_botocore():
    """The server's SigV4 check is written from the published algorithm; botocore's signature must pass it."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url, body = "http://127.0.0.1:8/model/a.b-v1%3A0/converse?x=1&a=2", b'{"messages":[]}'
    req = AWSRequest("POST", url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(KEY_ID, SECRET_KEY, SESSION), "bedrock", "us-east-1").add_auth(req)
    headers = {k.lower(): v for k, v in req.headers.items()} | {"host": "127.0.0.1:8"}
    path = "/model/a.b-v1%3A0/converse?x=1&a=2"
    assert verify_sigv4("POST", path, headers, body, {KEY_ID: SECRET_KEY}) is None
    assert verify_sigv4("POST", path, headers, body + b" ", {KEY_ID: SECRET_KEY}) is not None
    assert verify_sigv4("POST", path.replace("%3A", ":"), headers, body, {KEY_ID: SECRET_KEY}) is not None
    assert verify_sigv4("POST", path, headers, body, {KEY_ID: "other"}) is not None


def test_event_stream_decoder_checks_crcs():
    frame = event_frame("contentBlockDelta", {"delta": {"text": "hi"}})
    headers, payload = decode_message(frame)
    assert headers[":event-type"] == "contentBlockDelta" and json.loads(payload) == {"delta": {"text": "hi"}}
    broken = frame[:-5] + bytes([frame[-5] ^ 1]) + frame[-4:]
    with pytest.raises(ProviderProtocolError):
        decode_message(broken)
    bad_prelude = frame[:8] + struct.pack(">I", zlib.crc32(frame[:8]) ^ 1) + frame[12:]
    with pytest.raises(ProviderProtocolError):
        decode_message(bad_prelude)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_run_build_agent_through_bedrock(cli, vault_clean, llm_server, workspace, stream):
    llm_server.aws_credentials = {KEY_ID: SECRET_KEY}
    vault_clean.put_provider("bedrock", **_aws(llm_server))
    llm_server.script(Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]),
                      Reply(text="app.py prints helo."))
    proc = cli("run", "--agent", "build", "--model", f"bedrock/{MODEL}", "what does app.py print?",
               *([] if stream else ["--no-stream"]))
    assert proc.returncode == 0, proc.stderr
    assert "app.py prints helo." in proc.stdout
    first, second = llm_server.requests
    assert first.path.endswith("/converse-stream" if stream else "/converse")
    results = [b["toolResult"] for m in second.body["messages"] for b in m["content"] if "toolResult" in b]
    assert "helo" in results[0]["content"][0]["text"]
    assert SECRET_KEY not in proc.stdout + proc.stderr


def test_history_with_tool_calls_goes_as_text_when_no_tools_are_offered():
    from codetether.provider.bedrock import build_body
    from codetether.provider.catalog import spec_for
    from codetether.provider.model import CompletionRequest, Message, TextPart, ToolCallPart, ToolResultPart

    history = [Message.text("user", "look"), Message("assistant", [ToolCallPart("c1", "read", '{"path": "a.py"}')]),
               Message("tool", [ToolResultPart("c1", "print(1)")]), Message.text("user", "and now just chat")]
    body = build_body(CompletionRequest("anthropic.claude", history, []), spec_for("bedrock", None))
    sent = json.dumps(body)
    assert "toolUse" not in sent and "toolResult" not in sent and "toolConfig" not in body
    assert "[called tool read with" in sent and "print(1)" in sent
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert isinstance(history[1].parts[0], ToolCallPart) and not isinstance(history[1].parts[0], TextPart)
