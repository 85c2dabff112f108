"""Snapshots of the main screens (pytest-textual-snapshot); `--snapshot-update` rewrites them after a UI change."""

from __future__ import annotations

from tests.tui.conftest import make_app, wait_for


async def _ready(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.session is not None)
    # The cursor shown and its blink stopped: where the blink is at capture time depends on the machine's load.
    pilot.app.screen.query_one("#prompt")._pause_blink(visible=True)
    await pilot.pause()


def test_main_screen_webview(snap_compare, tui_env, workspace):
    assert snap_compare(make_app(workspace), terminal_size=(120, 32), run_before=_ready)


def test_main_screen_at_80x24(snap_compare, tui_env, workspace):
    assert snap_compare(make_app(workspace), terminal_size=(80, 24), run_before=_ready)


def test_help_overlay(snap_compare, tui_env, workspace):
    async def run_before(pilot) -> None:
        await _ready(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(make_app(workspace), terminal_size=(100, 30), run_before=run_before)
