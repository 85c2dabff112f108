"""The kernel sandbox every process a tool starts runs in (bubblewrap on Linux): see README "Security model"."""

from codetether.sandbox.policy import ACCESS_MODES, DEFAULT_ACCESS_MODE, FsAccess, SandboxPolicy
from codetether.sandbox.runner import Sandbox, SandboxUnavailable, Wrapped
from codetether.sandbox.settings import sandbox_for

__all__ = ["ACCESS_MODES", "DEFAULT_ACCESS_MODE", "FsAccess", "Sandbox", "SandboxPolicy", "SandboxUnavailable",
           "Wrapped", "sandbox_for"]
