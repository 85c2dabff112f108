"""The Textual TUI: `codetether tui` and bare `codetether` on a terminal."""
