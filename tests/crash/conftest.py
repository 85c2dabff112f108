"""These tests reuse the CLI fixtures: an isolated environment, OpenBao and the scripted LLM server."""

from tests.cli.conftest import cli, workspace  # noqa: F401 - fixtures, re-exported for this package
