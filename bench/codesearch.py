#!/usr/bin/env python3
"""codesearch on a copy of this repository: cold build (first ever, then with the token table cached), time to
the first keyword answer, no-change and one-file refreshes, query latency, and retrieval quality: recall@5 over
questions with known answers (36 the ranking was tuned on, a held-out set written before that tuning, and a fresh
set written before the second round of tuning; neither held-out set was ever tuned on), for BM25 alone, the static embeddings (alone and fused), the tool's ranking (the fused list's best re-ranked by the
transformer) and the MiniLM transformer over every chunk the index used before (alone and fused). Also what
OPENBLAS_CORETYPE costs the numpy encoder. Throwaway data and cache dirs, so the user's index and token table are
untouched; prints tables."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from _common import emit  # noqa: E402

# (question, file under src/codetether, the function or class that answers it); the words differ from the code's.
QUESTIONS = [
    ("write a file so that a crash never leaves it half written", "tool/support/fsutil.py", "atomic_write"),
    ("tell whether file contents are binary rather than text", "tool/support/fsutil.py", "is_binary"),
    ("decide if a path is excluded by gitignore rules", "tool/support/ignore.py", "IgnoreMatcher"),
    ("hide secret values such as API keys in text before it is stored", "secrets/redact.py", "redact"),
    ("split a model id into provider and model name", "provider/registry.py", "parse_model_id"),
    ("how many tokens the model's context window holds", "provider/models_catalog.py", "context_window_for"),
    ("compute the price in dollars of the tokens a request used", "provider/models_catalog.py", "cost_usd"),
    ("make sure every tool call has a matching result message", "agent/repair.py", "pair_tool_calls"),
    ("read AGENTS.md instructions from the repository", "agent/prompt.py", "project_instructions"),
    ("decode the claims inside a JWT access token", "provider/codex_oauth.py", "jwt_claims"),
    ("url-safe base64 without padding", "provider/b64url.py", "b64url"),
    ("is this host name a local loopback address", "server/auth.py", "is_loopback"),
    ("revert the files changed by the last turn", "session/undo.py", "undo_turns"),
    ("stop sub-agents whose branch keeps failing", "swarm/collapse.py", "CollapseController"),
    ("switch git to the branch named in the PRD", "ralph/git.py", "checkout_branch"),
    ("check tool call arguments against a JSON schema", "tool/support/schema.py", "validate_arguments"),
    ("discover skill folders with SKILL.md files", "tool/skill.py", "find_skills"),
    ("does the text use Windows CRLF line endings", "tool/support/textedit.py", "is_crlf"),
    ("split camelCase and snake_case identifiers into words", "codesearch/bm25.py", "tokenize"),
    ("build the A2A agent card that describes this agent", "a2a/card.py", "build_card"),
    ("merge consecutive messages of the same role into alternating turns", "provider/turns.py", "alternating_turns"),
    ("extract tool calls a model wrote as plain text", "provider/text_tools.py", "parse_reply"),
    ("TLS certificate verification settings for an HTTP endpoint", "net.py", "verify_for"),
    ("files the user mentioned with an at sign in the prompt", "attachments.py", "mentioned_files"),
    ("estimate how many tokens a conversation uses", "agent/context.py", "total_tokens"),
    ("name of the git branch checked out in a directory", "gitinfo.py", "current_branch"),
    ("the URL the server advertises to clients", "server/serve.py", "public_url"),
    ("list the top-level files of the workspace for the side panel", "tui/widgets/sidebar.py", "workspace_entries"),
    ("where crash reports wait before they are uploaded", "crash/__init__.py", "spool_dir"),
    ("pick the article or main element of a web page", "tool/support/html2md.py", "main_content"),
    ("fingerprint of the working tree to reuse cached sub-agent results", "swarm/cache.py", "workspace_state"),
    ("shorten a long text keeping its beginning and its end", "agent/compaction.py", "cut_middle"),
    ("validate and save a PRD file", "ralph/create.py", "write_prd"),
    ("concatenate several text files skipping binary ones", "rlm/context.py", "read_files"),
    ("apply the hunks of a unified diff to a file's lines", "tool/support/patch.py", "apply_hunks"),
    ("store conversation messages in SQLite", "session/store.py", "append_message"),
]
# Held out: written before the ranking was tuned on QUESTIONS, and never tuned on; reported apart so
# a gain that only fits the first set shows.
HELD_OUT = [
    ("read a model's cut-off or broken argument object without guessing", "lenient_json.py", "parse_object"),
    ("refuse an object that repeats a key with two different values", "lenient_json.py", "unique_pairs"),
    ("sign an AWS request with a timestamped authorization header", "provider/sigv4.py", "sign"),
    ("recognise an error body saying the prompt was too long for the model", "provider/overflow.py",
     "parse_overflow"),
    ("an HTTP connection that only ever reaches public internet hosts", "sandbox/egress.py", "guarded_transport"),
    ("which environment variables shell commands are allowed to see", "sandbox/env.py", "tool_environment"),
    ("take credentials out of the process environment after startup", "secrets/sealed.py", "seal"),
    ("wait while another process is working in the same conversation", "session/lock.py", "session_turn"),
    ("avoid deadlock when several files are written at once", "swarm/pathlocks.py", "PathLocks"),
    ("slow down parallel requests when the provider says we are rate limited", "swarm/limiter.py",
     "SharedLimiter"),
    ("reject regular expressions that could backtrack for exponential time", "rlm/regex_guard.py", "compile_safe"),
    ("guess whether a large text is code, logs or prose from a sample of its lines", "rlm/detect.py",
     "detect_content_type"),
    ("run the project's test and lint commands after an iteration", "ralph/checks.py", "run_checks"),
    ("the last part of the progress log", "ralph/progress.py", "tail"),
    ("translate a tool name from another agent's vocabulary into ours", "tool/support/names.py", "canonical"),
    ("is a shell command harmless because it only reads", "tool/support/shell/readonly.py", "read_only_problem"),
    ("notice the model repeating the same call over and over", "agent/loop_guard.py", "LoopGuard"),
    ("paste a picture from the clipboard", "tui/clipboard.py", "clipboard_image"),
    ("verify the checksums of a binary frame in an AWS event stream", "provider/eventstream.py", "decode_message"),
    ("check whether a process id still exists", "process.py", "alive"),
    ("recognise PNG or JPEG from the first bytes", "images.py", "sniff"),
    ("how long one model request may wait for data before giving up", "config/env.py", "step_timeout"),
    ("unwrap the redirect link around a search result", "tool/support/duckduckgo.py", "target_url"),
    ("load cookies exported from a browser", "secrets/cookies.py", "parse_cookies"),
    ("load a local GGUF model with its layers offloaded to the GPU", "llama.py", "load_llama"),
    ("remember whether the user agreed to send crash reports", "crash/consent.py", "save_choice"),
    ("find the top of the enclosing git repository", "config/project.py", "project_root"),
    ("count added and removed lines of a diff for a short summary", "tui/tool_summary.py", "diff_stat"),
]
# Fresh: written for issue 23's second look, before any of that round's tuning, by someone who had not seen how the
# ranking does on them; spread over the whole package (cli, acp, api, cognition, lsp, mcp, config, sandbox,
# secrets, swarm, ralph, rlm, session, tool, tui, provider). Never tuned on; reported apart from both sets above.
FRESH = [
    ("stop quietly when the program reading our output has gone away", "cli/__init__.py", "reader_gone"),
    ("ask a yes or no question on a plain terminal before doing something risky", "cli/chat_cmd.py",
     "ask_on_terminal"),
    ("sign in to ChatGPT by typing a short code on another device", "cli/auth_codex.py", "device_flow"),
    ("a random secret and its hashed challenge for an OAuth sign-in", "provider/codex_oauth.py", "pkce_pair"),
    ("a model name followed by a colon and how hard it should think", "provider/openai_codex.py", "split_effort"),
    ("the signed token a Google service account trades for access", "provider/google_auth.py", "assertion"),
    ("cut the Gemini web app's length-prefixed response into separate pieces", "provider/gemini_wire.py",
     "split_frames"),
    ("how long a sub-agent waits before trying again, doubling each time with some randomness",
     "swarm/subagent.py", "backoff"),
    ("remove circular dependencies between planned subtasks", "swarm/plan.py", "_break_cycles"),
    ("the longest chain of tasks that each wait for the previous one", "swarm/plan.py", "critical_path"),
    ("pull the JSON out of a model answer inside a markdown code fence", "swarm/decompose.py", "extract_json"),
    ("one combined report with a section for every subtask's outcome", "swarm/result.py", "aggregate"),
    ("find the full conversation id from its first few characters", "session/store.py", "resolve_id"),
    ("tell a full disk apart from other database input/output errors", "session/failure.py", "_nearly_full"),
    ("clone the repository at the commit a recorded conversation started from", "session/replay.py", "checkout"),
    ("choose which user story to work on next", "ralph/prd.py", "next_story"),
    ("keep two runs from working on the same requirements document at once", "ralph/state.py", "run_lock"),
    ("the single line of a failed test run that best explains the failure", "ralph/checks.py", "key_line"),
    ("split a long log into pieces by the minute of its timestamps", "rlm/chunker.py", "_log_units"),
    ("dense text like minified code uses fewer characters per token", "rlm/detect.py", "chars_per_token"),
    ("kill everything a sandboxed command started once the agent that ran it dies", "sandbox/lifeline.py",
     "guarded"),
    ("clean up temporary folders left by agents that were killed", "sandbox/runner.py", "_sweep_orphans"),
    ("the places on disk where the agent keeps its own credentials, hidden from commands", "sandbox/policy.py",
     "secret_paths"),
    ("first start of the managed vault server: save the unseal key, then create the mount and token",
     "secrets/local_vault_setup.py", "initialise"),
    ("overwrite credential values still sitting in the memory of the process's original environment",
     "secrets/sealed.py", "_wipe_initial_block"),
    ("keep other programs of the same user from attaching a debugger or reading our memory", "secrets/sealed.py",
     "_not_dumpable"),
    ("the JSON schema for a Python type annotation of a user-defined tool", "api/tools.py", "_schema"),
    ("read each parameter's description out of a Google style docstring", "api/tools.py", "_parse_docstring"),
    ("say why a message from the editor is not a valid JSON-RPC request", "acp/transport.py", "invalid_request"),
    ("the file names in the header lines of a patch", "acp/toolcalls.py", "_patch_paths"),
    ("join queued streamed text pieces into one update before sending it to the editor", "acp/updates.py",
     "_take"),
    ("a bounded queue that throws away the oldest item when it is full", "cognition/buffers.py", "RingBuffer"),
    ("retire a persona together with all of its children", "cognition/personas.py", "reap"),
    ("count the sentences of a thought to decide how many facts it holds", "cognition/thoughts.py",
     "fact_count"),
    ("which language server program to start for a source file", "lsp/manager.py", "server_for"),
    ("turn a line and column into the editor protocol's UTF-16 position", "tool/lsp.py", "_position"),
    ("when several command rules match, the most specific one decides", "tool/support/permission.py", "_match"),
    ("give replacement text the indentation the file actually uses", "tool/support/textedit.py", "_reindent"),
    ("see through wrappers like env, sudo or sh -c to the program that really runs",
     "tool/support/shell/programs.py", "_unwrap"),
    ("delete background job logs older than a week", "tool/task.py", "_forget_old_logs"),
    ("turn a string argument into a number when the schema asks for one and nothing is lost",
     "tool/support/fit.py", "_convert"),
    ("save a permanent allow rule to the settings file when the user answers always",
     "tool/support/always_allow.py", "remember"),
    ("fold the database's write-ahead log back into it between turns", "tui/app.py", "checkpoint"),
    ("everything in the chat transcript as plain text", "tui/widgets/chat.py", "plain_text"),
    ("convert a setting typed on the command line to the type that key expects", "config/load.py",
     "parse_value"),
    ("a project's own settings may only make the sandbox stricter", "config/project.py", "_sandbox"),
    ("the line number in the settings file where a key was written", "config/source.py", "line"),
    ("which files a finished remote task wrote or edited", "a2a/reporter.py", "changed_paths"),
    ("send the platform's token only to the server it was issued for", "a2a/client.py", "platform_token_for"),
    ("read the external tool servers from the settings, each with the command that starts it",
     "mcp/client.py", "parse_servers"),
]
BLAS_CORES = ["", "Haswell", "Prescott"]  # "": what OpenBLAS picks itself on this CPU


def copy_repo(target: Path) -> Path:
    """The repository's tracked files (as on disk), so a file can be edited without touching the real one; not
    this script, whose questions would answer themselves."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, names.decode().split("\0")):
        source = REPO / name
        if source.is_file() and source != Path(__file__).resolve():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def timed(fn):
    started, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - started, time.process_time() - cpu


def build(root: Path) -> dict[str, float]:
    """A cold build: the first (keyword) answer, then every vector."""
    from codetether.codesearch.index import CodeIndex

    index = CodeIndex.open(root)
    first, first_wall, _ = timed(lambda: (index.refresh(embed_budget=0), index.search("parse the config", 5)))
    stats, wall, cpu = timed(lambda: index.refresh(embed_budget=1e9))
    return {"first_answer_s": first_wall, "embed_s": wall, "embed_cpu_s": cpu, "total_s": first_wall + wall,
            "files": stats.files, "chunks": stats.chunks, "distilled": stats.distilled_tokens,
            "pending": stats.pending_chunks}


def answers(root: Path, questions: list[tuple[str, str, str]]) -> list[tuple[str, int, int]]:
    """(path, start, end) of each question's answer, found by name in the chunker's view of the file."""
    from codetether.codesearch.chunker import chunk_file

    out = []
    for _, rel, name in questions:
        path = f"src/codetether/{rel}"
        chunk = next((c for c in chunk_file(path, (root / path).read_bytes()) if c.name == name), None)
        if chunk is None:
            raise SystemExit(f"the answer to a bench question moved: {name} is no longer in {path}; update it")
        out.append((path, chunk.start, chunk.end))
    return out


def hits(rankings: list[list[tuple[str, int, int]]], truth: list[tuple[str, int, int]], k: int = 5) -> list[bool]:
    """Per question: a top-k chunk in the answer's file contains the answer's first line."""
    return [any(p == path and s <= start <= e for p, s, e in ranked[:k])
            for ranked, (path, start, _) in zip(rankings, truth)]


TOOL = "the tool's ranking now: static embeddings + BM25, best 30 re-ranked by the transformer"
BEFORE = "MiniLM transformer over every chunk + BM25 (the tool's ranking before)"


def quality(root: Path, minilm: bool) -> tuple[dict[str, list[bool]], dict[str, float]]:
    """Per ranking, which questions (QUESTIONS, HELD_OUT, then FRESH) have their answer in the top 5; and the
    MiniLM cost over every chunk (when measured)."""
    import numpy as np

    from codetether.codesearch import index as ix
    from codetether.codesearch.bm25 import BM25, tokenize
    from codetether.codesearch.static import StaticEncoder

    questions = QUESTIONS + HELD_OUT + FRESH
    index = ix.CodeIndex.open(root)
    entries = [(rel, c, i) for rel, f in sorted(index.files.items()) for i, c in enumerate(f.chunks)]
    where = [(rel, c["start"], c["end"]) for rel, c, _ in entries]
    bm25 = BM25(c["tokens"] for _, c, _ in entries)
    truth = answers(root, questions)

    def bm25_rank(q: str) -> list[int]:
        scores = bm25.scores(tokenize(q))
        return sorted(scores, key=lambda n: -scores[n])

    def dense_rank(matrix, encode):
        return lambda q: [int(n) for n in np.argsort(-(matrix @ encode(q)), kind="stable")]

    def fused(dense, dense_weight: float = 1.0):
        def rank(q: str) -> list[int]:
            score: dict[int, float] = {}
            for order, weight in ((bm25_rank(q), 1.0), (dense(q)[:200], dense_weight)):
                for r, n in enumerate(order, 1):
                    score[n] = score.get(n, 0.0) + weight / (ix.RRF_K + r)
            return sorted(score, key=lambda n: (-score[n], n))
        return rank

    def rate(rank) -> list[bool]:
        return hits([[where[n] for n in rank(q)[:5]] for q, _, _ in questions], truth)

    static = np.stack([index.files[rel].vectors[i] for rel, _, i in entries])
    encoder = StaticEncoder(index.weights)
    static_rank = dense_rank(static, lambda q: encoder.encode([q])[0])
    tool = [[(h.path, h.start, h.end) for h in index.search(q, 5)] for q, _, _ in questions]
    scores = {"BM25 alone": rate(bm25_rank), "static embeddings alone": rate(static_rank),
              "static embeddings + BM25 (the first stage, not re-ranked)": rate(fused(static_rank, ix.STATIC_WEIGHT)),
              TOOL: hits(tool, truth)}
    cost: dict[str, float] = {}
    if minilm:
        from codetether.codesearch.embed import get_embedder

        embedder = get_embedder()
        texts = []
        for rel, f in sorted(index.files.items()):
            texts += index._texts(f, rel) if f.texts is None else f.texts
        matrix, wall, cpu = timed(lambda: embedder.embed(texts))
        minilm_rank = dense_rank(matrix, lambda q: embedder.embed([q])[0])
        scores["MiniLM transformer over every chunk alone"] = rate(minilm_rank)
        scores[BEFORE] = rate(fused(minilm_rank))
        cost = {"minilm_wall_s": wall, "minilm_cpu_s": cpu, "chunks": len(texts)}
    return scores, cost


def verdict(now: list[bool], before: list[bool], fresh_from: int) -> str:
    """Whether the tool's ranking is as good as before: on the fresh questions (nobody tuned on them) and overall."""
    fresh_now, fresh_before = sum(now[fresh_from:]), sum(before[fresh_from:])
    met = fresh_now >= fresh_before and sum(now) >= sum(before)
    return (f"recall@5, the tool now against before: fresh {fresh_now} vs {fresh_before}, all {len(now)} questions "
            f"{sum(now)} vs {sum(before)}: as good or better on both: " + ("met" if met else "NOT met"))


def share(found: list[bool]) -> str:
    return f"{sum(found) / len(found):.3f} ({sum(found)}/{len(found)})"


def blas_probe() -> dict[str, float]:
    """In this process (its environment decides OpenBLAS's kernel): ms per chunk of the numpy MiniLM encoder and
    ms per distilled token, on this repository's chunk texts."""
    import numpy as np

    from codetether.codesearch.embed import get_embedder
    from codetether.codesearch.static import distill

    embedder = get_embedder()
    texts = [f"function handler_{i} (src/app.py)\n" + "def handler(request):\n    return parse(request.body)\n" * 8
             for i in range(32)]
    embedder.embed(texts[:4])
    _, wall, _ = timed(lambda: embedder.embed(texts))
    _, dwall, _ = timed(lambda: distill(embedder, np.arange(2000, 2512)))
    kernel = "?"
    try:
        from threadpoolctl import threadpool_info

        kernel = next((i.get("architecture") or "?") for i in threadpool_info() if i.get("user_api") == "blas")
    except (ImportError, StopIteration):
        pass
    return {"chunk_ms": wall / len(texts) * 1000, "token_ms": dwall / 512 * 1000, "kernel": kernel}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-minilm", action="store_true", help="skip the transformer baseline (minutes)")
    parser.add_argument("--blas-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.blas_probe:
        print(json.dumps(blas_probe()))
        return 0
    work = Path(tempfile.mkdtemp(prefix="codesearch-bench-"))
    try:
        return run(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, args: argparse.Namespace) -> int:
    from codetether.codesearch.embed import unavailable_reason

    if unavailable_reason():
        print(f"codesearch bench needs the embedding model: {unavailable_reason()}")
        return 1
    root = copy_repo(work / "repo")
    os.environ["XDG_CACHE_HOME"] = str(work / "cache")  # no token table yet: the first build distils it
    os.environ["CODETETHER_DATA_DIR"] = str(work / "data1")
    first = build(root)
    os.environ["CODETETHER_DATA_DIR"] = str(work / "data2")  # a second project: the token table is cached
    warm = build(root)
    from codetether.codesearch.index import CodeIndex

    _, nothing_s, _ = timed(lambda: CodeIndex.open(root).refresh())
    target = root / "src/codetether/tool/support/fsutil.py"
    target.write_text(target.read_text() + "\n\ndef shout(text):\n    return text.upper()\n")
    one, one_s, _ = timed(lambda: CodeIndex.open(root).refresh())
    index = CodeIndex.open(root)
    latencies = [timed(lambda q=q: index.search(q, 10))[1] * 1000 for q, _, _ in QUESTIONS + HELD_OUT + FRESH]
    scores, cost = quality(root, not args.no_minilm)
    probes = {}
    for core in BLAS_CORES:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
        if core:
            env["OPENBLAS_CORETYPE"] = core
        out = subprocess.run([sys.executable, __file__, "--blas-probe"], env=env, capture_output=True, text=True)
        probes[core or "unset"] = json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else {}

    rows = [("files / chunks", f"{first['files']} / {first['chunks']}"),
            ("first answer (keywords) on a cold index", f"{first['first_answer_s']:.2f} s"),
            (f"cold build, first ever (incl. distilling {first['distilled']:,} tokens once per machine)",
             f"{first['total_s']:.1f} s (embedding CPU {first['embed_cpu_s']:.1f} s)"),
            ("cold build, token table cached (a second project)", f"{warm['total_s']:.2f} s"),
            ("open + refresh, nothing changed", f"{nothing_s * 1000:.0f} ms"),
            ("refresh after one file gained a function (embedded / reused chunks)",
             f"{one_s * 1000:.0f} ms ({one.embedded_chunks} / {one.reused_chunks})"),
            (f"query latency, median / max of {len(latencies)}",
             f"{statistics.median(latencies):.1f} / {max(latencies):.1f} ms")]
    if cost:
        per_chunk = cost["minilm_wall_s"] / cost["chunks"] * 1000
        rows.append(("before: MiniLM transformer over every chunk (numpy, this run)",
                     f"{cost['minilm_wall_s']:.1f} s ({per_chunk:.1f} ms/chunk, CPU {cost['minilm_cpu_s']:.1f} s)"))
    print(f"\ncodesearch on a copy of {REPO.name}\n")
    _table(["measure", "value"], rows)
    tuned, held = len(QUESTIONS), len(HELD_OUT)
    print(f"\nrecall@5 over questions about this repository: {tuned} the ranking was tuned on, {held} held out "
          f"(written before the first tuning), {len(FRESH)} fresh (written before the second), all together\n")
    _table(["ranking", f"tuned-on {tuned}", f"held-out {held}", f"fresh {len(FRESH)}", f"all {len(scores[TOOL])}"],
           [(name, share(found[:tuned]), share(found[tuned:tuned + held]), share(found[tuned + held:]), share(found))
            for name, found in scores.items()])
    if BEFORE in scores:
        print("\n" + verdict(scores[TOOL], scores[BEFORE], tuned + held))
    print("\nOPENBLAS_CORETYPE and the numpy encoder (32 chunks of ~130 tokens; 512 single-token passes)\n")
    _table(["OPENBLAS_CORETYPE", "kernel", "MiniLM ms/chunk", "distil ms/token"],
           [(core, p.get("kernel", "?"), f"{p.get('chunk_ms', float('nan')):.1f}",
             f"{p.get('token_ms', float('nan')):.2f}") for core, p in probes.items()])
    emit("codesearch cold build, token table cached (s)", [warm["total_s"]], "s", key="codesearch_cold_s")
    emit("codesearch cold build, first ever (s)", [first["total_s"]], "s", key="codesearch_first_s")
    return 0


def _table(header: list[str], rows: list[tuple]) -> None:
    print("| " + " | ".join(header) + " |\n|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


if __name__ == "__main__":
    raise SystemExit(main())
