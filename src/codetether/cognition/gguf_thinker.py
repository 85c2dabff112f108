"""Local GGUF thinker through llama-cpp-python: the in-process counterpart of the original's Candle backend."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
import time
from pathlib import Path
from typing import Any

from codetether.cognition.settings import CognitionSettings
from codetether.cognition.thinker import ThinkerError, ThinkerOutput
from codetether.errors import UsageError

STOPS = ["<|im_end|>", "<|eot_id|>", "<|endoftext|>", "</s>", "<|end|>", "<end_of_turn>"]
VAR = "CODETETHER_COGNITION_THINKER_CANDLE_MODEL_PATH"


class GGUFThinker:
    """Loads the model on first use (in a worker thread), then generates one completion per thought step."""

    def __init__(self, settings: CognitionSettings):
        if importlib.util.find_spec("llama_cpp") is None:
            raise UsageError("CODETETHER_COGNITION_THINKER_BACKEND=candle needs the llama-cpp-python package, "
                             "which is not installed",
                             "Install it (`pip install llama-cpp-python`), or use "
                             "CODETETHER_COGNITION_THINKER_BACKEND=openai_compat.")
        path = settings.thinker_candle_model_path
        if not path:
            raise UsageError(f"CODETETHER_COGNITION_THINKER_BACKEND=candle needs {VAR}",
                             f"Set {VAR} to a .gguf model file.")
        if not Path(path).expanduser().is_file():
            raise UsageError(f"{VAR} names no file: {path}", f"Set {VAR} to an existing .gguf model file.")
        self.settings, self.path = settings, str(Path(path).expanduser())
        self.device = "cpu" if settings.thinker_candle_device == "auto" else settings.thinker_candle_device
        self.label = f"llama_cpp:{settings.thinker_candle_arch}:{self.device}@{self.path}"
        self.timeout = max(settings.thinker_timeout_ms, 1000) / 1000
        self._llm: Any = None
        self._load_error: str | None = None
        self._requests = 0
        self._lock = threading.Lock()  # one generation at a time: a Llama context is not thread-safe
        self._pending: asyncio.Future[ThinkerOutput] | None = None

    async def think(self, system: str, user: str) -> ThinkerOutput:
        if self._pending is not None and not self._pending.done():
            raise ThinkerError("local thinker is still busy with an earlier step that timed out")
        self._requests += 1
        prompt = f"System:\n{system}\n\nUser:\n{user}\n\nAssistant:\n"
        self._pending = asyncio.ensure_future(asyncio.to_thread(self._generate, prompt, self._requests))
        try:
            # shield: a timeout or a stop must not orphan the future (the thread cannot be interrupted anyway)
            return await asyncio.wait_for(asyncio.shield(self._pending), self.timeout)
        except TimeoutError:
            raise ThinkerError(f"local thinker timed out after {int(self.timeout * 1000)} ms") from None

    def _generate(self, prompt: str, index: int) -> ThinkerOutput:
        s = self.settings
        with self._lock:
            llm = self._load()
            started = time.monotonic()
            tokens = llm.tokenize(prompt.encode(), add_bos=True, special=True)
            room = max(1, llm.n_ctx() - s.thinker_max_tokens)
            tokens = tokens[-room:]  # keep the end: the instruction sits there
            try:
                out = llm.create_completion(tokens, max_tokens=s.thinker_max_tokens, temperature=s.thinker_temperature,
                                            top_p=s.thinker_top_p if s.thinker_top_p is not None else 1.0,
                                            repeat_penalty=s.thinker_candle_repeat_penalty, stop=STOPS,
                                            seed=s.thinker_candle_seed + index)
            except Exception as exc:  # llama.cpp raises plain RuntimeError/ValueError on decode failures
                raise ThinkerError(f"local thinker failed: {type(exc).__name__}: {exc}"[:300]) from None
            choice = out["choices"][0]
            usage = {k: int(out.get("usage", {}).get(k, 0)) for k in ("prompt_tokens", "completion_tokens",
                                                                      "total_tokens")}
            return ThinkerOutput(choice.get("text") or "", self.label, choice.get("finish_reason"), usage,
                                 int((time.monotonic() - started) * 1000))

    def _load(self) -> Any:
        if self._llm is not None:
            return self._llm
        if self._load_error is not None:
            raise ThinkerError(self._load_error)
        s = self.settings
        try:
            from llama_cpp import Llama

            self._llm = Llama(model_path=self.path, n_ctx=0, n_gpu_layers=-1 if self.device == "cuda" else 0,
                              main_gpu=s.thinker_candle_cuda_ordinal, seed=s.thinker_candle_seed,
                              last_n_tokens_size=max(1, s.thinker_candle_repeat_last_n), verbose=False)
        except Exception as exc:  # a bad file raises ValueError; remembered so every later step fails fast
            self._load_error = f"local thinker could not load {self.path}: {type(exc).__name__}: {exc}"[:300]
            raise ThinkerError(self._load_error) from None
        arch = self._llm.metadata.get("general.architecture", "unknown")
        if s.thinker_candle_arch == "auto":
            self.label = f"llama_cpp:{arch}:{self.device}@{self.path}"
        return self._llm

    async def aclose(self) -> None:
        if self._pending is not None and not self._pending.done():
            await asyncio.wait([self._pending], timeout=self.timeout)
        self._llm = None
