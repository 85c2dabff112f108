"""todo_read/todo_write, question and skill, called the way the loop calls them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from codetether.session.binding import StoredSession
from codetether.session.store import SessionStore
from codetether.tool.base import ToolContext
from tests.tools.conftest import call


@pytest.fixture
def store(tmp_path: Path):
    store = SessionStore(tmp_path / "sessions.db")
    yield store
    store.close()


def _session_ctx(tmp_path: Path, store: SessionStore) -> ToolContext:
    info = store.create(str(tmp_path), "project", "openai/m", "build")
    return ToolContext(root=tmp_path, session=StoredSession(store, info.id))


def test_todo_write_replaces_and_todo_read_returns_it(tmp_path, store):
    ctx = _session_ctx(tmp_path, store)
    assert call("todo_read", {}, ctx).output == "the todo list is empty"
    written = call("todo_write", {"todos": [
        {"content": "read the code", "status": "done"},
        {"id": "t2", "content": "fix the bug", "status": "in_progress", "priority": "high"},
        {"content": "run the tests"}]}, ctx)
    assert written.success, written.output
    listing = call("todo_read", {}, ctx).output
    assert listing.splitlines()[:3] == ["[x] 1. read the code", "[~] t2. fix the bug (high)", "[ ] 3. run the tests"]
    assert "1 pending, 1 in_progress, 1 done" in listing
    call("todo_write", {"todos": [{"id": "t2", "content": "fix the bug", "status": "done"}]}, ctx)
    assert call("todo_read", {}, ctx).output.splitlines()[0] == "[x] t2. fix the bug"
    other = _session_ctx(tmp_path, store)  # another session has its own list
    assert call("todo_read", {}, other).output == "the todo list is empty"


def test_todos_survive_reopening_the_store(tmp_path, store):
    ctx = _session_ctx(tmp_path, store)
    call("todo_write", {"todos": [{"content": "persist me", "status": "blocked"}]}, ctx)
    reopened = SessionStore(tmp_path / "sessions.db")
    try:
        ctx2 = ToolContext(root=tmp_path, session=StoredSession(reopened, ctx.session_id))
        assert call("todo_read", {}, ctx2).output.startswith("[!] 1. persist me")
    finally:
        reopened.close()


@pytest.mark.parametrize("args, needle", [
    ({}, "'todos'"), ({"todos": "x"}, "'todos'"), ({"todos": [{}]}, "'todos[0].content'"),
    ({"todos": [{"content": " "}]}, "'todos[0].content'"),
    ({"todos": [{"content": "a", "status": "finished"}]}, "'todos[0].status'"),
    ({"todos": [{"content": "a", "priority": "urgent"}]}, "'todos[0].priority'"),
    ({"todos": [{"content": "a", "id": "x"}, {"content": "b", "id": "x"}]}, "'todos[1].id'"),
])
def test_todo_write_bad_arguments_name_the_field(tmp_path, store, args, needle):
    result = call("todo_write", args, _session_ctx(tmp_path, store))
    assert not result.success and needle in result.output


def test_todos_need_a_session(tmp_path):
    result = call("todo_read", {}, ToolContext(root=tmp_path))
    assert not result.success and "no recorded session" in result.output


def test_question_headless_tells_the_model_to_proceed(tmp_path):
    result = call("question", {"question": "Which database?", "options": ["sqlite", "postgres"],
                               "default": "sqlite"}, ToolContext(root=tmp_path))
    assert result.success
    assert result.output.startswith("no user available; proceed with your best judgement")
    assert "'sqlite'" in result.output


def test_question_asks_through_the_callback(tmp_path):
    asked = []

    async def ask(question, options, default):
        asked.append((question, options, default))
        return "postgres"

    ctx = ToolContext(root=tmp_path, ask_user=ask)
    result = call("question", {"question": "Which database?", "options": ["sqlite", "postgres"]}, ctx)
    assert result.output == "The user answered: postgres" and result.metadata["answered"]
    assert asked == [("Which database?", ["sqlite", "postgres"], None)]

    async def silent(question, options, default):
        return ""

    ctx.ask_user = silent
    assert call("question", {"question": "Go?", "default": "yes"}, ctx).output == "The user answered: yes"


@pytest.mark.parametrize("args, needle", [({}, "'question'"), ({"question": ""}, "'question'"),
                                          ({"question": "q", "options": "a,b"}, "'options'"),
                                          ({"question": "q", "options": [1]}, "'options[0]'")])
def test_question_bad_arguments_name_the_field(tmp_path, args, needle):
    result = call("question", args, ToolContext(root=tmp_path))
    assert not result.success and needle in result.output


def _skill(base: Path, folder: str, text: str, extra: dict[str, str] | None = None) -> None:
    path = base / folder
    path.mkdir(parents=True)
    (path / "SKILL.md").write_text(text)
    for name, content in (extra or {}).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(content)


def test_skill_list_and_load(isolated_env, tmp_path):
    project = tmp_path / "project"
    user = Path(isolated_env["XDG_CONFIG_HOME"]) / "codetether-agent" / "skills"
    _skill(project / ".codetether" / "skills", "release", "---\nname: release\ndescription: \"Cut a release\"\n---\n"
           "# Release\n\n1. Bump the version\n2. Run scripts/tag.sh\n", {"scripts/tag.sh": "git tag v$1\n"})
    _skill(user, "review", "---\nname: code-review\ndescription: Review a diff carefully\n---\nLook at tests first.\n")
    _skill(user, "release", "---\nname: release\ndescription: the user's older release skill\n---\nold\n")
    _skill(user, "plain", "No front matter here.\n")
    (user / "not-a-skill").mkdir()
    ctx = ToolContext(root=project)
    listing = call("skill", {"action": "list"}, ctx)
    assert listing.output.splitlines() == ["code-review: Review a diff carefully", "plain: No front matter here.",
                                           "release: Cut a release"]
    loaded = call("skill", {"action": "load", "name": "release"}, ctx)
    assert loaded.success and "1. Bump the version" in loaded.output and "name: release" not in loaded.output
    assert "- scripts/tag.sh" in loaded.output and "old" not in loaded.output  # the project's skill wins
    by_folder = call("skill", {"action": "load", "name": "review"}, ctx)
    assert "Look at tests first." in by_folder.output
    script = call("skill", {"action": "load", "name": "release/scripts/tag.sh"}, ctx)
    assert script.success and "git tag v$1" in script.output
    escape = call("skill", {"action": "load", "name": "release/../../../../etc/passwd"}, ctx)
    assert not escape.success and "'name'" in escape.output


def test_skill_errors_name_the_field(isolated_env, tmp_path):
    ctx = ToolContext(root=tmp_path)
    assert "no skills found" in call("skill", {"action": "list"}, ctx).output
    for args, needle in [({}, "'action'"), ({"action": "show"}, "'action'"), ({"action": "load"}, "'name'"),
                         ({"action": "load", "name": "ghost"}, "no skill named 'ghost'")]:
        result = call("skill", args, ctx)
        assert not result.success and needle in result.output, result.output


def test_plan_tools_refuse_without_a_plan(tmp_path, store):
    ctx = _session_ctx(tmp_path, store)
    result = call("plan_exit", {"summary": "x"}, ctx)
    assert not result.success and "plan_enter" in result.output
    for args, needle in [({"steps": ["a"]}, "'goal'"), ({"goal": "g"}, "'steps'"),
                         ({"goal": "g", "steps": []}, "'steps'"), ({"goal": "g", "steps": [3]}, "'steps[0]'")]:
        result = call("plan_enter", args, ctx)
        assert not result.success and needle in result.output, result.output


def test_plan_enter_switches_the_agent_and_plan_exit_switches_back(tmp_path, store):
    from codetether.agent.loop import Agent, AgentSettings
    from codetether.tool.registry import ToolSet
    from codetether.tool.support.permission import PermissionPolicy

    ctx = _session_ctx(tmp_path, store)
    ctx.policy = PermissionPolicy(agent="build")
    agent = Agent(model=None, tools=ToolSet.named(["read", "write", "plan_enter"]), ctx=ctx,  # type: ignore[arg-type]
                  settings=AgentSettings(model="m"))
    entered = asyncio.run(agent.tools.get("plan_enter").execute({"goal": "add caching", "steps": ["read", "plan"]},
                                                                ctx))
    assert entered.success, entered.output
    assert agent.settings.agent == "plan" and ctx.policy.agent == "plan"
    assert "write" not in agent.tools.names and "plan_exit" in agent.tools.names and ctx.tools is agent.tools
    assert store.get_state(ctx.session_id, "plan")["previous_agent"] == "build"
    assert "plan_enter" not in agent.tools.names
    assert call("plan_enter", {"goal": "g", "steps": ["s"]}, ctx).metadata.get("refused")
    refused = asyncio.run(ToolSet.named(["write"]).get("write").execute({"path": "x", "content": "y"}, ctx))
    assert refused.metadata.get("refused") and not (tmp_path / "x").exists()  # the policy enforces it too
    left = call("plan_exit", {"summary": "cache in memory"}, ctx)
    assert left.success and "Summary: cache in memory" in left.output and "1. read" in left.output
    assert agent.settings.agent == "build" and ctx.policy.agent == "build" and "write" in agent.tools.names
    assert store.get_state(ctx.session_id, "plan")["active"] is False
