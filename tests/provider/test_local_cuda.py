"""local_cuda: configuration from Vault or LOCAL_CUDA_*, clear errors, and real in-process llama.cpp generation."""

from __future__ import annotations

import asyncio
import importlib.util
import sys

import pytest

from codetether.errors import ConfigError
from codetether.provider.catalog import canonical, spec_for
from codetether.provider.factory import make_provider
from codetether.provider.local_cuda import secret_from_env
from codetether.provider.model import CompletionRequest, Message, TextDelta
from codetether.secrets.model import ProviderSecret
from tests.cli.conftest import assert_clean_failure
from tests.harness.tiny_gguf import tiny_llama
from tests.provider.helpers import READ_TOOL

needs_llama = pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                                 reason="llama-cpp-python is not installed (optional: pip install llama-cpp-python)")
needs_gguf = pytest.mark.skipif(importlib.util.find_spec("gguf") is None,
                                reason="the test-only gguf package writes the tiny model")


def _provider(**fields):
    return make_provider(spec_for("local_cuda", None), ProviderSecret.from_fields("local_cuda", fields, "vault"),
                         env={})


@pytest.fixture
def tiny(tmp_path):
    if importlib.util.find_spec("gguf") is None:
        pytest.skip("the test-only gguf package writes the tiny model")
    return tiny_llama(tmp_path / "tiny.gguf", n_ctx=4096)


def test_aliases_and_env_configuration():
    assert canonical("local-cuda") == canonical("localcuda") == "local_cuda"
    assert secret_from_env({}) is None and secret_from_env({"CODETETHER_LOCAL_CUDA": "0"}) is None
    assert secret_from_env({"CODETETHER_LOCAL_CUDA": "1"}) is not None
    assert secret_from_env({"LOCAL_CUDA_MODEL_PATH": "/m.gguf"}).provider_id == "local_cuda"


def test_missing_model_path_and_file_are_named():
    with pytest.raises(ConfigError, match="LOCAL_CUDA_MODEL_PATH"):
        _provider()
    with pytest.raises(ConfigError, match="names no file: /nowhere/model.gguf"):
        _provider(model_path="/nowhere/model.gguf")


def test_missing_llama_cpp_is_one_line_saying_how_to_install(tmp_path, monkeypatch):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # what an environment without the package looks like
    with pytest.raises(ConfigError) as info:
        _provider(model_path=str(model))
    assert "needs llama-cpp-python, which is not installed: pip install llama-cpp-python" in info.value.message
    assert "\n" not in info.value.message


def test_bad_settings_are_named(tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    with pytest.raises(ConfigError, match="device must be auto, cpu or cuda"):
        _provider(model_path=str(model), device="tpu")
    with pytest.raises(ConfigError, match="context_window must be a positive whole number"):
        _provider(model_path=str(model), context_window="lots")


@needs_llama
def test_a_file_that_is_no_model_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF not really")
    provider = _provider(model_path=str(bad), device="cpu")
    with pytest.raises(ConfigError, match="could not load"):
        asyncio.run(provider.complete(CompletionRequest("x", [Message.text("user", "hi")])))


@needs_llama
@needs_gguf
def test_real_in_process_generation_with_text_tools(tiny):
    provider = _provider(model_path=str(tiny), device="cpu", max_tokens="8", context_window="4096")
    deltas: list[TextDelta] = []
    request = CompletionRequest("qwen3.5-9b", [Message.text("system", "be brief"), Message.text("user", "hi")],
                                [READ_TOOL], temperature=0)

    async def go():
        try:
            return await provider.complete(request, deltas.append)
        finally:
            await provider.aclose()
    response = asyncio.run(go())
    # Random weights say nothing sensible, but the whole path ran: prompt with the tool list, tokens out.
    assert response.usage.prompt_tokens > 200  # the system prompt carries the tool protocol
    assert 0 < response.usage.completion_tokens <= 8
    assert "".join(d.text for d in deltas) == response.message.text_content
    assert provider.context_window == 4096


@needs_llama
@needs_gguf
def test_run_with_a_local_model_from_the_environment(cli, tiny):
    env = {**cli.env, "LOCAL_CUDA_MODEL_PATH": str(tiny), "LOCAL_CUDA_MAX_TOKENS": "4", "LOCAL_CUDA_DEVICE": "cpu",
           "LOCAL_CUDA_CONTEXT": "4096"}
    proc = cli("run", "-m", "local-cuda/tiny", "hello", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


def test_run_without_a_model_file_is_a_clean_failure(cli):
    proc = cli("run", "-m", "local_cuda/qwen3.5-9b", "hello", env={**cli.env, "CODETETHER_LOCAL_CUDA": "1"})
    assert_clean_failure(proc, "needs a GGUF model file", "LOCAL_CUDA_MODEL_PATH")


@needs_llama
@needs_gguf
def test_cancelled_generation_stops_before_the_next_one_starts(tmp_path):
    babbler = tiny_llama(tmp_path / "babble.gguf", n_ctx=4096, babble=True)  # " a a a ..." up to max_tokens
    provider = _provider(model_path=str(babbler), device="cpu", context_window="4096")
    long = CompletionRequest("tiny", [Message.text("user", "hi")], max_tokens=3000, stream=True)
    short = CompletionRequest("tiny", [Message.text("user", "hi")], max_tokens=4)

    async def go():
        first: list[TextDelta] = []
        task = asyncio.create_task(provider.complete(long, first.append))
        while len(first) < 3:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        at_cancel = len(first)
        try:
            second = await provider.complete(short)  # must not run beside the cancelled request's thread
        finally:
            await provider.aclose()
        await asyncio.sleep(0.3)
        return first, at_cancel, second
    first, at_cancel, second = asyncio.run(go())
    # The first generation's thread stopped within a token or two of the cancel instead of writing 3000 tokens.
    assert len(first) - at_cancel <= 3, f"{len(first) - at_cancel} deltas after the cancel"
    assert second.usage.completion_tokens == 4 and second.message.text_content.split() == ["a"] * 4
