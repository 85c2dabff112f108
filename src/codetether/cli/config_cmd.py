"""`codetether config`: show, initialise or change the configuration file."""

from __future__ import annotations

import argparse
import os

from codetether.config import load as cfg
from codetether.config.paths import config_file
from codetether.config.schema import KEYS


def execute(args: argparse.Namespace) -> int:
    path = config_file()
    if args.path:
        print(path)
    elif args.init:
        if path.exists():
            print(f"{path} already exists; left unchanged (use --set to change a key)")
        else:
            cfg.save_raw(cfg.default_document(), path)
            print(f"wrote {path}")
    elif args.set:
        key, value = cfg.set_value(args.set, path)
        print(f"{key.dotted} = {_toml_value(value)}  ({path})")
    else:
        _show(cfg.load(path), path)
    return 0


def _show(config: cfg.Config, path: os.PathLike[str]) -> None:
    print(f"# {path}{'' if os.path.exists(path) else ' (not created yet; defaults shown)'}")
    section = None
    for key in KEYS:
        if key.section != section:
            section = key.section
            print(f"\n[{section}]")
        origin = f"  # from {key.env}" if key.env and os.environ.get(key.env) else ""
        print(f"{key.name} = {_toml_value(config.get(key.dotted))}{origin}")
    vault = os.environ.get("VAULT_ADDR")
    print(f"\n# Vault: {vault or 'not configured (VAULT_ADDR unset)'}; "
          f"token {'set' if os.environ.get('VAULT_TOKEN') else 'not set'}. API keys live in Vault, never here.")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
