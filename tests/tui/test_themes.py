"""The seed's theme presets and ui.theme / ui.custom_theme from the config file, applied live when ui.hot_reload
is on (the config is read again every 2 s)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from codetether.tui import themes
from tests.tui.conftest import make_app, wait_for


def _config_file() -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_ui_theme_changes_apply_live_with_hot_reload(tui_env, workspace):
    config = _config_file()
    config.write_text('[ui]\ntheme = "solarized-dark"\nhot_reload = true\n')

    async def scenario() -> None:
        app = make_app(workspace)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: len(app.screen_stack) > 1)
            assert app.theme == "solarized-dark" and app.current_theme.background == "#002b36"
            config.write_text('[ui]\ntheme = "solarized-light"\nhot_reload = true\n')
            await wait_for(pilot, lambda: app.theme == "solarized-light", timeout=10)
            assert app.current_theme.background == "#fdf6e3" and not app.current_theme.dark
            # custom_theme colours go over the preset, and a change to them applies too.
            config.write_text('[ui]\ntheme = "solarized-light"\nhot_reload = true\ncustom_theme = { primary = "#ff8700" }\n')
            await wait_for(pilot, lambda: app.theme == themes.CUSTOM, timeout=10)
            assert app.current_theme.primary == "#ff8700" and app.current_theme.background == "#fdf6e3"
            config.write_text('[ui]\ntheme = "solarized-light"\nhot_reload = true\ncustom_theme = { primary = "#00ff00" }\n')
            await wait_for(pilot, lambda: app.current_theme.primary == "#00ff00", timeout=10)
            # A file caught mid-edit (broken TOML) keeps what is showing, and says so once.
            config.write_text('[ui\ntheme = "dark"\n')
            await wait_for(pilot, lambda: any("is not valid TOML" in str(n.message) for n in app._notifications),
                           timeout=10)
            assert app.current_theme.primary == "#00ff00"
            config.write_text('[ui]\ntheme = "default"\nhot_reload = true\n')
            await wait_for(pilot, lambda: app.theme == themes.DARK.name, timeout=10)
            await app.action_quit()

    asyncio.run(scenario())


def test_without_hot_reload_the_theme_stays_and_bad_values_are_notices(tui_env, workspace):
    config = _config_file()
    config.write_text('[ui]\ntheme = "no-such-theme"\ncustom_theme = { primary = "not a colour", shade = "x" }\n')

    async def scenario() -> None:
        app = make_app(workspace)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: len(app.screen_stack) > 1)
            assert app.theme == themes.DARK.name
            notices = [str(n.message) for n in app._notifications]
            assert any("unknown theme 'no-such-theme'" in n for n in notices)
            assert any("'not a colour' is not a colour" in n for n in notices)
            assert any("unknown field(s) shade" in n for n in notices)
            config.write_text('[ui]\ntheme = "light"\n')
            await pilot.pause(2.5)
            assert app.theme == themes.DARK.name  # hot_reload is off: nothing is re-read
            await app.action_quit()

    asyncio.run(scenario())


def test_presets_include_the_seeds():
    for name in ("dark", "default", "light", "solarized-dark", "solarized-light"):
        assert name in themes.BUILTIN
