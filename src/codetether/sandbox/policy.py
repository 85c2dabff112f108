"""What a sandboxed process may do: the access mode, the filesystem it may write, the network, what it can't see."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class FsAccess(StrEnum):
    """The upstream's sandbox levels, enforced by the kernel for every process a tool starts."""

    READ_ONLY = "read-only"
    WORKSPACE_WRITE = "workspace-write"
    FULL = "danger-full-access"


# Access modes as users choose them (--access-mode, [sandbox] access_mode) and the level each gives.
ACCESS_MODES: dict[str, FsAccess] = {"ask": FsAccess.READ_ONLY, "approve": FsAccess.WORKSPACE_WRITE,
                                     "full": FsAccess.FULL}
DEFAULT_ACCESS_MODE = "approve"
READ_ONLY_AGENTS = frozenset({"plan", "explore"})


@dataclass(frozen=True)
class SandboxPolicy:
    """One agent's sandbox: chosen once, applied to every command, whatever the command's text says."""

    fs: FsAccess = FsAccess.WORKSPACE_WRITE
    root: Path = field(default_factory=Path.cwd)  # the workspace: writable under workspace-write
    writable_roots: tuple[Path, ...] = ()  # more roots (configured; a worktree's shared .git): read-only shows them
    network: bool = False
    hidden: tuple[Path, ...] = ()  # paths no sandboxed process may see (secrets): replaced by empty ones
    required: bool = True  # False: where the kernel can't sandbox, run unsandboxed (the user opted in)
    # codetether's project config (.codetether/, codetether.toml): read-only even in a writable workspace, so a
    # command can't plant settings or skills for the next run
    protected: tuple[Path, ...] = ()
    unix_sockets: bool = False  # True: commands may create unix-domain sockets (and so reach daemons' sockets)

    @property
    def roots(self) -> tuple[Path, ...]:
        """The workspace and the extra roots: writable under workspace-write, visible under read-only."""
        return tuple(dict.fromkeys((self.root, *self.writable_roots)))

    @property
    def writable(self) -> tuple[Path, ...]:
        """Every host path a command may write, besides its private /tmp."""
        return () if self.fs is FsAccess.READ_ONLY else self.roots


def fs_access_for(access_mode: str, agent: str) -> FsAccess:
    """The plan and explore agents are read-only whatever the mode; others get their mode's level."""
    if agent in READ_ONLY_AGENTS:
        return FsAccess.READ_ONLY
    return ACCESS_MODES[access_mode]


def secret_paths(env: dict[str, str] | None = None) -> list[Path]:
    """Where codetether's own secrets live on disk: its data dir (sessions, the managed Vault, its unseal key),
    Vault token files and the service-account token Vault's Kubernetes login reads."""
    from codetether.config.paths import config_dir, data_dir

    env = os.environ if env is None else env
    home = Path(os.path.expanduser("~"))
    paths = [data_dir(), home / ".vault-token", config_dir() / "credentials.json",
             Path("/var/run/secrets/kubernetes.io/serviceaccount")]
    for var in ("VAULT_TOKEN_FILE", "BAO_TOKEN_FILE", "VAULT_K8S_SA_JWT_PATH"):
        if env.get(var):
            path = Path(os.path.expanduser(env[var]))
            paths.append(_sink_dir(path, home) or path)
    return paths


def _sink_dir(token: Path, home: Path) -> Path | None:
    """A token's directory when it is one of its own (a Vault Agent sink dir): hiding the directory keeps the
    token hidden after the agent renews it by renaming a new file over it, which a file mount would not survive."""
    folder = Path(os.path.realpath(token.parent))
    shared = {Path("/"), Path("/etc"), Path("/usr"), Path("/var"), Path("/opt"), Path("/tmp"), Path("/srv"),
              Path("/home"), Path("/root"), Path(os.path.realpath(home))}
    if folder in shared or folder in Path(os.path.realpath(home)).parents:
        return None
    try:
        return folder if len(os.listdir(folder)) <= 16 else None
    except OSError:
        return None
