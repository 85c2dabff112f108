"""Numbers from the environment and from sign-in servers: a bad one is one clear line naming it, not a crash."""

from __future__ import annotations

import pytest

from codetether.config.env import env_number
from codetether.errors import ConfigError
from codetether.provider.catalog import spec_for
from codetether.provider.factory import make_provider
from codetether.secrets.model import ProviderSecret
from tests.cli.conftest import assert_clean_failure
from tests.harness.oauth_server import OAuthServer


def test_env_number():
    assert env_number("X_SECS", 300.0, env={}) == 300.0
    assert env_number("X_SECS", 300.0, env={"X_SECS": " 2.5 "}) == 2.5
    assert env_number("X_N", 4, integer=True, env={"X_N": "7"}) == 7
    for bad in ("abc", "0", "-3", "nan", "inf", "1e999"):
        with pytest.raises(ConfigError) as err:
            env_number("X_SECS", 300.0, env={"X_SECS": bad})
        assert f"X_SECS={bad!r} is not a number greater than 0" == err.value.message
        assert "Set X_SECS to a number like 300" in (err.value.hint or "")
    with pytest.raises(ConfigError, match="X_N='2.5' is not a whole number"):
        env_number("X_N", 4, integer=True, env={"X_N": "2.5"})


@pytest.mark.parametrize("var", ["CODETETHER_STEP_TIMEOUT_SECS", "CODETETHER_PROVIDER_MAX_ATTEMPTS"])
def test_bad_number_in_the_environment_is_one_clear_line(cli, vault_clean, llm_server, var):
    vault_clean.put_provider("openai", api_key="sk-test-key-123456", base_url=llm_server.base_url_openai)
    proc = cli("run", "--model", "openai/gpt-4o", "hi", env={**cli.env, var: "abc"})
    assert_clean_failure(proc, f"{var}='abc' is not a", f"Set {var} to")
    assert "internal error" not in proc.stderr and llm_server.requests == []


def test_bad_step_timeout_for_gemini_web(monkeypatch):
    monkeypatch.setenv("CODETETHER_STEP_TIMEOUT_SECS", "five minutes")
    secret = ProviderSecret.from_fields("gemini-web", {"cookies": "__Secure-1PSID=psid-value-123",
                                                       "base_url": "http://127.0.0.1:9"}, "vault")
    with pytest.raises(ConfigError, match="CODETETHER_STEP_TIMEOUT_SECS='five minutes' is not a number"):
        make_provider(spec_for("gemini-web", None), secret)


def test_token_answer_with_a_non_numeric_expires_in(cli, vault_clean):
    with OAuthServer(access_ttl="soon") as oauth:  # type: ignore[arg-type]
        proc = cli("auth", "codex", "--device-code", env={**cli.env, "CODETETHER_OPENAI_AUTH_ISSUER": oauth.url})
    assert_clean_failure(proc, "expires_in that is not a number of seconds: 'soon'", "codetether auth codex")
    assert "internal error" not in proc.stderr and vault_clean.read_provider("openai-codex") is None


def test_device_code_with_a_non_numeric_interval(cli, vault_clean):
    with OAuthServer(device_interval="fast") as oauth:
        proc = cli("auth", "codex", "--device-code", env={**cli.env, "CODETETHER_OPENAI_AUTH_ISSUER": oauth.url})
    assert_clean_failure(proc, "device-code poll interval that is not a number of seconds: 'fast'", "without --device-code")
    assert "internal error" not in proc.stderr
