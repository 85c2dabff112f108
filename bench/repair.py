#!/usr/bin/env python3
"""The malformed-call corpus (tests/corpus/tool_calls.py) with tool-call repairs on and off: score and round trips.

Each case is one `codetether run --agent build` against a scripted model that reacts like a real one: it sends the
case's malformed call; if the call is refused, it sends the intended call correctly (a cut-off or ambiguous call
gets a plain follow-up read, as a model would move on); then it answers. Repairs off is
CODETETHER_REPAIR_TOOL_CALLS=false (exactly valid calls run, the rest is refused; cut-off calls are still never run).

Score: cases whose first call was handled as the corpus expects (certain damage ran with exactly the intended
arguments; ambiguous or cut-off calls refused). Unsafe: runs with any other arguments, or files written that must
not be (must be 0 in both modes). Round trips: model requests over the whole corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import cli_env, emit, stack
from tests.corpus.tool_calls import APP, CASES, DATA, EDIT_ME, Case
from tests.harness.llm_server import Reply, ToolCall

from codetether.tool.registry import CORE_TOOLS
from codetether.tool.support.names import resolve_name

REFUSED = ("was not run", "unknown tool", "not available to the")


@dataclass
class Tally:
    score: int = 0
    unsafe: int = 0
    requests: int = 0
    resent: int = 0
    never_ran: list[str] = field(default_factory=list)  # intended calls that did not run on the first try
    unread: int = 0  # turns that ended with the call left in the reply as text, never run at all
    misses: list[str] = field(default_factory=list)


def first_reply(case: Case) -> Reply:
    if case.wire == "text":
        return Reply(text=case.arguments, finish=case.finish)
    return Reply(tool_calls=[ToolCall(case.name, case.arguments)], finish=case.finish)


def resend(case: Case, number: int) -> Reply:
    if case.intended is None:  # nothing certain to resend: the model moves on with another (distinct) call
        return Reply(tool_calls=[ToolCall("read", {"path": "data.txt", "offset": number % 30 + 1, "limit": 2})])
    tool = case.tool or resolve_name(case.name, list(CORE_TOOLS))[0]
    return Reply(tool_calls=[ToolCall(tool, case.intended)])


def model(case: Case, number: int):
    def route(body: dict) -> Reply:
        results = [m for m in body.get("messages", []) if m.get("role") == "tool"]
        if not results:
            return first_reply(case)
        if len(results) == 1 and any(word in results[0]["content"] for word in REFUSED):
            return resend(case, number)
        return Reply(text="done")

    return route


def first_call(stdout: str) -> tuple[str, dict | None]:
    """How the first tool call of the run went: ran (with its arguments) | refused | none."""
    events = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    started = next((e for e in events if e["type"] == "run.tool_call_started"), None)
    done = next((e for e in events if e["type"] == "run.tool_call_completed"), None)
    if done is None or started is None:
        return "none", None
    if any(word in done["output"] for word in REFUSED) and not done["success"]:
        return "refused", None
    raw = started["arguments"]
    return "ran", json.loads(raw) if raw.strip() else {}


def files_as_expected(work: Path, case: Case) -> bool:
    for path, content in case.files:
        target = work / path
        if content is None and target.exists():
            return False
        if content is not None and (not target.exists() or target.read_bytes() != content.encode()):
            return False
    return True


def run_corpus(exe: str, repair: bool) -> Tally:
    tally = Tally()
    with stack() as (vault, llm, home):
        work = Path(home) / "work"
        work.mkdir()
        (work / "data.txt").write_text(DATA)
        (work / "app.py").write_text(APP)
        (work / "edit_me.txt").write_text(EDIT_ME)
        env = cli_env(vault.env(), home, CODETETHER_REPAIR_TOOL_CALLS="true" if repair else "false")
        for number, case in enumerate(CASES, 1):
            llm.router = model(case, number)
            before = len(llm.requests)
            proc = subprocess.run([exe, "run", "--agent", "build", "--model", "openai/corpus", "--format", "jsonl",
                                   f"case {case.id}"], env=env, cwd=work, capture_output=True, text=True,
                                  timeout=120)
            if proc.returncode != 0:
                raise SystemExit(f"case {case.id} (repair={repair}) failed:\n{proc.stderr[-2000:]}")
            requests = len(llm.requests) - before
            tally.requests += requests
            kind, arguments = first_call(proc.stdout)
            tally.resent += requests == 3
            wanted = case.expect == "run"
            if kind == "ran" and (not wanted or arguments != case.intended):
                tally.unsafe += 1
            if (kind == "ran" and wanted and arguments == case.intended or kind == "refused" and not wanted) \
                    and files_as_expected(work, case):
                tally.score += 1
            else:
                tally.misses.append(case.id)
            if wanted and kind != "ran":
                tally.never_ran.append(case.id)
            tally.unread += wanted and kind == "none"
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    exe = str(Path(sys.executable).parent / "codetether")
    on, off = run_corpus(exe, True), run_corpus(exe, False)
    n = len(CASES)
    expected_run = sum(c.expect == "run" for c in CASES)
    print(f"Malformed tool-call corpus: {n} cases ({expected_run} certain, {n - expected_run} to refuse), "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'':<38} {'repairs on':>12} {'repairs off':>12}")
    rows = [("score: handled as expected", f"{on.score}/{n}", f"{off.score}/{n}"),
            ("unsafe runs (other args / bad writes)", on.unsafe, off.unsafe),
            ("certain calls not run on first try", len(on.never_ran), len(off.never_ran)),
            ("calls the model had to resend", on.resent, off.resent),
            ("turns ended with the call as text, unrun", on.unread, off.unread),
            ("model round trips, whole corpus", on.requests, off.requests)]
    for label, a, b in rows:
        print(f"{label:<38} {a!s:>12} {b!s:>12}")
    print(f"round trips saved by repairs: {off.requests - on.requests} "
          f"({(off.requests - on.requests) / off.requests:.0%} of the corpus's requests), and {off.unread} turns "
          "that would have ended with the call unrun")
    if on.misses:
        print(f"missed with repairs on: {', '.join(on.misses)}")
    print(f"not run on first try with repairs off: {', '.join(off.never_ran)}")
    emit("corpus score, repairs on (cases)", [on.score], "cases", higher_is_better=True, key="repair_score")
    emit("corpus score, repairs off (cases)", [off.score], "cases", higher_is_better=True, key="repair_score_off")
    emit("corpus round trips, repairs on", [on.requests], "requests", key="repair_requests")
    emit("corpus round trips, repairs off", [off.requests], "requests", key="repair_requests_off")
    return 0 if on.unsafe == off.unsafe == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
