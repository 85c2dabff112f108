"""Decide, conservatively, whether a shell command only reads: allow-listed programs joined by pipes or &&."""

from __future__ import annotations

import re
import shlex

# Not sort, uniq or file: each can write a file given the right arguments.
READ_ONLY_PROGRAMS = frozenset({"ls", "cat", "head", "tail", "wc", "pwd", "rg", "grep", "find", "tree", "stat", "du",
                                "echo", "which", "basename", "dirname"})
GIT_READ_ONLY = frozenset({"status", "log", "diff", "show", "blame", "ls-files", "rev-parse", "grep"})
# Options that make an otherwise read-only program write files or run other programs.
FORBIDDEN_OPTIONS = {
    "find": ("-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprint0", "-fprintf", "-fls"),
    "rg": ("--pre",),
    "git": ("--output", "--ext-diff", "-O", "--open-files-in-pager"),
    "tree": ("-o",),
}
# Anything that could redirect output, substitute a command or run in the background.
_UNSAFE = re.compile(r"[<>`\n;&]|\$\(|\$\{|\|\|")


def read_only_problem(command: str) -> str | None:
    """None when every part of the command is a known read-only program; otherwise why it is not."""
    if not command.strip():
        return "empty command"
    cleaned = command.replace("&&", " \0 ")
    if match := _UNSAFE.search(cleaned):
        return f"{match.group(0)!r} is not allowed in a read-only command"
    for part in re.split(r"\0|\|", cleaned):
        try:
            words = shlex.split(part)
        except ValueError as exc:
            return f"cannot parse it: {exc}"
        if not words:
            return "an empty command between operators"
        problem = _program_problem(words)
        if problem:
            return problem
    return None


def _program_problem(words: list[str]) -> str | None:
    program = words[0]
    if program == "git":
        if len(words) < 2 or words[1] not in GIT_READ_ONLY:
            return f"only git {', '.join(sorted(GIT_READ_ONLY))} are read-only"
    elif program not in READ_ONLY_PROGRAMS:
        return f"'{program}' is not on the read-only list ({', '.join(sorted(READ_ONLY_PROGRAMS))}, git)"
    for word in words[1:]:
        for option in FORBIDDEN_OPTIONS.get(program, ()):
            if _is_option(word, option):
                return f"'{program} {option}' can write files or run programs"
    return None


def _is_option(word: str, option: str) -> bool:
    """Whether `word` gives `option`: exactly, with a value, abbreviated, or inside a cluster of short flags.

    git and GNU tools accept any unambiguous prefix of a long option (`--open` for --open-files-in-pager) and
    clustered short flags (`-iO` is -i -O), so both count; being too strict here only costs an approval."""
    if option.startswith("--"):
        name = word.split("=", 1)[0]
        return name == option or (name.startswith("--") and len(name) > 3 and option.startswith(name))
    if option.startswith("-") and len(option) == 2:
        return word.startswith("-") and not word.startswith("--") and option[1] in word[1:]
    return word == option or word.startswith(option + "=")  # find's single-dash long forms (-exec, -delete)
