"""Persistent sessions: every message, tool call, turn and file snapshot, in one SQLite database."""
