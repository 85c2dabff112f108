"""--access-mode, --yolo and --allow-network: one definition for every command that runs an agent."""

from __future__ import annotations

import argparse
import os


def add_sandbox_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--access-mode", choices=("ask", "approve", "full"),
                   help="ask: commands run read-only and edits need approval; approve (default): commands may "
                        "write only the workspace; full: no sandbox limits")
    p.add_argument("--yolo", action="store_true",
                   help="--access-mode full and approve everything a [permission] rule would ask about")
    p.add_argument("--allow-network", action="store_true",
                   help="let commands reach the network (off by default: only their own loopback)")


def apply_sandbox_flags(args: argparse.Namespace) -> None:
    """The flags become this process's settings, so every agent it assembles (tasks, iterations, sub-agents)
    gets them; --yes alone never widens the sandbox."""
    if getattr(args, "yolo", False):
        args.access_mode = "full"
        if hasattr(args, "yes"):
            args.yes = True
        if hasattr(args, "auto_approve"):  # the worker's way to say yes
            args.auto_approve = "all"
    if getattr(args, "access_mode", None):
        os.environ["CODETETHER_ACCESS_MODE"] = args.access_mode
    if getattr(args, "allow_network", False):
        os.environ["CODETETHER_SANDBOX_NETWORK"] = "true"
