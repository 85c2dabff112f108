"""Where codetether keeps its config and data, following XDG conventions."""

from __future__ import annotations

import os
from pathlib import Path

APP = "codetether-agent"


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / APP


def config_file() -> Path:
    return config_dir() / "config.toml"


def data_dir() -> Path:
    explicit = os.environ.get("CODETETHER_DATA_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / APP


def cache_dir() -> Path:
    """What can be rebuilt at any time (derived model tables), shared by every data dir."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / APP
