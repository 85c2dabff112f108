"""Git isolation: one worktree and branch per sub-agent, merged into an integration branch, then fast-forwarded
into the main tree; a conflict keeps its branch and never touches the main tree. Always cleaned up."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from codetether.gitinfo import git_command, git_lines, run_git

IDENTITY = ("-c", "user.name=CodeTether Swarm", "-c", "user.email=swarm@codetether.invalid")


class GitError(Exception):
    pass


@dataclass
class MergeOutcome:
    status: str  # merged | no_changes | conflict | not_merged
    branch: str
    files: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    detail: str = ""


def git_unusable(root: Path) -> str | None:
    """Why worktrees cannot be used here, or None when they can."""
    if shutil.which("git") is None:
        return "git is not installed"
    inside, head = git_lines(root, ("rev-parse", "--is-inside-work-tree"), ("rev-parse", "--verify", "-q", "HEAD"))
    if inside != "true":
        return f"{root} is not a git repository"
    if not head:
        return "the repository has no commit yet"
    return None


class Worktrees:
    """The worktrees and branches of one swarm; `cleanup()` is synchronous so it also runs while cancelling."""

    def __init__(self, root: Path, swarm_id: str):
        self.root = root
        self.prefix = f"codetether/swarm-{swarm_id}"
        self.base_dir = Path(tempfile.mkdtemp(prefix=f"codetether-worktrees-{swarm_id}-"))
        self.integration = self.base_dir / "_integration"
        self.paths: dict[str, Path] = {}  # subtask id -> worktree
        self.keep: set[str] = set()  # branches holding work the user must see (conflicts, unpublished results)
        self._lock = asyncio.Lock()  # ref and worktree bookkeeping in .git is not safe to change concurrently
        self._identity: tuple[str, ...] = ()

    def branch(self, subtask_id: str) -> str:
        return f"{self.prefix}/{subtask_id}"

    async def start(self) -> None:
        [email] = git_lines(self.root, ("config", "user.email"))
        self._identity = () if email else IDENTITY
        await self._git(self.root, "worktree", "add", "-q", "-b", self.branch("_integration"), str(self.integration),
                        "HEAD")

    async def create(self, subtask_id: str) -> Path:
        """A fresh worktree on its own branch, starting from everything merged so far."""
        path = self.base_dir / subtask_id
        async with self._lock:
            await self._git(self.root, "worktree", "add", "-q", "-b", self.branch(subtask_id), str(path),
                            self.branch("_integration"))
        self.paths[subtask_id] = path
        return path

    async def reset(self, subtask_id: str) -> None:
        """Throw away a failed attempt's edits before the retry."""
        path = self.paths[subtask_id]
        await self._git(path, "reset", "-q", "--hard")
        await self._git(path, "clean", "-q", "-fd")

    async def changed_files(self, subtask_id: str) -> list[str]:
        out = await self._git(self.paths[subtask_id], "status", "--porcelain", "--untracked-files=all")
        return sorted(line[3:].split(" -> ")[-1] for line in out.splitlines() if line.strip())

    async def merge(self, subtask_id: str, name: str) -> MergeOutcome:
        """Commit the sub-agent's edits on its branch and merge that into the integration branch."""
        path, branch = self.paths[subtask_id], self.branch(subtask_id)
        await self._git(path, "add", "-A")
        files = [f for f in (await self._git(path, "diff", "--cached", "--name-only")).splitlines() if f]
        if not files:
            return MergeOutcome("no_changes", branch)
        await self._git(path, *self._identity, "commit", "-q", "--no-verify", "-m", f"swarm: {name} ({subtask_id})")
        async with self._lock:
            try:
                await self._git(self.integration, *self._identity, "merge", "-q", "--no-ff", "--no-verify",
                                "-m", f"swarm: merge {subtask_id}", branch)
            except GitError as exc:
                conflicts = (await self._git(self.integration, "diff", "--name-only", "--diff-filter=U",
                                             check=False)).split()
                await self._git(self.integration, "merge", "--abort", check=False)
                self.keep.add(branch)
                return MergeOutcome("conflict", branch, files, conflicts or files, str(exc))
        return MergeOutcome("merged", branch, files)

    async def publish(self) -> str | None:
        """Fast-forward the main tree to the integration branch; a reason string when that is not possible."""
        branch = self.branch("_integration")
        ahead = await self._git(self.root, "rev-list", "--count", f"HEAD..{branch}")
        if ahead.strip() == "0":
            return None
        try:
            await self._git(self.root, "merge", "-q", "--ff-only", branch)
        except GitError as exc:
            self.keep.add(branch)
            return f"the merged results could not be applied to the main tree ({exc}); they are on branch {branch}"
        return None

    async def _git(self, cwd: Path, *args: str, check: bool = True) -> str:
        wrapped = git_command(args, cwd, writable=(self.root, self.base_dir))
        proc = await asyncio.create_subprocess_exec(*wrapped.argv, cwd=cwd, stdin=subprocess.DEVNULL, env=wrapped.env,
                                                    pass_fds=wrapped.pass_fds, stdout=subprocess.PIPE,
                                                    stderr=subprocess.PIPE)
        out, err = await proc.communicate()
        if check and proc.returncode != 0:
            lines = (out + err).decode(errors="replace").strip().splitlines()
            raise GitError(lines[-1] if lines else f"git {args[0]} failed")
        return out.decode(errors="replace")

    def cleanup(self) -> list[str]:
        """Remove every worktree and the branches nobody needs; return the branches kept."""
        for path in [*self.paths.values(), self.integration]:
            _run(self.root, "worktree", "remove", "--force", str(path), writable=(self.root, self.base_dir))
        shutil.rmtree(self.base_dir, ignore_errors=True)
        _run(self.root, "worktree", "prune")
        listed = _run(self.root, "for-each-ref", "--format=%(refname:short)", f"refs/heads/{self.prefix}/")
        for branch in listed.split():
            if branch not in self.keep:
                _run(self.root, "branch", "-q", "-D", branch)
        return sorted(self.keep)


def _run(cwd: Path, *args: str, writable: tuple[Path, ...] = ()) -> str:
    """Clean-up git: it changes the repository, so it may write it (and the worktrees named)."""
    try:
        proc = run_git(cwd, *args, writable=writable or (cwd,))
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout
