"""Provider tests drive the real CLI too: reuse the CLI fixtures."""

from tests.cli.conftest import cli, workspace  # noqa: F401
