"""The PRD's quality checks, run by the loop (never by the model): in order, each with a timeout."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from codetether.config.load import Config
from codetether.tool import bash
from codetether.tool.base import ToolContext, ToolError

DEFAULT_TIMEOUT = 600
FAILURE_CHARS = 6000  # what the next attempt sees: the head and the tail, where tools put errors and summaries
_EXIT_TRAILER = re.compile(r"\n*exit code -?\d+\s*$")
_SUMMARY_LINE = re.compile(r"^(FAILED|ERROR)\b")  # pytest's short test summary names the test and the reason
_KEY_LINE = re.compile(r"error|Error|failed|FAIL")


@dataclass
class CheckResult:
    name: str
    command: str
    passed: bool
    exit_code: int | None
    timed_out: bool
    output: str
    seconds: float

    def headline(self) -> str:
        how = f"timed out after {self.seconds:.0f} s" if self.timed_out else f"exit {self.exit_code}"
        return f"{self.name} `{self.command}` failed ({how})"

    def key_line(self) -> str:
        """The one line that best says why: a test summary line, else the last error-looking line, else the last."""
        lines = [ln.strip() for ln in self.output.splitlines() if ln.strip()]
        summary = [ln for ln in lines if _SUMMARY_LINE.search(ln)]
        if summary:
            return summary[0][:200]
        flagged = [ln for ln in lines if _KEY_LINE.search(ln)]
        return (flagged or lines or [""])[-1][:200]


@dataclass
class CheckReport:
    results: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failure(self) -> CheckResult | None:
        return next((r for r in self.results if not r.passed), None)

    def failure_text(self) -> str:
        failed = self.failure
        if failed is None:
            return ""
        return f"Quality check {failed.headline()}. Output:\n{bash.cap_text(failed.output, FAILURE_CHARS)}"

    def failure_line(self) -> str:
        failed = self.failure
        return f"{failed.headline()}: {failed.key_line()}" if failed else ""


async def run_checks(checks: list[tuple[str, str]], cwd: Path, root: Path, timeout: int = DEFAULT_TIMEOUT,
                     on_result: Callable[[CheckResult], None] | None = None, config: Config | None = None) -> CheckReport:
    """Run each check in order through the bash tool's runner (its sandbox, process group, capped output);
    stop at the first failure, since later checks would only repeat it."""
    ctx = ToolContext(root=root, cwd=cwd, config=config)
    report = CheckReport()
    for name, command in checks:
        started = time.monotonic()
        try:
            result = await bash.run({"command": command, "timeout": timeout}, ctx)
            output, code = result.output, result.metadata.get("exit_code")
            timed_out, ok = bool(result.metadata.get("timed_out")), result.success
        except ToolError as exc:
            output, code, timed_out, ok = str(exc), None, False, False
        check = CheckResult(name, command, ok, code, timed_out, _EXIT_TRAILER.sub("", output),
                            time.monotonic() - started)
        report.results.append(check)
        if on_result is not None:
            on_result(check)
        if not ok:
            break
    assert ctx.sandbox is not None
    ctx.sandbox.close()
    return report
