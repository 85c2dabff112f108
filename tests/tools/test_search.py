"""grep, glob and list: matching rules, .gitignore, limits, and ripgrep/fallback agreement."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from codetether.tool import grep as grep_module
from codetether.tool.base import ToolContext
from codetether.tool.support.ignore import IgnoreMatcher, compile_glob, compile_name_glob
from tests.tools.conftest import call


def _tree(root: Path) -> None:
    files = {
        ".gitignore": "build/\n*.log\n!keep.log\n/top_only.txt\n",
        "src/app.py": "import os\nvalue = a.b\nVALUE = 'a.b'\n# TODO: fix\n",
        "src/util.py": "def helper():\n    return 'a+b'  # TODO later\n",
        "src/web/index.ts": "const todo = 'TODO';\n",
        "src/web/.gitignore": "generated.ts\n",
        "src/web/generated.ts": "// TODO generated\n",
        "src/top_only.txt": "TODO not ignored: the rule is anchored to the root\n",
        "top_only.txt": "TODO ignored\n",
        "build/out.py": "# TODO built\n",
        "debug.log": "TODO log\n",
        "keep.log": "TODO kept\n",
        ".hidden/notes.md": "TODO hidden but not ignored\n",
        "docs/readme.md": "Nothing to see\r\nTODO: windows line\r\n",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    (root / ".git").mkdir()
    (root / ".git/config").write_text("TODO inside git\n")
    (root / "blob.bin").write_bytes(b"TODO\0binary")
    (root / "large.txt").write_text("TODO\n" + "x" * (grep_module.MAX_FILE_BYTES + 10))


@pytest.fixture
def tree(ctx: ToolContext, tmp_path: Path) -> ToolContext:
    _tree(tmp_path)
    return ctx


@pytest.fixture(params=["python", "rg"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "python":
        monkeypatch.setattr(grep_module.shutil, "which", lambda name: None)
    elif shutil.which("rg") is None:
        pytest.skip("ripgrep is not installed")
    return request.param


def _paths(output: str) -> list[str]:
    return [line.split(":", 1)[0] for line in output.splitlines() if ":" in line and not line.startswith("[")]


def test_grep_respects_gitignore_and_skips_git_binary_large(tree: ToolContext, engine: str) -> None:
    result = call("grep", {"pattern": "TODO"}, tree)
    assert result.success and result.metadata["engine"] == engine
    assert _paths(result.output) == [".hidden/notes.md", "docs/readme.md", "keep.log", "src/app.py",
                                     "src/top_only.txt", "src/util.py", "src/web/index.ts"]
    assert "docs/readme.md:2: TODO: windows line" in result.output
    assert "src/util.py:2:     return 'a+b'  # TODO later" in result.output


def test_grep_literal_by_default_regex_on_request(tree: ToolContext, engine: str) -> None:
    literal = call("grep", {"pattern": "a.b"}, tree)
    assert literal.output.splitlines() == ["src/app.py:2: value = a.b", "src/app.py:3: VALUE = 'a.b'"]
    plus = call("grep", {"pattern": "a+b"}, tree)
    assert _paths(plus.output) == ["src/util.py"]
    regex = call("grep", {"pattern": "^v.lue", "is_regex": True}, tree)
    assert regex.output == "src/app.py:2: value = a.b"
    # Lookahead is Python-only; with ripgrep the search falls back rather than reporting nothing.
    ahead = call("grep", {"pattern": "a(?=\\+b)", "is_regex": True}, tree)
    assert _paths(ahead.output) == ["src/util.py"]
    bad = call("grep", {"pattern": "(", "is_regex": True}, tree)
    assert not bad.success and "is_regex=false" in bad.output


def test_grep_include_and_path(tree: ToolContext, engine: str) -> None:
    py = call("grep", {"pattern": "TODO", "include": "*.py"}, tree)
    assert _paths(py.output) == ["src/app.py", "src/util.py"]
    braces = call("grep", {"pattern": "TODO", "include": "*.{ts,md}"}, tree)
    assert _paths(braces.output) == [".hidden/notes.md", "docs/readme.md", "src/web/index.ts"]
    anchored = call("grep", {"pattern": "TODO", "include": "web/*.ts", "path": "src"}, tree)
    assert _paths(anchored.output) == ["src/web/index.ts"]
    one_file = call("grep", {"pattern": "TODO", "path": "src/util.py"}, tree)
    assert _paths(one_file.output) == ["src/util.py"]
    nothing = call("grep", {"pattern": "zebra"}, tree)
    assert nothing.success and "no matches" in nothing.output


def test_grep_limit(tree: ToolContext, engine: str) -> None:
    result = call("grep", {"pattern": "TODO", "limit": 2}, tree)
    assert _paths(result.output) == [".hidden/notes.md", "docs/readme.md"]
    assert "limit of 2" in result.output and result.metadata["truncated"]


def test_grep_engines_agree(ctx: ToolContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("rg") is None:
        pytest.skip("ripgrep is not installed")
    _tree(tmp_path)
    cases = [{"pattern": "TODO"}, {"pattern": "t", "limit": 500}, {"pattern": "[a-z]+\\(", "is_regex": True},
             {"pattern": "TODO", "include": "*.py"}, {"pattern": "o", "path": "src", "include": "web/*"},
             {"pattern": "TODO$", "is_regex": True}]
    with_rg = [call("grep", args, ctx).output for args in cases]
    monkeypatch.setattr(grep_module.shutil, "which", lambda name: None)
    assert [call("grep", args, ctx).output for args in cases] == with_rg


def test_grep_long_lines_and_huge_one_line_files(ctx: ToolContext, tmp_path: Path, engine: str) -> None:
    (tmp_path / "bundle.min.js").write_text("var a=1;" * 600_000 + "NEEDLE;" + "b=2;" * 10)  # ~4.8 MB, one line
    (tmp_path / "wide.js").write_text("x" * 200_000 + "NEEDLE" + "y" * 10 + "\n")  # under the cap, very wide
    (tmp_path / "ok.py").write_text("print('NEEDLE')\n")
    result = call("grep", {"pattern": "NEEDLE"}, ctx)
    assert _paths(result.output) == ["ok.py", "wide.js"]  # files over 1 MiB are skipped
    [wide] = [line for line in result.output.splitlines() if line.startswith("wide.js")]
    assert wide == "wide.js:1: " + "x" * grep_module.MAX_LINE_CHARS + "…"


def test_grep_paths_with_newlines_and_big_matching_logs(ctx: ToolContext, tmp_path: Path, engine: str) -> None:
    (tmp_path / "new\nline.txt").write_text("NEEDLE here\n")
    (tmp_path / "build.log").write_text("NEEDLE again\n" * 200_000)  # 2.6 MB: over the cap, matches everywhere
    (tmp_path / "ok.py").write_text("x = 'NEEDLE'\n")
    result = call("grep", {"pattern": "NEEDLE"}, ctx)
    assert result.output == "new\nline.txt:1: NEEDLE here\nok.py:1: x = 'NEEDLE'"  # the log is over the cap


def test_grep_timeout_returns_partial_results(tree: ToolContext, tmp_path: Path) -> None:
    result = grep_module.search_python(tmp_path, IgnoreMatcher(tmp_path), lambda line: "TODO" in line,
                                       None, 10, deadline=time.monotonic() - 1)
    assert result.timed_out and result.matches == []
    report = grep_module._report(tree, result, 10, "TODO", "python")
    assert "timed out" in report.output and report.metadata["timed_out"]


def test_glob_newest_first_and_gitignore(tree: ToolContext, tmp_path: Path) -> None:
    os.utime(tmp_path / "src/util.py", (time.time() + 100, time.time() + 100))
    result = call("glob", {"pattern": "**/*.py"}, tree)
    assert result.output.splitlines() == ["src/util.py", "src/app.py"]
    top = call("glob", {"pattern": "*.log"}, tree)
    assert top.output == "keep.log"
    scoped = call("glob", {"pattern": "*.ts", "path": "src/web"}, tree)
    assert scoped.output == "src/web/index.ts"
    limited = call("glob", {"pattern": "**/*", "limit": 1}, tree)
    assert len(limited.output.splitlines()) == 2 and "more matches" in limited.output
    assert not call("glob", {"pattern": "/etc/*"}, tree).success


def test_list_sorted_with_dirs_marked(tree: ToolContext) -> None:
    result = call("list", {}, tree)
    assert result.output.splitlines() == [".gitignore", ".hidden/", "blob.bin", "docs/", "keep.log",
                                          "large.txt", "src/"]
    web = call("list", {"path": "src/web"}, tree)
    assert web.output.splitlines() == [".gitignore", "index.ts"]
    assert "read" in call("list", {"path": "keep.log"}, tree).output


def test_list_caps_entries(ctx: ToolContext, tmp_path: Path) -> None:
    for n in range(1005):
        (tmp_path / f"f{n:04d}").touch()
    result = call("list", {}, ctx)
    assert len(result.output.splitlines()) == 1001 and "5 more entries" in result.output


def test_gitignore_rules() -> None:
    root = Path("/r")
    matcher = IgnoreMatcher(root)
    matcher._cache[root] = __import__("codetether.tool.support.ignore", fromlist=["x"]).parse_gitignore(
        "# comment\n*.pyc\n/dist\nlogs/\n!important.pyc\ndocs/**/draft?.md\n\\#hash\n")
    sub = root / "a"
    matcher._cache[sub] = []
    matcher._cache[sub / "b"] = []
    assert matcher.ignored(root / "x.pyc", False)
    assert matcher.ignored(root / "a/b/y.pyc", False)
    assert not matcher.ignored(root / "important.pyc", False)
    assert matcher.ignored(root / "dist", True) and not matcher.ignored(root / "a/dist", True)
    assert matcher.ignored(root / "logs", True) and not matcher.ignored(root / "logs", False)
    assert matcher._cache.setdefault(root / "docs", []) == []
    matcher._cache[root / "docs/x"] = []
    assert matcher.ignored(root / "docs/x/draft1.md", False)
    assert not matcher.ignored(root / "docs/x/draft10.md", False)
    assert matcher.ignored(root / "#hash", False)
    assert matcher.ignored(root / "a/.git", True)


def test_globs() -> None:
    assert compile_glob("**/*.py").fullmatch("a.py") and compile_glob("**/*.py").fullmatch("x/y/a.py")
    assert not compile_glob("*.py").fullmatch("x/a.py")
    assert compile_glob("src/**/test_?.{js,ts}").fullmatch("src/a/b/test_1.ts")
    assert compile_glob("[!a]*").fullmatch("b") and not compile_glob("[!a]*").fullmatch("a")
    assert compile_name_glob("*.py").fullmatch("deep/er/x.py")
    assert not compile_name_glob("web/*.py").fullmatch("src/web/x.py")
