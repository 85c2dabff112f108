"""Every CODETETHER_COGNITION_* variable of the seed's table, its default, and clear errors for bad values."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from codetether.cognition.settings import CognitionSettings
from codetether.cognition.thinker import OpenAICompatThinker, build_thinker
from codetether.errors import UsageError

SEED_DEFAULTS = {
    "ENABLED": True, "AUTO_START": True, "LOOP_INTERVAL_MS": 2000, "MAX_SPAWN_DEPTH": 4, "MAX_BRANCHING_FACTOR": 4,
    "MAX_EVENTS": 2000, "MAX_SNAPSHOTS": 128, "THINKER_ENABLED": True, "THINKER_BACKEND": "openai_compat",
    "THINKER_BASE_URL": "http://127.0.0.1:11434/v1", "THINKER_MODEL": "qwen2.5:3b-instruct",
    "THINKER_API_KEY": None, "THINKER_TEMPERATURE": 0.2, "THINKER_TOP_P": None, "THINKER_MAX_TOKENS": 256,
    "THINKER_TIMEOUT_MS": 12000, "THINKER_CANDLE_MODEL_PATH": None, "THINKER_CANDLE_TOKENIZER_PATH": None,
    "THINKER_CANDLE_ARCH": "auto", "THINKER_CANDLE_DEVICE": "auto", "THINKER_CANDLE_CUDA_ORDINAL": 0,
    "THINKER_CANDLE_REPEAT_PENALTY": 1.1, "THINKER_CANDLE_REPEAT_LAST_N": 64, "THINKER_CANDLE_SEED": 42,
    # in the spec, not in the README table
    "TOKEN_CREDITS_PER_MINUTE": 20000, "CPU_CREDITS_PER_MINUTE": 10000, "IDLE_TTL_SECS": 3600, "SHARE_MEMORY": False,
}


def test_every_seed_variable_has_its_default():
    s = CognitionSettings.from_env({})
    assert {k: getattr(s, k.lower()) for k in SEED_DEFAULTS} == SEED_DEFAULTS


def test_values_are_parsed():
    s = CognitionSettings.from_env({"CODETETHER_COGNITION_ENABLED": "off", "CODETETHER_COGNITION_AUTO_START": "NO",
                                    "CODETETHER_COGNITION_THINKER_TOP_P": "0.5",
                                    "CODETETHER_COGNITION_THINKER_BACKEND": "Candle",
                                    "CODETETHER_COGNITION_THINKER_BASE_URL": "http://h:1/v1/",
                                    "CODETETHER_COGNITION_MAX_SPAWN_DEPTH": " 2 "})
    assert (s.enabled, s.auto_start, s.thinker_top_p, s.thinker_backend, s.thinker_base_url, s.max_spawn_depth) \
        == (False, False, 0.5, "gguf", "http://h:1/v1", 2)


@pytest.mark.parametrize(("var", "value", "needle"), [
    ("THINKER_TEMPERATURE", "hot", "a number between 0.0 and 2.0"),
    ("THINKER_TOP_P", "1.5", "a number between 0.0 and 1.0"),
    ("MAX_EVENTS", "0", "a whole number >= 1"),
    ("THINKER_BASE_URL", "localhost:11434", "an http:// or https:// URL"),
    ("THINKER_CANDLE_DEVICE", "tpu", "one of auto, cpu, cuda"),
    ("SHARE_MEMORY", "sometimes", "true/false"),
])
def test_bad_values_name_the_variable(var, value, needle):
    with pytest.raises(UsageError) as err:
        CognitionSettings.from_env({f"CODETETHER_COGNITION_{var}": value})
    assert f"CODETETHER_COGNITION_{var}={value!r} is not valid" in err.value.message and needle in err.value.message
    assert f"Fix CODETETHER_COGNITION_{var}" in err.value.hint


def test_api_key_never_shows_in_repr():
    s = CognitionSettings.from_env({"CODETETHER_COGNITION_THINKER_API_KEY": "sk-very-secret"})
    assert "sk-very-secret" not in repr(s) and "sk-very-secret" not in str(s)


def test_backend_selection(tmp_path):
    assert build_thinker(CognitionSettings(thinker_enabled=False)) is None
    t = build_thinker(CognitionSettings(thinker_base_url="http://127.0.0.1:9/v1/chat/completions"))
    assert isinstance(t, OpenAICompatThinker) and t.url == "http://127.0.0.1:9/v1/chat/completions"
    with pytest.raises(UsageError) as err:
        build_thinker(CognitionSettings(thinker_backend="gguf", thinker_candle_model_path=str(tmp_path / "x.gguf")))
    if importlib.util.find_spec("llama_cpp") is None:
        assert "needs the llama-cpp-python package" in err.value.message
    else:
        assert "CODETETHER_COGNITION_THINKER_CANDLE_MODEL_PATH names no file" in err.value.message


def test_version_imports_no_cognition_module():
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "codetether", "--version"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip()
    assert "codetether.cognition" not in out.stderr and "llama_cpp" not in out.stderr
    assert "import time:" in out.stderr  # the check above really saw the import log
