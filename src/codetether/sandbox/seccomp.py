"""A seccomp filter for sandboxed commands: no new unix-domain sockets, no io_uring.

A read-only mount does not stop connect() to a socket file, and daemons listen on sockets all over a machine
(an ssh ControlMaster in ~/.ssh opens a shell on another host even with the network off; gpg-agent, Docker,
IDEs). socketpair(), how a process talks to its own children, stays allowed. io_uring is refused because the
operations it queues (socket, connect) never pass through seccomp. bubblewrap installs the filter (--seccomp FD)
just before it runs the command, so the sandbox's own set-up is not affected."""

from __future__ import annotations

import errno
import os
import struct
from functools import cache

AF_UNIX = 1
_AUDIT_ARCH_I386 = 0x40000003
_X32_SYSCALL_BIT = 0x40000000
# machine -> (audit arch, socket, io_uring_setup); io_uring_setup has one number everywhere
_NATIVE = {"x86_64": (0xC000003E, 41, 425), "aarch64": (0xC00000B7, 198, 425)}
_I386 = {"socketcall": 102, "socket": 359, "io_uring_setup": 425}

_LD_ABS_W, _JEQ, _JGE, _RET = 0x20, 0x15, 0x35, 0x06
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000
_NR, _ARCH, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data (args[0]'s low half: little-endian machines)


def supported() -> bool:
    return os.uname().machine in _NATIVE and os.uname().sysname == "Linux"


@cache
def program() -> bytes:
    """The filter as struct sock_filter records, for bwrap --seccomp."""
    arch, socket_nr, uring_nr = _NATIVE[os.uname().machine]
    ops: list[tuple] = [
        ("ld", _ARCH),
        ("jeq", arch, "native", "foreign"),
        ("label", "native"),
        ("ld", _NR),
        *([("jge", _X32_SYSCALL_BIT, "deny", "next")] if os.uname().machine == "x86_64" else []),
        ("jeq", socket_nr, "family", "next"),
        ("jeq", uring_nr, "deny", "next"),
        ("ret", _ALLOW),
        ("label", "foreign"),  # 32-bit programs on x86_64: socketcall hides its arguments behind a pointer
        ("jeq", _AUDIT_ARCH_I386, "i386", "allow"),
        ("label", "i386"),
        ("ld", _NR),
        ("jeq", _I386["socketcall"], "deny", "next"),
        ("jeq", _I386["socket"], "family", "next"),
        ("jeq", _I386["io_uring_setup"], "deny", "next"),
        ("label", "allow"),
        ("ret", _ALLOW),
        ("label", "family"),
        ("ld", _ARG0),
        ("jeq", AF_UNIX, "deny", "next"),
        ("ret", _ALLOW),
        ("label", "deny"),
        ("ret", _ERRNO | errno.EPERM),
    ]
    return _assemble(ops)


def _assemble(ops: list[tuple]) -> bytes:
    """Classic BPF with labelled jumps resolved to the forward offsets the kernel wants."""
    code = [op for op in ops if op[0] != "label"]
    labels: dict[str, int] = {}
    for op in ops:
        if op[0] == "label":
            labels[op[1]] = sum(1 for o in ops[:ops.index(op)] if o[0] != "label")
    out = bytearray()
    for at, op in enumerate(code):
        if op[0] == "ld":
            out += struct.pack("<HBBI", _LD_ABS_W, 0, 0, op[1])
        elif op[0] == "ret":
            out += struct.pack("<HBBI", _RET, 0, 0, op[1])
        else:
            def offset(target: str, at: int = at) -> int:
                to = at + 1 if target == "next" else labels[target]
                assert 0 <= to - at - 1 < 256, "a jump must go forward, within 255 instructions"
                return to - at - 1

            out += struct.pack("<HBBI", _JEQ if op[0] == "jeq" else _JGE, offset(op[2]), offset(op[3]), op[1])
    return bytes(out)


def program_fd() -> int:
    """A memory file holding the filter, for bwrap --seccomp (inherited by bwrap, closed by its owner)."""
    fd = os.memfd_create("bwrap-seccomp", 0)
    os.write(fd, program())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
