"""In-process file access that cannot leave a directory: the agent's own half of the sandbox.

A path checked with realpath and then opened by name can be swapped for a symlink in between (a background
command can do it), and a symlink planted in the workspace leads reads and writes anywhere. Here every open
resolves the path inside the kernel with openat2(RESOLVE_BENEATH): symlinks that stay inside the root work, any
resolution that would leave it fails. Writes go through a directory descriptor pinned the same way."""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import secrets
import sys
from pathlib import Path

_O_PATH = getattr(os, "O_PATH", os.O_RDONLY)
_SYS_OPENAT2 = 437  # the same number on every architecture using the generic syscall table (x86_64, arm64, ...)
_RESOLVE_NO_MAGICLINKS = 0x02  # /proc/self/fd/N and friends
_RESOLVE_BENEATH = 0x08


class Escape(OSError):
    """The path leads outside the directory it must stay in."""


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


def open_beneath(root: Path, path: Path, flags: int, mode: int = 0o666) -> int:
    """An fd for `path` (inside `root`) whose resolution never left `root`; Escape when it would have."""
    relative = _relative(root, path)
    dir_fd = os.open(root, _O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return _openat_beneath(dir_fd, relative, flags | os.O_CLOEXEC, mode, root, path)
    finally:
        os.close(dir_fd)


def open_dir(root: Path | None, path: Path) -> int:
    """A descriptor to list directory `path` through: opened beneath `root` when given, else by its path."""
    if root is None:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    return open_beneath(root, path, os.O_RDONLY | os.O_DIRECTORY)


def read_bytes(root: Path, path: Path) -> bytes:
    fd = open_beneath(root, path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def write_atomic(root: Path, path: Path, data: bytes, keep_mode: bool = True) -> None:
    """Replace `path` via a temp file in its directory, both reached through a descriptor pinned inside `root`."""
    dir_fd = _parent_fd(root, path)
    try:
        mode = None
        if keep_mode:
            try:
                mode = os.stat(path.name, dir_fd=dir_fd, follow_symlinks=False).st_mode & 0o7777
            except FileNotFoundError:
                pass
        while True:
            tmp = f".{path.name}.{secrets.token_hex(4)}.tmp"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666,
                             dir_fd=dir_fd)
                break
            except FileExistsError:
                continue
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if mode is not None:
                os.chmod(tmp, mode & 0o777, dir_fd=dir_fd)  # no setuid/setgid from the old file's mode
            os.replace(tmp, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=dir_fd)
            except FileNotFoundError:
                pass
            raise
    finally:
        os.close(dir_fd)


def append(root: Path, path: Path, data: bytes) -> None:
    fd = open_beneath(root, path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "ab") as handle:
        handle.write(data)


def unlink(root: Path, path: Path) -> None:
    dir_fd = _parent_fd(root, path, create=False)
    try:
        os.unlink(path.name, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)


def makedirs(root: Path, path: Path) -> None:
    """mkdir -p for `path` inside `root`, each level created through its pinned parent."""
    relative = _relative(root, path)
    fd = os.open(root, _O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in [p for p in relative.split("/") if p]:
            try:
                os.mkdir(part, dir_fd=fd)
            except FileExistsError:
                pass
            child = _openat_beneath(fd, part, _O_PATH | os.O_DIRECTORY | os.O_CLOEXEC, 0, root, path)
            os.close(fd)
            fd = child
    finally:
        os.close(fd)


def _parent_fd(root: Path, path: Path, create: bool = True) -> int:
    if path.parent != root and create:
        makedirs(root, path.parent)
    if path.parent == root:
        return os.open(root, _O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    return open_beneath(root, path.parent, _O_PATH | os.O_DIRECTORY)


def _relative(root: Path, path: Path) -> str:
    """`path` relative to `root`, refusing one that is not below it on its face (the kernel checks the rest)."""
    try:
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    except ValueError:
        raise Escape(errno.EXDEV, "outside the workspace", str(path)) from None
    if relative == ".." or relative.startswith("../"):
        raise Escape(errno.EXDEV, "outside the workspace", str(path))
    return relative


def _openat_beneath(dir_fd: int, relative: str, flags: int, mode: int, root: Path, shown: Path) -> int:
    if _has_openat2():
        how = _OpenHow(flags, mode if flags & os.O_CREAT else 0,
                       _RESOLVE_BENEATH | _RESOLVE_NO_MAGICLINKS)
        fd = _syscall(_SYS_OPENAT2, dir_fd, relative.encode("utf-8", "surrogateescape"), ctypes.byref(how),
                      ctypes.sizeof(how))
        if fd >= 0:
            return fd
        err = ctypes.get_errno()
        if err in (errno.EXDEV, errno.ELOOP):
            raise Escape(err, f"'{shown}' leads outside {root} (through a symlink or '..')", str(shown))
        raise OSError(err, os.strerror(err), str(shown))
    return _walk_nofollow(dir_fd, relative, flags, mode, root, shown)


def _walk_nofollow(dir_fd: int, relative: str, flags: int, mode: int, root: Path, shown: Path) -> int:
    """Without openat2 (Linux < 5.6, other systems): one component at a time, following no symlink at all."""
    parts = [p for p in relative.split("/") if p and p != "."]
    if any(p == ".." for p in parts):
        raise Escape(errno.EXDEV, f"'{shown}' leads outside {root}", str(shown))
    fd = os.dup(dir_fd)
    try:
        for part in parts[:-1]:
            try:
                child = os.open(part, _O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR) and os.path.islink(os.path.join(root, *parts)):
                    raise Escape(errno.ELOOP, f"'{shown}' goes through a symlink", str(shown)) from None
                raise
            os.close(fd)
            fd = child
        last = parts[-1] if parts else "."
        return os.open(last, flags | os.O_NOFOLLOW, mode, dir_fd=fd)
    finally:
        os.close(fd)


@functools.cache
def _has_openat2() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    how = _OpenHow(os.O_RDONLY | os.O_CLOEXEC, 0, _RESOLVE_BENEATH)
    fd = _syscall(_SYS_OPENAT2, -100, b".", ctypes.byref(how), ctypes.sizeof(how))  # AT_FDCWD
    if fd >= 0:
        os.close(fd)
        return True
    return ctypes.get_errno() != errno.ENOSYS


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _syscall(*args: object) -> int:
    return int(_libc().syscall(*args))
