"""`"rm*" = "deny"` must catch rm however a command spells it; what can't be known is asked, and --yes can't
answer that question. (Fifty forms a red-team review tried; the one text rules can't catch is listed last.)"""

from __future__ import annotations

import asyncio

import pytest

from codetether.config.permission import parse_permission
from codetether.tool.base import PermissionDenied
from codetether.tool.support.permission import PermissionPolicy

FORMS = [
    "bash <<< 'rm -f v'", "echo 'rm -f v' | sh", "bash -o posix -c 'rm -f v'", "/usr/bin/[r]m -f v",
    "/usr/bin/r[m] -f v", "shopt -s expand_aliases\nalias del='rm -f'\ndel v", "f(){ rm -f \"$1\"; }; f v",
    "source <(echo 'rm -f v')", ". /dev/stdin <<< 'rm -f v'", "unshare rm -f v", "setarch x86_64 rm -f v",
    "script -qc 'rm -f v' /dev/null", "command -p rm -f v", "exec -a x rm -f v", "builtin eval 'rm -f v'",
    "$'\\x72m' -f v", "r''m -f v", "\"r\"m -f v", "{rm,-f,v}", "x=rm; $x -f v", "git -c alias.zz='!rm -f v' zz",
    "env -S'rm -f v'", "flock /tmp/l -c 'rm -f v'", "bash -c -- 'rm -f v'", "coproc rm -f v; wait",
    "trap 'rm -f v' EXIT; true", "printf 'rm -f v' > e.sh; BASH_ENV=e.sh bash -c true",
    "printf 'rm -f v' | xargs -0 sh -c", "\\rm -f v", "/usr/bin/../bin/rm -f v", "timeout -s9 5 rm -f v",
    "env -iS 'rm -f v'", "nice -n5 rm -f v", "sh -ec 'rm -f v'", "find . -name v -exec /bin/rm {} +",
    "time rm -f v", "echo v | xargs -I{} rm -f {}", "exec rm -f v", "bash --norc -c 'rm -f v'",
    "eval \"$(printf 'rm -f v')\"", "sh -c \"$(echo rm) -f v\"", "watch -n1 -g -x rm -f v", "bash -c 'rm -f v' -- x",
    "env rm -f v", "RM=1 rm -f v", "stdbuf -oL rm -f v", "ionice -c3 rm -f v", "chrt -o 0 rm -f v",
    "taskset -c 0 rm -f v", "sudo -u root /bin/rm v", "doas rm v", "nohup rm v &", "busybox rm v",
    "setpriv --reuid 0 rm v", "strace -o /dev/null rm v", "chroot / rm v", "su -c 'rm v'",
]
TEXT_RULES_CANNOT_CATCH = ["ln -sf /usr/bin/rm ./del && ./del -f v"]  # a renamed binary: only the kernel helps


def _policy(assume_yes: bool) -> PermissionPolicy:
    rules = parse_permission({"bash": {"rm*": "deny", "*": "allow"}}, "config.toml")
    return PermissionPolicy(rules, agent="build", assume_yes=assume_yes)


@pytest.mark.parametrize("command", FORMS)
def test_every_spelling_of_a_denied_program_is_refused_even_with_yes(command):
    for assume_yes in (False, True):
        decision = _policy(assume_yes).decide("bash", False, {"command": command})
        assert decision.action == "deny" or (decision.action == "ask" and decision.strict), (command, decision)
        with pytest.raises(PermissionDenied):
            asyncio.run(_policy(assume_yes).check("bash", False, {"command": command}))


@pytest.mark.parametrize("command", ["ls -la", "git status", "cat app.py | wc -l", "bash script.sh",
                                     "python3 -c 'print(1)'", "make test"])
def test_ordinary_commands_still_run(command):
    assert _policy(False).decide("bash", False, {"command": command}).action == "allow"


def test_without_a_deny_rule_an_unknown_program_is_an_ordinary_question():
    rules = parse_permission({"bash": {"git push*": "ask", "*": "allow"}}, "config.toml")
    decision = PermissionPolicy(rules).decide("bash", False, {"command": "$CMD --force"})
    assert decision.action == "ask" and not decision.strict
