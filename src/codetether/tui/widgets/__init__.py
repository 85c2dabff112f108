"""Widgets of the TUI: chat transcript, tool calls, prompt, status bar, sidebar."""
