"""Numbers from environment variables: a bad value is one clear ConfigError naming the variable, never a traceback."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from codetether.errors import ConfigError


def env_number(name: str, default: float, *, integer: bool = False, positive: bool = True,
               env: Mapping[str, str] | None = None) -> float:
    """The variable's value as a number (an int when `integer`), or `default` when it is unset or empty."""
    env = os.environ if env is None else env
    text = (env.get(name) or "").strip()
    if not text:
        return default
    what = "a whole number" if integer else "a number"
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        value = math.nan
    if math.isnan(value) or math.isinf(value) or (positive and value <= 0):
        raise ConfigError(f"{name}={text!r} is not {what}{' greater than 0' if positive else ''}",
                          f"Set {name} to {what} like {default:g}, or unset it to use {default:g}.")
    return value


def step_timeout() -> float:
    """CODETETHER_STEP_TIMEOUT_SECS: how long one model request may wait for data (default 300 s)."""
    return env_number("CODETETHER_STEP_TIMEOUT_SECS", 300.0)
