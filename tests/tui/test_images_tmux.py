"""Images in the real TUI (tmux): a path to an image in the prompt (typed, dropped, `@shot.png`) and an image
pasted from the system clipboard with Ctrl+V (a real X clipboard: Xvfb and xclip) go to the model as images."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.cli.conftest import API_KEY
from tests.harness.images import write_png
from tests.harness.llm_server import Reply
from tests.harness.tmux import HAVE_TMUX, Tmux

pytestmark = pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")


@pytest.fixture
def tui_env(isolated_env, vault_clean, llm_server) -> dict[str, str]:
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    return {**isolated_env, **vault_clean.env(), "CODETETHER_DEFAULT_MODEL": "openai/gpt-4o",
            "TERM": "xterm-256color", "CODETETHER_CRASH_REPORTING": "false"}


def _images(request) -> list[str]:
    return [part["image_url"]["url"] for m in request.body["messages"] if m["role"] == "user"
            and isinstance(m["content"], list) for part in m["content"] if part["type"] == "image_url"]


def test_image_paths_in_the_prompt_are_attached(tui_env, llm_server, workspace):
    png = write_png(workspace / "shot.png")
    (workspace / "screens").mkdir()
    write_png(workspace / "screens" / "my shot.png", rgb=(0, 0, 255))
    llm_server.script(Reply(text="one image seen"), Reply(text="two images seen"))
    with Tmux([sys.executable, "-m", "codetether", "tui"], tui_env, workspace, width=120, height=30) as term:
        term.until("openai/gpt-4o")
        term.type("what is wrong in @shot.png ?")  # the space closes the @-completion popup
        # Enter once the prompt shows what was typed: sent in the same burst as the text, the whole prompt was lost
        # about once in 15 runs (the same before and after this stop's changes; noted as left in the closing note).
        term.until("what is wrong in @shot.png ?")
        term.send("Enter")
        term.until("one image seen")
        term.type(r"compare shot.png with screens/my\ shot.png")  # as a terminal pastes a dropped file
        term.send("Enter")
        term.until("two images seen")
        term.send("C-q")
        assert term.wait_exit()
    first, second = llm_server.requests[-2:]
    assert _images(first) == ["data:image/png;base64," + base64.b64encode(png).decode()]
    assert len(_images(second)) == 3  # the first turn's image stays in the conversation, two new ones


@pytest.fixture
def x_clipboard(tmp_path) -> Iterator[str]:
    """A real X display (Xvfb) whose clipboard holds a PNG (served by xclip); yields the DISPLAY value."""
    if not (shutil.which("Xvfb") and shutil.which("xclip")):
        pytest.skip("Xvfb and xclip are not installed")
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-nolisten", "tcp"], pass_fds=(write,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    display = ":" + os.read(read, 16).decode().strip()
    png = tmp_path / "clip.png"
    write_png(png, rgb=(0, 255, 0))
    env = {**os.environ, "DISPLAY": display}
    xclip = subprocess.Popen(["xclip", "-quiet", "-selection", "clipboard", "-t", "image/png", "-i", str(png)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield display
    finally:
        for proc in (xclip, xvfb):
            proc.terminate()
            proc.wait(10)


def test_ctrl_v_pastes_the_clipboard_image(tui_env, llm_server, workspace, x_clipboard, tmp_path):
    llm_server.script(Reply(text="a green picture"))
    env = {**tui_env, "DISPLAY": x_clipboard}
    with Tmux([sys.executable, "-m", "codetether", "tui"], env, workspace, width=120, height=30) as term:
        term.until("openai/gpt-4o")
        term.send("C-v")
        term.until("[image #1]")
        term.type("what colour is this?")
        term.send("Enter")
        term.until("a green picture")
        term.send("C-q")
        assert term.wait_exit()
    [url] = _images(llm_server.requests[-1])
    assert url == "data:image/png;base64," + base64.b64encode((tmp_path / "clip.png").read_bytes()).decode()
