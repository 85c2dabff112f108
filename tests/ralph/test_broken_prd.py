"""A broken PRD stops `ralph run` and `ralph status` with an error naming the problem; nothing is rewritten."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import assert_clean_failure
from tests.ralph.conftest import git, prd_data


def _with(change) -> str:
    data = prd_data()
    change(data)
    return json.dumps(data, indent=2)


CASES = {
    "bad-json": ('{\n  "project": "calc",\n  "feature": \n}\n', "prd.json is not valid JSON: Expecting value at line 4, column 1"),
    "cycle": (_with(lambda d: d["user_stories"][1].update(depends_on=["US-003"])),
              "dependency cycle: US-002 -> US-003 -> US-002"),
    "missing-title": (_with(lambda d: d["user_stories"][1].pop("title")),
                      "user_stories[1] (US-002): 'title' is required"),
    "missing-stories": (_with(lambda d: d.pop("user_stories")), "'user_stories' is required"),
    "duplicate-id": (_with(lambda d: d["user_stories"][2].update(id="US-001", depends_on=[])),
                     "user_stories[2] (US-001): duplicate story id 'US-001'"),
    "unknown-dependency": (_with(lambda d: d["user_stories"][0].update(depends_on=["US-009"])),
                           "story US-001: depends_on names unknown story 'US-009'"),
    "wrong-type": (_with(lambda d: d["user_stories"][0].update(priority="high")),
                   "user_stories[0] (US-001): 'priority' must be an integer of at least 1, got \"high\""),
    "unknown-check": (_with(lambda d: d["quality_checks"].update(tests="pytest")),
                      "'quality_checks.tests' is not a known check"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_broken_prd_is_refused_and_left_alone(cli, model, project, case):
    text, needle = CASES[case]
    (project / "prd.json").write_text(text)
    before = (project / "prd.json").read_bytes()

    run = cli("ralph", "run", "-p", "prd.json", "-m", "openai/m", "--json")
    assert_clean_failure(run, needle)
    assert run.returncode == 1 and json.loads(run.stdout)["status"] == "error"
    assert_clean_failure(cli("ralph", "status", "-p", "prd.json"), needle)

    assert (project / "prd.json").read_bytes() == before
    assert model.requests == []  # refused before any model call
    assert git(project, "branch", "--format=%(refname:short)") == "main"  # and before the branch
    assert not (project / "progress.txt").exists()


def test_missing_prd_file_says_how_to_create_one(cli, project):
    proc = cli("ralph", "status", "-p", "nope.json")
    assert_clean_failure(proc, "nope.json does not exist", "codetether ralph create-prd")


def test_not_a_git_repository(cli, model, project, tmp_path):
    elsewhere = tmp_path / "plain"
    elsewhere.mkdir()
    (elsewhere / "prd.json").write_text(json.dumps(prd_data()))
    proc = cli("ralph", "run", "-p", str(elsewhere / "prd.json"), "-m", "openai/m")
    assert_clean_failure(proc, "is not inside a git repository", "git init")
    assert model.requests == []
