"""The CLI fixtures, for the session tests that drive the real command."""

from tests.cli.conftest import cli, workspace  # noqa: F401
