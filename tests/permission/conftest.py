"""Fixtures shared with the tool tests: a directory outside the workspace."""

from tests.tools.conftest import outside  # noqa: F401
