"""`codetether config`, --version and --help."""

from __future__ import annotations

import tomllib

from codetether import __version__
from tests.cli.conftest import assert_clean_failure


def test_version_and_help(cli):
    assert cli("--version").stdout.strip() == f"codetether {__version__}"
    out = cli("--help").stdout
    assert "run" in out and "config" in out


def test_init_set_show_round_trip(cli):
    path = cli("config", "--path").stdout.strip()
    assert cli("config", "--init").returncode == 0
    assert cli("config", "--set", "default.model=openai/gpt-4o").returncode == 0
    assert cli("config", "--set", "session.max_steps=42").returncode == 0
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    assert data["default"]["model"] == "openai/gpt-4o" and data["session"]["max_steps"] == 42
    assert data["ui"]["theme"] == "dark"  # keys written by --init survive
    shown = cli("config", "--show").stdout
    assert 'model = "openai/gpt-4o"' in shown and "max_steps = 42" in shown


def test_set_rejects_unknown_key_and_wrong_type(cli):
    assert_clean_failure(cli("config", "--set", "default.colour=red"), "unknown config key 'default.colour'")
    assert_clean_failure(cli("config", "--set", "session.max_steps=many"), "must be an integer")
    assert_clean_failure(cli("config", "--set", "ui.hot_reload=perhaps"), "true or false")


def test_environment_overrides_file(cli):
    cli("config", "--set", "default.model=openai/gpt-4o")
    shown = cli("config", "--show", env={**cli.env, "CODETETHER_DEFAULT_MODEL": "anthropic/claude"}).stdout
    assert 'model = "anthropic/claude"' in shown and "CODETETHER_DEFAULT_MODEL" in shown


def test_show_never_prints_the_vault_token(cli):
    shown = cli("config", "--show").stdout
    assert cli.env["VAULT_TOKEN"] not in shown and "token set" in shown
