"""Opt-in crash reporting: a forced crash queues a scrubbed report, and the next start uploads it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from codetether.crash.consent import save_choice
from codetether.crash.report import scrub_argv
from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply

BEARER = "crash-bearer-token-0123456789"
PASSWORD = "hunter2-db-password-xyz"


class Endpoint:
    """A crash endpoint on 127.0.0.1 that records requests; `legacy` rejects the envelope like an old server."""

    def __init__(self, legacy: bool = False):
        self.requests: list[tuple[dict[str, str], dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = 422 if legacy and "schema" in body else 202
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/crashes"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _spool(env) -> Path:
    return Path(env["CODETETHER_DATA_DIR"]) / "crash-reports"


def test_forced_crash_queues_report_without_secrets(cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(Reply(text="hi there"))
    assert cli("config", "--set", "telemetry.crash_reporting=true").returncode == 0
    vault_token = cli.env["VAULT_TOKEN"]
    env = {**cli.env, "CODETETHER_CRASH_REPORT_AUTH_TOKEN": BEARER, "MY_DB_PASSWORD": PASSWORD,
           # after the command ran, so the Vault key was really loaded; the message carries every secret
           "CODETETHER_DEBUG_FORCE_CRASH": f"after:leaked {API_KEY} {vault_token} {BEARER} {PASSWORD}"}

    proc = cli("run", "--model", "openai/test-model", "say hi", env=env)

    assert proc.returncode == 70, proc.stderr
    assert "crash report queued at" in proc.stderr and "Traceback" not in proc.stderr
    reports = list(_spool(cli.env).glob("*.json"))
    assert len(reports) == 1
    text = reports[0].read_text()
    for secret in (API_KEY, vault_token, BEARER, PASSWORD):
        assert secret not in text and secret not in proc.stderr
    report = json.loads(text)
    assert report["report_version"] == 1 and report["command_line"].startswith("codetether run --model")
    assert "forced crash: leaked [REDACTED]" in report["panic_message"]
    assert "dispatch.py" in report["backtrace"]
    assert "raise RuntimeError" not in text  # names and line numbers only, never source lines
    assert not (Path(cli.env["CODETETHER_DATA_DIR"]) / "crash.log").exists()


@pytest.mark.parametrize("legacy", [False, True], ids=["envelope", "legacy-fallback"])
def test_next_start_uploads_queued_report(cli, legacy):
    endpoint = Endpoint(legacy)
    try:
        cli("config", "--set", "telemetry.crash_reporting=true")
        cli("config", "--set", f"telemetry.crash_report_endpoint={endpoint.url}")
        crashed = cli("config", "--path", env={**cli.env, "CODETETHER_DEBUG_FORCE_CRASH": "boom"})
        assert crashed.returncode == 70, crashed.stderr
        [queued] = _spool(cli.env).glob("*.json")
        report_id = json.loads(queued.read_text())["report_id"]
        auth = {"CODETETHER_CRASH_REPORT_API_KEY": "api-key-987654321"} if legacy else \
            {"CODETETHER_CRASH_REPORT_AUTH_TOKEN": BEARER}

        proc = cli("config", "--path", env={**cli.env, **auth})

        assert proc.returncode == 0, proc.stderr
        headers, body = endpoint.requests[-1]
        assert headers["x-codetether-report-id"] == report_id
        assert headers["x-codetether-schema"] == "codetether.crash.v1"
        if legacy:
            assert len(endpoint.requests) == 2 and endpoint.requests[0][1]["schema"] == "codetether.crash.v1"
            assert headers["x-codetether-payload"] == "legacy" and body["report_id"] == report_id
            assert headers["x-codetether-api-key"] == "api-key-987654321"
        else:
            assert len(endpoint.requests) == 1 and headers["authorization"] == f"Bearer {BEARER}"
            assert body["schema"] == "codetether.crash.v1" and body["source"] == "codetether-agent"
            assert body["report"]["report_id"] == report_id and body["install_id"]
        assert list(_spool(cli.env).glob("*.json")) == []  # sent reports leave the queue
    finally:
        endpoint.close()


def test_disabled_writes_no_report_and_uploads_nothing(cli):
    proc = cli("config", "--path", env={**cli.env, "CODETETHER_DEBUG_FORCE_CRASH": "boom"})
    assert proc.returncode == 70
    assert "Crash reporting is disabled (opt-in)" in proc.stderr and "Traceback" not in proc.stderr
    assert not _spool(cli.env).exists()
    assert (Path(cli.env["CODETETHER_DATA_DIR"]) / "crash.log").exists()  # the local log is kept


def test_argv_secrets_are_masked(monkeypatch):
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "tok-abcdef-123456")
    line = scrub_argv(["codetether", "worker", "--token", "abc123456", "--api-key=xyz987654",
                       "password=opensesame1", "tok-abcdef-123456", "--name", "box"])
    assert line == ("codetether worker --token [REDACTED] --api-key=[REDACTED] password=[REDACTED] [REDACTED] "
                    "--name box")


def test_consent_answer_is_saved(tmp_path):
    path = tmp_path / "config.toml"
    assert "Crash reporting enabled" in save_choice(True, path)
    text = path.read_text()
    assert "crash_reporting = true" in text and "crash_reporting_prompted = true" in text
    assert save_choice(False, path) == "Crash reporting disabled."
    assert "crash_reporting = false" in path.read_text()
