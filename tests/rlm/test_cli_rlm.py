"""End to end: `codetether rlm` over a 5 MB log against the scripted model, through the real CLI."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import API_KEY, assert_clean_failure
from tests.harness.llm_server import HttpError, Reply
from tests.rlm.logs import make_log

WINDOW = 8_000
ERRORS = {"db": 137, "auth": 89, "disk": 41}
SUB_MARKER = "excerpt of a larger text"
ROOT_SCRIPT = [
    'I will count the errors first.\n```\ncount("ERROR")\ncount("connection timeout")\ncount("invalid token")\n'
    'count("no space left")\n```',
    'grep("ERROR", max_results=5)\nllm_query("What kinds of errors are these?", grep("ERROR", max_results=200))',
    'FINAL("267 ERROR lines: 137 db connection timeouts, 89 invalid auth tokens, 41 disk-full write failures")',
]


class Scripted:
    """Answers root requests from a script and sub-queries with a fixed text; keeps the usage it handed out."""

    def __init__(self, root: list[str], sub: str = "Three kinds: db timeouts, auth token failures, full disk."):
        self.root, self.sub = list(root), sub
        self.roots = self.subs = 0
        self.usage: list[tuple[int, int]] = []

    def __call__(self, body: dict) -> Reply:
        if SUB_MARKER in body["messages"][0]["content"]:
            self.subs += 1
            text, usage = self.sub, (700 + self.subs, 30)
        else:
            text = self.root[min(self.roots, len(self.root) - 1)]
            self.roots += 1
            usage = (1000 + 10 * self.roots, 40 + self.roots)
        self.usage.append(usage)
        return Reply(text=text, usage=usage)


@pytest.fixture
def rlm(cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    env = {**cli.env, "CODETETHER_CONTEXT_WINDOW": str(WINDOW)}
    return lambda *args, **kw: cli("rlm", "--model", "openai/scripted", *args, env=env, **kw)


def _bodies(llm_server) -> list[str]:
    return [json.dumps(r.body) for r in llm_server.requests]


def test_five_megabyte_log_is_answered_within_the_window(rlm, llm_server, workspace):
    (workspace / "app.log").write_text(make_log(5_000_000, ERRORS))
    script = Scripted(ROOT_SCRIPT)
    llm_server.router = script

    proc = rlm("How many ERROR lines are there, of which kinds?", "-f", "app.log", "--json", timeout=120)

    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["answer"].startswith("267 ERROR lines: 137 db")
    assert out["iterations"] == 3 and out["exit_reason"] == "final" and out["error"] is None
    assert out["content_type"] == "logs"
    assert [s["query"] for s in out["sub_queries"]] == ["What kinds of errors are these?"]
    assert out["sub_queries"][0]["context_slice"] == "grep('ERROR', max_results=200)"
    assert out["sub_queries"][0]["response"] == script.sub
    # True token counts: the sums of what the server reported, not estimates.
    assert out["stats"]["input_tokens"] == sum(p for p, _ in script.usage)
    assert out["stats"]["output_tokens"] == sum(c for _, c in script.usage)
    assert isinstance(out["stats"]["elapsed_ms"], int) and out["stats"]["requests"] == 4
    assert (script.roots, script.subs) == (3, 1)

    requests, bodies = llm_server.requests, _bodies(llm_server)
    assert all(r.raw_bytes / 3.5 <= WINDOW for r in requests), [r.raw_bytes for r in requests]
    # The commands really ran over the whole file, and their results reached the model.
    second = bodies[1]
    for expected in ("267 matches on 267 lines", "137 matches on 137 lines", "89 matches on 89 lines",
                     "41 matches on 41 lines"):
        assert expected in second
    sub = next(b for b in bodies if SUB_MARKER in b)
    assert "What kinds of errors are these?" in sub and "connection timeout after 30s" in sub
    assert "267 matching lines (showing the first 200)" in sub
    assert "267 matching lines (showing the first 5)" in bodies[-1]


def test_never_final_stops_at_max_iterations(rlm, llm_server, workspace):
    (workspace / "small.log").write_text(make_log(20_000, {"db": 2}))
    llm_server.router = Scripted(['head(2)'])

    proc = rlm("what happened?", "-f", "small.log", "--max-iterations", "4")

    assert proc.returncode == 3
    assert_clean_failure(proc, "no FINAL answer after 4 iterations")
    roots = [b for b in _bodies(llm_server) if SUB_MARKER not in b]
    assert len(roots) == 4
    assert "reply now with FINAL" in roots[-1] and "reply now with FINAL" not in roots[-2]


def test_never_final_json_reports_the_outcome(rlm, llm_server, workspace):
    llm_server.router = Scripted(['tail(1)'])
    proc = rlm("q", "--content", "a\nb\nc\n", "--max-iterations", "2", "--json")
    assert proc.returncode == 3
    out = json.loads(proc.stdout)
    assert out["exit_reason"] == "max_iterations" and out["answer"] == "" and out["iterations"] == 2
    assert "no FINAL answer" in out["error"]


def test_malformed_commands_are_reported_to_the_model(rlm, llm_server):
    llm_server.router = Scripted(['grep("ERROR', 'os.system("rm -rf /")\nnot_a_command(1)', 'FINAL("recovered")'])
    proc = rlm("q", "--content", "ERROR one\nINFO two\n", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["answer"] == "recovered"
    bodies = _bodies(llm_server)
    assert "could not parse" in bodies[1] and "unterminated string literal" in bodies[1]
    assert "attribute access" in bodies[2] and "unknown command 'not_a_command'" in bodies[2]


def test_stdin_and_text_output(rlm, llm_server):
    chat = "".join(f"User: question {i}?\nAssistant: answer {i}.\n" for i in range(30))
    llm_server.router = Scripted(['count("User:")', 'FINAL("30 user turns")'])
    proc = rlm("how many user turns?", "--content", "-", input=chat)
    assert proc.returncode == 0, proc.stderr
    assert "**Answer:** 30 user turns" in proc.stdout and "## RLM Analysis Result" in proc.stdout
    assert "content type conversation" in proc.stderr
    assert "30 matches on 30 lines" in _bodies(llm_server)[1]


def test_globbed_files_are_concatenated_with_headers(rlm, llm_server, workspace):
    (workspace / "logs").mkdir()
    (workspace / "logs" / "a.log").write_text("2024-01-01 10:00:00 INFO first\n")
    (workspace / "logs" / "b.log").write_text("2024-01-01 11:00:00 ERROR second\n")
    llm_server.router = Scripted(['grep("FILE|ERROR")', 'FINAL("b.log has the error")'])
    proc = rlm("which file has the error?", "-f", "logs/*.log", "--json")
    assert proc.returncode == 0, proc.stderr
    first, second = _bodies(llm_server)[:2]
    assert "sources: logs/a.log, logs/b.log" in first
    assert "=== FILE: logs/b.log ===" in second and "5: 2024-01-01 11:00:00 ERROR second" in second


@pytest.mark.parametrize("question_last", [False, True], ids=["question-first", "question-after-files"])
def test_a_shell_expanded_glob_gives_many_files(rlm, llm_server, workspace, question_last):
    """The seed's `codetether rlm "..." -f src/*.py`: the shell hands -f every file the glob matched."""
    (workspace / "src").mkdir()
    for name, body in (("a.py", "def alpha():\n    return 1\n"), ("b.py", "def beta():\n    return 2\n"),
                       ("c.py", "def gamma():\n    return 3\n")):
        (workspace / "src" / name).write_text(body)
    llm_server.router = Scripted(['grep("def ")', 'FINAL("alpha, beta and gamma")'])
    files = ["src/a.py", "src/b.py", "src/c.py"]
    args = ("-f", *files, "which functions are defined?") if question_last else ("which functions are defined?",
                                                                                   "-f", *files)
    proc = rlm(*args, "--json") if not question_last else rlm("--json", *args)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["answer"] == "alpha, beta and gamma"
    first, second = _bodies(llm_server)[:2]
    assert "sources: src/a.py, src/b.py, src/c.py" in first
    for fn in ("def alpha", "def beta", "def gamma"):
        assert fn in second


@pytest.mark.parametrize(("args", "needle"), [
    ((), "no context to analyse"),
    (("-f", "missing.log"), "'missing.log' does not exist"),
    (("-f", "nothing/*.log"), "matches no files"),
    (("--content", "   "), "the context is empty"),
])
def test_bad_input_is_a_usage_error(rlm, llm_server, args, needle):
    proc = rlm("q", *args)
    assert proc.returncode == 2
    assert_clean_failure(proc, needle)
    assert not llm_server.requests


def test_forced_content_type_and_provider_errors(rlm, llm_server):
    llm_server.router = Scripted(['FINAL("ok")'])
    proc = rlm("q", "--content", "2024-01-01 10:00:00 INFO a\n", "--content-type", "documents", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["content_type"] == "documents"

    llm_server.router = lambda body: HttpError(400, {"error": {"message": "model not found"}})
    proc = rlm("q", "--content", "text\n", "--json")
    assert proc.returncode == 1
    assert_clean_failure(proc, "refused the request (HTTP 400): model not found")
    assert json.loads(proc.stdout) == {"query": "q", "answer": "", "exit_reason": "error",
                                       "error": "provider 'openai' refused the request (HTTP 400): model not found"}
