"""Which programs a shell command really runs: parsed by tree-sitter-bash, paths and wrappers seen through.

`/bin/rm x`, `bash -c 'rm x'`, `env A=1 nice rm x` and `xargs rm` all run `rm`, so a rule about `rm*` must see
`rm`. What can't be known without running the command (`$CMD x`, `eval "$s"`) is reported as unresolved."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any

# Programs that run the rest of their arguments as a command; the value is the options that take an argument.
WRAPPERS: dict[str, frozenset[str]] = {
    "env": frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "timeout": frozenset({"-s", "--signal", "-k", "--kill-after"}),
    "nohup": frozenset(),
    "stdbuf": frozenset({"-i", "-o", "-e", "--input", "--output", "--error"}),
    "time": frozenset({"-f", "--format", "-o", "--output"}),
    "command": frozenset(),
    "builtin": frozenset(),
    "exec": frozenset({"-a"}),
    "xargs": frozenset({"-I", "-i", "-d", "--delimiter", "-E", "-e", "-L", "-l", "-n", "--max-args", "-P",
                        "--max-procs", "-s", "--max-chars", "-a", "--arg-file"}),
    "sudo": frozenset({"-u", "--user", "-g", "--group", "-C", "-D", "--chdir", "-h", "--host", "-p", "--prompt",
                       "-r", "--role", "-t", "--type", "-U", "--other-user", "-T", "--command-timeout"}),
    "doas": frozenset({"-u", "-C"}),
    "setsid": frozenset(),
    "ionice": frozenset({"-c", "--class", "-n", "--classdata", "-p", "--pid", "-P", "--pgid", "-u", "--uid"}),
    "taskset": frozenset(),
    "chrt": frozenset(),
    "unbuffer": frozenset(),
    "flock": frozenset({"-w", "--timeout", "-E", "--conflict-exit-code"}),
    "busybox": frozenset(),
    "watch": frozenset({"-n", "--interval", "-d"}),
    "unshare": frozenset({"-S", "--setuid", "-G", "--setgid", "-R", "--root", "-w", "--wd"}),
    "setarch": frozenset(),
    "linux32": frozenset(),
    "linux64": frozenset(),
    "setpriv": frozenset({"--reuid", "--regid", "--ruid", "--rgid", "--euid", "--egid", "--groups",
                          "--inh-caps", "--ambient-caps", "--bounding-set", "--securebits", "--pdeathsig",
                          "--selinux-label", "--apparmor-profile", "--landlock-access", "--landlock-rule"}),
    "prlimit": frozenset({"-p", "--pid"}),
    "strace": frozenset({"-o", "-e", "-p", "-s", "-u", "-E", "-P", "-I", "-a", "-b", "-X"}),
    "ltrace": frozenset({"-o", "-e", "-p", "-s", "-u", "-E"}),
    "chronic": frozenset(),
    "coproc": frozenset(),
    "nsenter": frozenset({"-t", "--target", "-S", "--setuid", "-G", "--setgid", "-w", "--wd", "-r", "--root"}),
    "chroot": frozenset({"--userspec", "--groups"}),
}
# Programs whose option takes a whole shell command as a string: (option names) -> run through `sh -c`.
COMMAND_OPTIONS: dict[str, tuple[str, ...]] = {"flock": ("-c", "--command"), "script": ("-c", "--command"),
                                                "su": ("-c", "--command"), "runuser": ("-c", "--command"),
                                                "watch": ()}
# A command string as the first argument: `trap 'cmd' SIG`.
COMMAND_ARGUMENT = frozenset({"trap"})
# Their argument is a file or stdin of shell code, or they change what later words mean: never resolvable.
OPAQUE = frozenset({"source", ".", "alias", "enable", "hash", "command_not_found_handle"})
# Variables that make a shell run a file of code before anything else.
OPAQUE_ASSIGNMENTS = frozenset({"BASH_ENV", "ENV", "PROMPT_COMMAND", "SHELLOPTS", "BASHOPTS", "PS4"})
# Short options of a shell that take a value (`bash -o posix -c …`).
SHELL_VALUE_OPTIONS = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox sh"})
# Positional arguments some wrappers take before the command (timeout's duration, flock's lock file, ...).
LEADING_OPERANDS = {"timeout": 1, "flock": 1, "taskset": 1, "chrt": 1, "setarch": 1, "chroot": 1}


@dataclass
class ShellPrograms:
    """Each simple command as `program args…` with its program resolved, and what could not be resolved."""

    commands: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)


def resolve(command: str, depth: int = 0) -> ShellPrograms:
    found = ShellPrograms()
    if depth > 4:
        found.unresolved.append(command)
        return found
    tree = _parser().parse(command.encode("utf-8", "surrogatepass"))
    if tree.root_node.has_error:
        found.unresolved.append(command)
        return found
    for node in _commands(tree.root_node):
        words = [_literal(child) for child in node.children if child.type not in _NOT_WORDS]
        text = node.text.decode("utf-8", "replace")
        assigned = {c.child_by_field_name("name").text.decode() for c in node.children
                    if c.type == "variable_assignment" and c.child_by_field_name("name") is not None}
        if not words or any(w is None for w in words[:1]) or assigned & OPAQUE_ASSIGNMENTS:
            found.unresolved.append(text)
            continue
        _unwrap([w if w is not None else "\0" for w in words], text, found, depth)
    return found


def _unwrap(words: list[str], text: str, found: ShellPrograms, depth: int) -> None:
    """Strip paths and wrappers until the program that really runs; recurse into `sh -c` and `eval`."""
    while words:
        program = os.path.basename(words[0])
        if "\0" in program or any(c in program for c in "*?[]{}") or program in OPAQUE:
            found.unresolved.append(text)  # a pattern for a name, or code from a file, stdin or an alias
            return
        if program in SHELLS:
            inner = _shell_script(words[1:])
            if inner is _FILE:  # `bash script.sh`: the shell is what runs (rules can name it)
                found.commands.append(" ".join([program, *words[1:]]))
            elif inner is None or "\0" in inner:  # stdin, a here-string, a pipe: the code is not in the text
                found.unresolved.append(text)
            else:
                _merge(found, resolve(inner, depth + 1))
            return
        if program in COMMAND_ARGUMENT or (program in COMMAND_OPTIONS and
                                           _option_value(words[1:], COMMAND_OPTIONS[program]) is not None):
            script = words[1] if program in COMMAND_ARGUMENT and len(words) > 1 else \
                _option_value(words[1:], COMMAND_OPTIONS.get(program, ()))
            found.commands.append(" ".join([program, *words[1:]]).replace("\0", "$?"))
            if not script or "\0" in script:
                found.unresolved.append(text)
            else:
                _merge(found, resolve(script, depth + 1))
            return
        if program == "git" and any(w.startswith("alias.") for w in words[1:] if "=" in w):
            found.unresolved.append(text)  # `git -c alias.x='!cmd' x` runs cmd through a shell
            return
        if program == "eval":
            if any("\0" in w for w in words[1:]):
                found.unresolved.append(text)
            else:
                _merge(found, resolve(" ".join(words[1:]), depth + 1))
            return
        if program not in WRAPPERS:
            found.commands.append(" ".join([program, *words[1:]]).replace("\0", "$?"))
            if program == "find":
                for inner in _find_actions(words[1:]):
                    _unwrap(inner, text, found, depth)
            return
        found.commands.append(" ".join([program, *words[1:]]).replace("\0", "$?"))  # rules may name the wrapper
        if program == "env" and (split := _option_value(words[1:], ("-S", "--split-string"))) is not None:
            if "\0" in split:
                found.unresolved.append(text)
            else:
                _merge(found, resolve(split, depth + 1))
            return
        rest = _after_options(program, words[1:])
        words = _after_assignments(rest) if program == "env" else rest


def _after_options(program: str, args: list[str]) -> list[str]:
    takes_value = WRAPPERS[program]
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "-":
        if args[i] == "--":
            i += 1
            break
        i += 2 if args[i] in takes_value else 1
    return args[i + LEADING_OPERANDS.get(program, 0):]


def _find_actions(args: list[str]) -> list[list[str]]:
    """The commands `find … -exec CMD {} ;` runs."""
    actions, i = [], 0
    while i < len(args):
        if args[i] in ("-exec", "-execdir", "-ok", "-okdir"):
            end = i + 1
            while end < len(args) and args[end] not in (";", "+"):
                end += 1
            if end > i + 1:
                actions.append(args[i + 1:end])
            i = end
        i += 1
    return actions


def _option_value(args: list[str], names: tuple[str, ...]) -> str | None:
    """The value given to one of `names`: separate (`-S x`), joined (`--split-string=x`) or attached (`-Sx`)."""
    for i, arg in enumerate(args):
        if arg in names:
            return args[i + 1] if i + 1 < len(args) else ""
        for name in names:
            if name.startswith("--") and arg.startswith(name + "="):
                return arg[len(name) + 1:]
            short = len(name) == 2 and not name.startswith("--")
            if short and arg.startswith("-") and not arg.startswith("--") and len(arg) > 2:
                if arg.endswith(name[1]):  # a cluster ending in the option: `-qc CMD`
                    return args[i + 1] if i + 1 < len(args) else ""
                if arg.startswith(name):  # the value attached: `-S'cmd'`
                    return arg[2:]
    return None


def _after_assignments(args: list[str]) -> list[str]:
    i = 0
    while i < len(args) and "=" in args[i] and not args[i].startswith("="):
        i += 1
    return args[i:]


_FILE = "\0file"  # marker: the shell runs a script file named on its command line


def _shell_script(args: list[str]) -> str | None:
    """The script of `sh [-opts] -c SCRIPT`; _FILE when it runs a named script file; None when it reads stdin or
    its script can't be seen (`xargs sh -c` gets it from its input)."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return _FILE if i + 1 < len(args) else None
        if arg in SHELL_VALUE_OPTIONS:
            i += 2
            continue
        if arg.startswith("-") and not arg.startswith("--") and "c" in arg[1:]:
            rest = args[i + 1:]
            rest = rest[1:] if rest[:1] == ["--"] else rest
            return rest[0] if rest else None
        if not arg.startswith(("-", "+")):
            return _FILE
        i += 1
    return None


def _merge(into: ShellPrograms, other: ShellPrograms) -> None:
    into.commands += other.commands
    into.unresolved += other.unresolved


_NOT_WORDS = frozenset({"variable_assignment", "file_redirect", "heredoc_redirect", "herestring_redirect",
                        "comment"})
_LITERAL = frozenset({"word", "number"})


def _commands(node: Any) -> list[Any]:
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.type == "command":
            out.append(current)
        stack.extend(reversed(current.children))
    return out


def _literal(node: Any) -> str | None:
    """The word's value when it is fixed text; None when it depends on an expansion or substitution."""
    if node.type == "command_name":
        return _literal(node.children[0]) if node.child_count == 1 else None
    text = node.text.decode("utf-8", "replace")
    if node.type in _LITERAL:
        if "$" in text or "`" in text or "*" in text or "?" in text or "[" in text:
            return None if "$" in text or "`" in text else text
        return _unescape(text)
    if node.type == "raw_string":
        return text[1:-1]
    if node.type == "string":
        parts = [c for c in node.children if c.type not in ('"',)]
        if all(c.type == "string_content" for c in parts):
            return "".join(c.text.decode("utf-8", "replace") for c in parts)
        return None
    if node.type == "concatenation":
        pieces = [_literal(c) for c in node.children]
        return None if any(p is None for p in pieces) else "".join(p for p in pieces if p is not None)
    return None


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


@functools.cache
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_bash

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))
