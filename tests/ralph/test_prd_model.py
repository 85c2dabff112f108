"""The PRD model on its own: story order, aliases, extra fields, atomic rewrite."""

from __future__ import annotations

import json

import pytest

from codetether.ralph.prd import Prd, PrdError
from tests.ralph.conftest import prd_data


def test_next_story_follows_priority_then_complexity_and_waits_for_dependencies():
    data = prd_data()
    data["user_stories"][1]["complexity"] = 1
    prd = Prd(data)
    assert prd.next_story().id == "US-001"  # priority 1, ready; US-003 (priority 1) waits for US-002
    prd.set_passes("US-001", True)
    assert prd.next_story().id == "US-002"
    prd.set_passes("US-002", True)
    assert prd.next_story().id == "US-003"
    prd.set_passes("US-003", True)
    assert prd.next_story() is None and prd.complete


def test_dependencies_alias_and_branch_name_key_are_read_and_kept(tmp_path):
    data = prd_data()
    del data["branch"]
    data["branch_name"] = "feat/x"
    data["user_stories"][2]["dependencies"] = data["user_stories"][2].pop("depends_on")
    prd = Prd(data)
    assert prd.branch == "feat/x" and prd.story("US-003").depends_on == ["US-002"]
    prd.set_passes("US-001", True)
    path = tmp_path / "prd.json"
    prd.save(path)
    saved = json.loads(path.read_text())
    assert saved["branch_name"] == "feat/x" and "branch" not in saved
    assert saved["user_stories"][2]["dependencies"] == ["US-002"] and saved["owner"] == "qa-team"
    assert saved["user_stories"][0]["passes"] is True
    assert [p.name for p in tmp_path.iterdir()] == ["prd.json"]  # no temp file left behind


def test_default_branch_and_check_order():
    data = prd_data()
    del data["branch"]
    data["feature"] = "User Auth: v2!"
    data["quality_checks"] = {"build": "make", "test": "pytest", "typecheck": None, "lint": "ruff check ."}
    prd = Prd(data)
    assert prd.branch == "feature/user-auth-v2"
    assert [n for n, _ in prd.quality_checks] == ["lint", "test", "build"]


@pytest.mark.parametrize("change, needle", [
    (lambda d: d.update(user_stories=[]), "'user_stories' must be a non-empty list"),
    (lambda d: d["user_stories"][0].update(passes="yes"), "(US-001): 'passes' must be true or false"),
    (lambda d: d["user_stories"][0].update(complexity=9), "'complexity' must be an integer from 1 to 5"),
    (lambda d: d["user_stories"][0].update(acceptance_criteria="all"), "'acceptance_criteria' must be a list"),
    (lambda d: d["user_stories"][0].update(depends_on=["US-001"]), "dependency cycle: US-001 -> US-001"),
    (lambda d: d.update(branch=""), "'branch' must be a non-empty string"),
])
def test_problems_name_field_and_story(change, needle):
    data = prd_data()
    change(data)
    with pytest.raises(PrdError) as err:
        Prd(data, "prd.json")
    assert needle in err.value.message


def test_every_problem_is_listed():
    data = prd_data()
    del data["project"]
    data["user_stories"][1]["id"] = "US-001"
    with pytest.raises(PrdError) as err:
        Prd(data, "prd.json")
    assert "prd.json has 2 problems" in err.value.message and "'project' is required" in err.value.message
