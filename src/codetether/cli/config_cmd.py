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
        _show(cfg.load(), path)
    return 0


def _show(config: cfg.Config, path: os.PathLike[str]) -> None:
    print(f"# {path}{'' if os.path.exists(path) else ' (not created yet; defaults shown)'}")
    for project in config.project_files:
        print(f"# merged over it: {project} (project settings that cannot widen what the agent may do)")
    section = None
    for key in KEYS:
        if key.section != section:
            section = key.section
            print(f"\n[{section}]")
        origin = f"  # from {key.env}" if key.env and os.environ.get(key.env) else ""
        print(f"{key.name} = {_toml_value(config.get(key.dotted))}{origin}")
    from codetether.errors import CodetetherError
    from codetether.secrets import sealed
    from codetether.secrets.vault_token import vault_token

    env = sealed.environ()
    try:
        token, token_file = vault_token(env)
        where = f"token from {token_file}" if token_file else ("token set" if token else "token not set")
    except CodetetherError as exc:
        where = exc.message
    print(f"\n# Vault: {env.get('VAULT_ADDR') or 'not configured (VAULT_ADDR unset)'}; {where}. "
          "API keys live in Vault, never here.")


def _toml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
