"""Run the official A2A TCK snapshot (../shared/a2a-tck) against `codetether serve`; exit non-zero on failures.

Behind the server: an OpenBao dev server with a provider secret and the scripted LLM server answering every
model call after a stall, so tasks stay WORKING while the kit inspects them (see HOW-TO-RUN.md in the kit).
The kit runs in its own cached venv (.venv-tck), from a patched temporary copy; everything is cleaned up.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.llm_server import LLMServer, Reply, Stall  # noqa: E402
from tests.harness.vault import VaultDevServer  # noqa: E402

KIT = Path(os.environ.get("CODETETHER_A2A_TCK_DIR") or ROOT.parent / "shared" / "a2a-tck")
VENV = ROOT / ".venv-tck"
EXTRA = ["python-dotenv", "aiohttp", "pyOpenSSL", "grpcio-status", "proto-plus"]
LIST = "tests/mandatory/protocol/test_tasks_list_method.py"
# Known failures with a2a-sdk 1.3.0, also on the kit's reference SUT (HOW-TO-RUN.md section 5).
KNOWN_FAILURES = [
    "tests/mandatory/jsonrpc/test_a2a_error_codes_enhanced.py::test_push_notification_not_supported_error_32003_enhanced",
    f"{LIST}::TestBasicListing::test_list_tasks_empty_when_none_exist",
    f"{LIST}::TestPagination::test_default_page_size",
    f"{LIST}::TestPagination::test_last_page_detection",
    f"{LIST}::TestEdgeCasesAndErrors::test_invalid_status_error",
]
# Divergences of codetether serve from the kit (reported, not hidden): none at present. Follow-ups to a working task
# (test_state_transitions.py::test_task_history_length) queue as its next turns and show in its history at once.
CODETETHER_DIVERGENCES: list[str] = []
HEADER = '"Content-Type": "application/json"'


def ensure_venv() -> Path:
    """The kit's venv, rebuilt only when its requirements change."""
    wanted = (KIT / "requirements.txt").read_text() + "\n".join(EXTRA)
    stamp = VENV / "requirements.sha256"
    digest = hashlib.sha256(wanted.encode()).hexdigest()
    python = VENV / "bin" / "python"
    if not (python.exists() and stamp.exists() and stamp.read_text() == digest):
        print(f"a2a-tck: preparing {VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(KIT / "requirements.txt"), *EXTRA],
                       check=True)
        stamp.write_text(digest)
    return python


def patched_copy(dest: Path) -> Path:
    """Copy the kit and add the A2A-Version header it omits (a2a-sdk 1.3.0 reads no header as 0.3)."""
    work = dest / "a2a-tck"
    shutil.copytree(KIT, work, ignore=shutil.ignore_patterns("reports", "__pycache__", ".pytest_cache"))
    patched = 0
    for folder in ("tck", "tests"):
        for path in (work / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if HEADER in text:
                path.write_text(text.replace(HEADER, f'"A2A-Version": "1.0", {HEADER}'), encoding="utf-8")
                patched += text.count(HEADER)
    if patched == 0:
        raise SystemExit("a2a-tck: found no Content-Type header to patch; has the kit changed?")
    return work


def start_serve(env: dict[str, str], cwd: Path, log: Path, max_wait: float) -> tuple[subprocess.Popen[bytes], str]:
    cmd = [sys.executable, "-m", "codetether", "serve", "--port", "0", "--model", "openai/scripted-model",
           "--max-wait", str(max_wait)]
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"on http://127\.0\.0\.1:(\d+)", log.read_text(errors="replace"))
        if found:
            return proc, f"http://127.0.0.1:{found.group(1)}"
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"a2a-tck: codetether serve did not start:\n{log.read_text(errors='replace')}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--stall", type=float, default=30.0, help="seconds each model call waits before answering")
    ap.add_argument("--max-wait", type=float, default=0.5,
                    help="serve --max-wait: how long a blocking SendMessage waits before returning the WORKING task")
    ap.add_argument("--all-tests", action="store_true", help="do not deselect the known failures")
    args = ap.parse_args(argv)
    if not (KIT / "requirements.txt").is_file():
        print(f"error: the A2A TCK is not at {KIT}; set CODETETHER_A2A_TCK_DIR to the kit's folder", file=sys.stderr)
        return 1
    started = time.monotonic()
    python = ensure_venv()
    with tempfile.TemporaryDirectory(prefix="codetether-tck-") as tmp_name:
        tmp = Path(tmp_name)
        work = patched_copy(tmp)
        project = tmp / "project"
        project.mkdir()
        with VaultDevServer() as vault, LLMServer(default_reply=Stall(args.stall, Reply("done"))) as llm:
            vault.put_provider("openai", api_key="sk-tck-0123456789abcdef", base_url=llm.base_url_openai)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "CODETETHER_", "BAO_"))}
            env.update(vault.env(), HOME=str(tmp), XDG_CONFIG_HOME=str(tmp / "config"),
                       XDG_DATA_HOME=str(tmp / "data"), CODETETHER_DATA_DIR=str(tmp / "codetether"))
            proc, url = start_serve(env, project, tmp / "serve.log", args.max_wait)
            try:
                cmd = [str(python), "-m", "pytest", "tests/mandatory/", f"--sut-url={url}", "--test-scope=all", "-q",
                       "-p", "no:cacheprovider", "-m", "mandatory or mandatory_protocol or mandatory_jsonrpc",
                       "--transports", "jsonrpc"]
                for test in [] if args.all_tests else KNOWN_FAILURES + CODETETHER_DIVERGENCES:
                    cmd += ["--deselect", test]
                kit_env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "CODETETHER_"))}
                result = subprocess.run(cmd, cwd=work, env=kit_env, capture_output=True, text=True)
            finally:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            output = result.stdout + result.stderr
            if result.returncode != 0:
                print(output[-20000:])
                print(f"--- codetether serve log ---\n{(tmp / 'serve.log').read_text(errors='replace')[-5000:]}")
    summary = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    print(f"A2A TCK (mandatory, JSON-RPC) against codetether serve: {summary[-1] if summary else 'no summary'}")
    if not args.all_tests:
        own = f"{len(CODETETHER_DIVERGENCES)} codetether divergences: {', '.join(CODETETHER_DIVERGENCES) or 'none'}"
        print(f"deselected: {len(KNOWN_FAILURES)} known a2a-sdk 1.3.0/kit failures (HOW-TO-RUN.md section 5); {own}")
    print(f"runtime {time.monotonic() - started:.1f}s; exit {result.returncode}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
