"""Images on the command line: `run -f shot.png` and a piped image reach providers that take images in their
wire format; a provider without image input refuses clearly, before sending anything."""

from __future__ import annotations

import base64
import shlex
import subprocess
import sys

from tests.cli.conftest import API_KEY, assert_clean_failure
from tests.harness.images import write_png
from tests.harness.llm_server import Reply


def _user_content(request) -> list:
    [user] = [m for m in request.body["messages"] if m["role"] == "user"]
    return user["content"]


def test_run_f_sends_the_image_to_an_openai_model(cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    png = write_png(cli.cwd / "shot.png")
    (cli.cwd / "notes.txt").write_text("a text file goes as text")
    llm_server.script(Reply(text="A red rectangle."))
    proc = cli("run", "-m", "openai/gpt-4o", "-f", "shot.png", "-f", "notes.txt", "what is in the picture?")
    assert proc.returncode == 0 and "A red rectangle." in proc.stdout, proc.stderr
    content = _user_content(llm_server.requests[-1])
    assert content[0]["type"] == "text" and "what is in the picture?" in content[0]["text"]
    assert "a text file goes as text" in content[0]["text"]
    assert content[1] == {"type": "image_url",
                          "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()}}


def test_piped_image_goes_to_an_anthropic_model(cli, vault_clean, llm_server):
    vault_clean.put_provider("anthropic", api_key=API_KEY, base_url=llm_server.base_url_anthropic)
    png = write_png(cli.cwd / "shot.png")
    llm_server.script(Reply(text="It is red."))
    command = f"cat shot.png | {shlex.quote(sys.executable)} -m codetether run -m anthropic/claude-x 'what colour?'"
    proc = subprocess.run(["bash", "-c", command], cwd=cli.cwd, env=cli.env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and "It is red." in proc.stdout, proc.stderr
    blocks = _user_content(llm_server.requests[-1])
    image = next(b for b in blocks if b["type"] == "image")
    assert image["source"] == {"type": "base64", "media_type": "image/png", "data": base64.b64encode(png).decode()}


def test_provider_without_image_input_refuses_before_sending(cli, vault_clean, llm_server):
    vault_clean.put_provider("gemini-web", cookies="__Secure-1PSID=abc; __Secure-1PSIDTS=def")
    write_png(cli.cwd / "shot.png")
    proc = cli("run", "-m", "gemini-web/gemini-web-fast", "-f", "shot.png", "what is this?")
    assert_clean_failure(proc, "cannot take images", "nothing was sent", "openai/gpt-4o")
    assert proc.returncode == 2
    listed = cli("sessions", "list", "--json")
    assert listed.stdout.strip() in ("[]", "")  # no session was started for a refused turn


def test_not_an_image_and_too_big_are_clear(cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    (cli.cwd / "big.png").write_bytes(write_png(cli.cwd / "x.png")[:16] + b"\0" * (21 * 1024 * 1024))
    assert_clean_failure(cli("run", "-m", "openai/m", "-f", "big.png", "hi"), "big.png is 21.0 MB")
    assert llm_server.requests == []
