""""Always allow": the narrowest rule that lets the approved call through, written to the config file (other
settings kept) and followed at once; what no rule can narrow offers no "always"."""

from __future__ import annotations

import tomllib
from pathlib import Path

from codetether.config.load import load
from codetether.tool.support.always_allow import AlwaysRule, always_rule, remember
from codetether.tool.support.permission import ApprovalRequest, PermissionPolicy


def _policy(config: Path, text: str) -> PermissionPolicy:
    config.write_text(text)
    return PermissionPolicy(load(config, env={}).permission)


def _ask(policy: PermissionPolicy, tool: str, arguments: dict) -> ApprovalRequest:
    decision = policy.decide(tool, False, arguments)
    assert decision.action == "ask"
    return ApprovalRequest(tool, decision.subject, decision.rule, arguments)


def test_bash_always_writes_each_asked_command_exactly_and_keeps_the_rest(tmp_path):
    config = tmp_path / "config.toml"
    policy = _policy(config, '[default]\nmodel = "openai/m"\n\n[permission]\nbash = "ask"\nedit = "ask"\n')
    command = "cd src && make test[1]"
    rule = always_rule(policy, _ask(policy, "bash", {"command": command}))
    assert rule is not None and rule.key == "bash"
    remember(policy, rule, config)

    saved = tomllib.loads(config.read_text())
    assert saved["default"]["model"] == "openai/m" and saved["permission"]["edit"] == "ask"
    patterns = saved["permission"]["bash"]
    assert patterns["*"] == "ask"  # every other command is still asked about
    assert patterns["make test[[]1]"] == "allow"  # fnmatch's wildcards taken literally
    assert policy.decide("bash", False, {"command": command}).action == "allow"  # followed at once
    assert policy.decide("bash", False, {"command": "make test1"}).action == "ask"  # and no wider
    assert policy.decide("bash", False, {"command": "rm -rf /"}).action == "ask"
    assert PermissionPolicy(load(config, env={}).permission).decide(
        "bash", False, {"command": command}).action == "allow"  # a later run reads it back


def test_bash_patterns_already_there_keep_their_fallback(tmp_path):
    config = tmp_path / "config.toml"
    policy = _policy(config, '[permission.bash]\n"git push*" = "ask"\n"*" = "allow"\n')
    rule = always_rule(policy, _ask(policy, "bash", {"command": "git push origin main"}))
    remember(policy, rule, config)
    patterns = tomllib.loads(config.read_text())["permission"]["bash"]
    assert patterns == {"git push*": "ask", "*": "allow", "git push origin main": "allow"}
    assert policy.decide("bash", False, {"command": "git push --force"}).action == "ask"


def test_edit_and_webfetch_always_allow_the_kind_and_outside_paths_have_no_always(tmp_path):
    config = tmp_path / "config.toml"
    policy = _policy(config, '[permission]\nedit = "ask"\nwebfetch = "ask"\n')
    assert always_rule(policy, _ask(policy, "edit", {"path": "a"})) == AlwaysRule("edit")
    assert always_rule(policy, _ask(policy, "webfetch", {"url": "https://x"})).describe() == \
        'permission.webfetch = "allow"'
    assert always_rule(policy, ApprovalRequest("external_directory", "path '/etc/x'", "rule")) is None
    remember(policy, AlwaysRule("edit"), config)
    assert tomllib.loads(config.read_text())["permission"] == {"edit": "allow", "webfetch": "ask"}
    assert policy.decide("write", False, {"path": "a"}).action == "allow"


def test_a_question_no_rule_asked_has_no_always(tmp_path):
    config = tmp_path / "config.toml"
    policy = _policy(config, '[permission]\nedit = "ask"\n')
    loop = ApprovalRequest("edit", "edit {...} again: call 3 in a row", "doom-loop guard: session.doom_loop = 3")
    assert always_rule(policy, loop) is None
