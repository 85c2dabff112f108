"""The webview side panes: workspace files and recent sessions (left), inspector (right)."""

from __future__ import annotations

from pathlib import Path

from textual.containers import Vertical
from textual.widgets import Static

SKIP = {".git", "node_modules", "target", ".next", "__pycache__", ".venv"}


def workspace_entries(root: Path, limit: int = 18) -> list[str]:
    """Top-level entries, directories first, case-insensitive, without build and VCS folders."""
    try:
        items = [p for p in root.iterdir() if p.name not in SKIP]
    except OSError:
        return []
    items.sort(key=lambda p: (not p.is_dir(), p.name.lower()))
    return [("📁 " if p.is_dir() else "📄 ") + p.name for p in items[:limit]]


class Sidebar(Vertical):
    """Workspace entries and recent sessions of this project."""

    def compose(self):
        yield Static(" Workspace ", classes="pane-title")
        yield Static("", id="workspace-list", markup=False)
        yield Static(" Recent Sessions ", classes="pane-title")
        yield Static("", id="recent-sessions", markup=False)

    def refresh_entries(self, root: Path, sessions: list[tuple[str, str, bool]]) -> None:
        entries = workspace_entries(root, 12)
        self.query_one("#workspace-list", Static).update("\n".join(entries) or "(empty)")
        lines = [("● " if active else "○ ") + title[:22] for _sid, title, active in sessions[:6]]
        self.query_one("#recent-sessions", Static).update("\n".join(lines) or "(none yet)")


class Inspector(Vertical):
    """What the agent is doing now, and the keys that matter."""

    def compose(self):
        yield Static(" Inspector ", classes="pane-title")
        yield Static("", id="inspector-body", markup=False)

    def show(self, status: str, tool: str, session: str, messages: int, agent: str) -> None:
        self.query_one("#inspector-body", Static).update(
            f"Status: {status}\nTool: {tool}\nSession: {session}\nMessages: {messages}\nAgent: {agent}\n\n"
            "Tab agent · Esc stop\nCtrl+P model (/model)\n/sessions · /undo\n? help · Ctrl+Q quit")
