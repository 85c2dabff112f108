"""`codetether ralph create-prd`: a valid template, or stories drafted by a model, validated and re-asked once."""

from __future__ import annotations

import json

from codetether.ralph.prd import Prd
from tests.cli.conftest import assert_clean_failure
from tests.harness.llm_server import Reply

STORIES = {"user_stories": [
    {"id": "US-001", "title": "Parse input", "description": "Read numbers", "acceptance_criteria": ["ok"],
     "priority": 1, "complexity": 2, "depends_on": [], "passes": False},
    {"id": "US-002", "title": "Print sum", "description": "Add them", "acceptance_criteria": ["ok"],
     "priority": 2, "complexity": 1, "depends_on": ["US-001"], "passes": False}]}


def test_template_is_valid_and_never_overwritten(cli, project):
    out = project / "new-prd.json"
    proc = cli("ralph", "create-prd", "--feature", "User Auth", "--project-name", "my-app", "--output", out.name)
    assert proc.returncode == 0, proc.stderr
    prd = Prd.load(out)
    assert (prd.project, prd.feature, prd.branch) == ("my-app", "User Auth", "feature/user-auth")
    assert [s.id for s in prd.stories] == ["US-001"]
    assert prd.quality_checks == [("lint", "ruff check ."), ("test", "pytest -q")]  # a Python project
    assert cli("ralph", "status", "-p", out.name).returncode == 0

    before = out.read_bytes()
    again = cli("ralph", "create-prd", "--feature", "Other", "--project-name", "x", "--output", out.name)
    assert_clean_failure(again, "already exists", "--force")
    assert out.read_bytes() == before


def test_from_description_retries_once_on_invalid_json(cli, model, project):
    model.script(Reply(text="Sure! Here are the stories: {\"user_stories\": [{\"id\": \"US-001\",}"),
                 Reply(text="```json\n" + json.dumps(STORIES) + "\n```"))
    proc = cli("ralph", "create-prd", "--feature", "Sum", "--project-name", "adder", "-o", "sum.json",
               "--from", "a tool that adds numbers", "-m", "openai/m")

    assert proc.returncode == 0, proc.stderr
    prd = Prd.load(project / "sum.json")
    assert [s.id for s in prd.stories] == ["US-001", "US-002"] and prd.stories[1].depends_on == ["US-001"]
    assert prd.project == "adder" and prd.branch == "feature/sum"
    first, second = (r.body["messages"] for r in model.requests)
    assert "a tool that adds numbers" in json.dumps(first)
    assert "tools" not in model.requests[0].body  # drafting needs no tools
    retry = json.dumps(second[-1])
    assert "cannot be used" in retry and "not valid JSON" in retry
    assert "draft 1 was not a valid PRD" in proc.stderr


def test_from_description_gives_up_after_one_retry(cli, model, project):
    cyclic = {"user_stories": [
        {"id": "A", "title": "a", "description": "", "depends_on": ["B"]},
        {"id": "B", "title": "b", "description": "", "depends_on": ["A"]}]}
    model.script(Reply(text="no json here"), Reply(text=json.dumps(cyclic)))
    proc = cli("ralph", "create-prd", "--feature", "F", "--project-name", "P", "-o", "x.json",
               "--from", "something", "-m", "openai/m")
    assert_clean_failure(proc, "still invalid after one retry", "dependency cycle: A -> B -> A")
    assert "cannot be used: the reply contains no JSON object" in json.dumps(model.requests[1].body["messages"][-1])
    assert not (project / "x.json").exists()


def _create(cli, where) -> tuple:
    proc = cli("ralph", "create-prd", "--feature", "F", "--project-name", "p", "-o", str(where / "prd-new.json"),
               "--force")
    assert proc.returncode == 0, proc.stderr
    return dict(Prd.load(where / "prd-new.json").quality_checks), proc.stdout


def test_checks_follow_the_project_type(cli, project):
    import shutil

    (project / "pyproject.toml").unlink()
    node = project / "web"
    node.mkdir()
    (node / "package.json").write_text(json.dumps({"scripts": {"test": "vitest run", "lint": "eslint ."}}))
    (node / "tsconfig.json").write_text("{}")
    (node / "pnpm-lock.yaml").write_text("")
    cli.cwd = node
    checks, said = _create(cli, node)
    assert checks == {"typecheck": "npx tsc --noEmit", "lint": "pnpm run lint", "test": "pnpm test"}
    assert "for a Node (package.json) project" in said

    (node / "package.json").write_text(json.dumps({"scripts": {
        "test": 'echo "Error: no test specified" && exit 1', "build": "tsc -p ."}}))
    (node / "tsconfig.json").unlink()
    (node / "pnpm-lock.yaml").unlink()
    assert _create(cli, node)[0] == {"build": "npm run build"}  # npm init's placeholder is no test suite

    rust = project / "crate"
    rust.mkdir()
    (rust / "Cargo.toml").write_text('[package]\nname = "x"\n')
    cli.cwd = rust
    assert _create(cli, rust)[0] == {"typecheck": "cargo check", "lint": "cargo clippy", "test": "cargo test",
                                     "build": "cargo build --release"}

    py = project / "svc"
    (py / "src").mkdir(parents=True)
    (py / "pyproject.toml").write_text("[tool.mypy]\nstrict = true\n")
    cli.cwd = py / "src"  # a subdirectory: the project is found above it, inside the repository
    assert _create(cli, py / "src")[0] == {"typecheck": "mypy .", "lint": "ruff check .", "test": "pytest -q"}

    shutil.rmtree(py)
    bare = project / "docs"
    bare.mkdir()
    cli.cwd = bare
    checks, said = _create(cli, bare)
    assert checks == {} and "No quality checks" in said
