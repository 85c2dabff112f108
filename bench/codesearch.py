#!/usr/bin/env python3
"""codesearch on a copy of this repository: cold build (first ever, then with the token table cached), time to
the first keyword answer, no-change and one-file refreshes, query latency, and retrieval quality: recall@5 over
questions with known answers (five sets, each written before a round of tuning: the first three have been tuned
on, the two blind sets never), for BM25 alone, the static embeddings (alone and in the first stage), the tool's ranking
(the first stage's best re-ranked by the transformer) and the MiniLM transformer over every chunk the index used
before (alone and fused with BM25). Also what
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
# secrets, swarm, ralph, rlm, session, tool, tui, provider). Not tuned on in the second look; the third look tuned
# on it with the two sets above, so the blind set below is what judges that round.
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
# Blind: written for issue 23's third look by a helper who never saw the code-search code, its results or this
# file's rankings, before that round's tuning; the ranking was frozen before it was first scored, and kept as it
# was then. Never tuned on.
BLIND = [
    # a2a (incl. a2a/worker)
    ("When a client sends a follow-up that names only a task id and no conversation id, where do we look up "
     "which conversation that task belongs to?", "a2a/handler.py", "_infer_context"),
    ("How does the platform worker pick a fast, balanced or heavy model class when a job only says it is quick "
     "or deep?", "a2a/worker/tiers.py", "routing"),
    ("Where does a platform identifier written like anthropic:claude-x get rewritten into the provider/name "
     "form, leaving ones that already have a slash alone?", "a2a/worker/tasks.py", "translate_model"),
    # acp
    ("Reading one newline-terminated JSON-RPC message from the editor's stdin even when it is longer than the "
     "stream buffer allows", "acp/transport.py", "_read_line"),
    ("Turn a file:// URI the editor sent in a prompt resource into a plain filesystem path", "acp/content.py",
     "_where"),
    ("How do we tell the editor during the handshake whether it may attach pictures to prompts, without "
     "touching the credential store?", "acp/server.py", "_default_takes_images"),
    # api
    ("In the embeddable Python library, how does passing True, False or a callback for risky tool calls become "
     "the permission-prompt settings?", "api/approval.py", "approvals_for"),
    ("Library API: iterate over events live while the agent works on one prompt, cancelling the run if the "
     "caller breaks out of the async for loop", "api/agent.py", "stream"),
    # cli
    ("On the command line, when the user's question comes after the input files and the -f option swallows it, "
     "where is it pulled back out as the query?", "cli/rlm_cmd.py", "_question_after_files"),
    ("Diagnostic switch that makes asyncio log every callback that held the event loop longer than a given "
     "number of milliseconds", "cli/dispatch.py", "_report_slow_callbacks"),
    ("Validate the number of seconds to wait between polls during the ChatGPT device sign-in, defaulting to "
     "five and rejecting nonsense", "cli/auth_codex.py", "_interval"),
    # agent
    ("When summarising an old conversation, how do we choose how many recent messages stay word for word, "
     "without starting on a tool output whose call would be dropped?", "agent/compaction.py", "tail_start"),
    ("After the model API rejects a request as too long, how do we lower our idea of the model's window, "
     "correcting for our token estimate being off?", "agent/overflow_recovery.py", "learn_limit"),
    ("Find which tool invocations in the latest assistant reply still have no output recorded after them",
     "agent/repair.py", "unanswered_calls"),
    # cognition
    ("Per-client event-stream queue that throws away the oldest items when a slow listener falls behind and "
     "counts how many it lost", "cognition/buffers.py", "Subscriber"),
    ("What does a persona produce when no language model is available to think with, as a reproducible "
     "template?", "cognition/thoughts.py", "fallback_text"),
    # config
    ("Break a dotted settings key into its pieces while respecting quoted segments that themselves contain "
     "dots", "config/source.py", "_parts"),
    ("When a repository's own settings file sets allow/ask/deny rules, where do we make sure it can only "
     "tighten, never loosen, what the user chose?", "config/project.py", "_permission"),
    # crash
    ("Hide the values of password- or key-like command-line flags before the command line goes into a bug "
     "report", "crash/report.py", "scrub_argv"),
    ("Send the queued crash reports to the collector oldest first, deleting the ones accepted or unreadable, "
     "and keep the rest if the endpoint is down", "crash/upload.py", "upload_pending"),
    # lsp
    ("Which executable provides code intelligence for .py files by default, and how is it located (beside the "
     "running interpreter first)?", "lsp/manager.py", "python_server"),
    ("Forcefully end a language server's whole process group synchronously when the event loop is gone, e.g. "
     "at interpreter exit", "lsp/client.py", "kill"),
    # mcp
    ("Open links to every external tool server named in the settings file, without importing the protocol "
     "library when none are listed", "mcp/client.py", "connect_configured"),
    ("Expose our built-in tools to other programs over stdio, applying the permission rules and scrubbing "
     "secrets from results", "mcp/server.py", "build_server"),
    # provider
    ("Read how long an API told us to back off from a response header that may hold either seconds or an HTTP "
     "date", "provider/client.py", "_retry_after"),
    ("How do we remember which GitHub token a cached Copilot session token was traded for, without storing "
     "that token a second time?", "provider/copilot.py", "_fingerprint"),
    ("Derive a stable per-conversation identifier from the model and the first user message so the ChatGPT "
     "backend can reuse already-processed prompt prefixes", "provider/openai_codex.py", "cache_key"),
    # ralph
    ("If the coding agent edits the requirements file holding the story list during an iteration, where does "
     "the loop put its own version back?", "ralph/loop.py", "_keep_prd"),
    ("Report stories that depend on ids that don't exist or that depend on each other in a circle",
     "ralph/prd.py", "_dependency_problems"),
    # rlm
    ("Walk a parsed regular expression and refuse shapes that can take exponential time, like a quantifier "
     "inside a quantifier, alternation under a star, or backreferences", "rlm/regex_guard.py", "_check"),
    ("Break a long range of lines into pieces under a character limit, preferring to cut at an empty line near "
     "the end of each piece", "rlm/chunker.py", "_split"),
    # router
    ("Read the environment variables that switch on the small local model which normalises tool calls, and "
     "validate its backend, device and endpoint", "router/config.py", "router_config"),
    # sandbox
    ("On older kernels without openat2, how do we open a path inside a directory one component at a time, "
     "refusing any symlink or '..'?", "sandbox/beneath.py", "_walk_nofollow"),
    ("Why can't a sandboxed command talk to ssh-agent, tmux, D-Bus or Docker? Where are the runtime socket "
     "directories covered with empty mounts?", "sandbox/bwrap.py", "_no_sockets"),
    ("Tell the user that a web request's host resolves to a local or internal network address, for the "
     "approval question", "sandbox/egress.py", "private_target"),
    # secrets
    ("Write a credentials file that only its owner can read from the very first byte, swapped in atomically",
     "secrets/local_vault.py", "write_secret_file"),
    ("Mint a one-time administrator token for the bundled OpenBao server from the unseal key, XOR-ing the "
     "encoded result with a one-time pad", "secrets/local_vault_setup.py", "_generate_root"),
    # server
    ("Reject request JSON that is nested too many levels deep, checked level by level instead of with "
     "recursion", "server/guard.py", "_too_deep"),
    ("Refuse to listen on a non-local interface unless a long enough bearer secret is set in the environment",
     "server/auth.py", "server_token"),
    # session
    ("Produce a random version-4 UUID by hand to avoid the startup cost of importing the standard uuid module",
     "session/store.py", "new_session_id"),
    ("If another process (say a one-shot run next to the terminal UI) added turns to the same conversation, "
     "where do we reload the history before our next turn?", "session/turn.py", "_catch_up"),
    # swarm
    ("Make a Kubernetes-safe lowercase name from arbitrary text, shortening long ones with a hash suffix",
     "swarm/k8s/podspec.py", "dns_label"),
    ("Compute which wave each subtask runs in: one after its deepest prerequisite, zero with none",
     "swarm/plan.py", "assign_stages"),
    ("Check whether parallel sub-agents can get their own checkouts here: git installed, inside a repository, "
     "at least one commit", "swarm/worktree.py", "git_unusable"),
    # tool (incl. tool/support)
    ("When a foreground shell command from the agent runs past its time limit, how is its whole process tree "
     "ended: a polite signal first, then a hard kill after a short grace?", "tool/bash.py", "_kill_group"),
    ("The model sometimes wraps a tool's arguments inside another {name, arguments} object; where do we peel "
     "that extra layer off?", "tool/support/fit.py", "_unwrap_envelope"),
    ("Work out the indentation unit of a code block from the smallest difference between distinct "
     "leading-whitespace widths", "tool/support/textedit.py", "_step"),
    # tui
    ("Order the file suggestions for an @ reference: file-name prefix first, then path prefix, then substring "
     "anywhere, ignoring case", "tui/widgets/mentions.py", "rank"),
    ("Where does the terminal UI run a full garbage collection and freeze the surviving objects between turns "
     "so streaming does not stutter?", "tui/app.py", "settle_heap"),
    ("In the terminal UI, pressing Ctrl+C once stops the current answer and a second press exits: where is "
     "that handled?", "tui/app.py", "action_ctrl_c"),
]

# Blind 2: written like BLIND by another helper blind to the ranking, after the third look's ranking was frozen
# (DENSE_DEPTH aside, which changes nothing at the limit of 5 used here); scored first by the run that judged it.
BLIND2 = [
    # top-level modules
    ("in the forgiving JSON reader, how does a \\u sequence of four hexadecimal digits become a character, and how are surrogate pairs joined", "lenient_json.py", "hex_escape"),
    ("get what was fed into the program through | or < redirection, but nothing when input is an interactive terminal", "attachments.py", "piped_stdin"),
    ("run a handful of read-only git invocations in parallel and collect each trimmed output, None for the ones that failed", "gitinfo.py", "git_lines"),
    ("find picture files a user's message refers to, including @name, file:// URLs and paths starting with a tilde", "images.py", "images_in_text"),
    ("raise a configuration error with install instructions when the local GGUF inference package cannot be imported", "llama.py", "require_llama_cpp"),
    ("base exception whose message is shown to the person verbatim, with an optional hint line and exit status 1", "errors.py", "CodetetherError"),
    # tool
    ("when a snippet to replace in a file doesn't match exactly, retry line by line ignoring indentation and re-indent the new code to fit", "tool/support/textedit.py", "_tolerant"),
    ("convert a gitignore-style wildcard pattern with ** and [character classes] into a regular expression", "tool/support/ignore.py", "glob_to_regex"),
    ("which commands would `find ... -exec CMD {} ;` actually launch, so the permission check can see them", "tool/support/shell/programs.py", "_find_actions"),
    ("stop a background shell job: signal its process group politely, wait a little, then force-kill whatever remains", "tool/task.py", "cancel"),
    # provider
    ("how long to sleep before retrying a model API request: honour the server's Retry-After up to a cap, else exponential backoff with jitter", "provider/client.py", "_delay"),
    ("while streaming a reply, hold back the end of the text when it could be the beginning of a tool-call tag", "provider/text_tools.py", "_partial_marker_start"),
    ("pick up a ChatGPT sign-in access token that another process already refreshed and saved in Vault instead of refreshing again", "provider/codex_auth.py", "_adopt"),
    ("decode the binary header section of an AWS event-stream frame (strings, byte arrays and fixed-size values)", "provider/eventstream.py", "parse_headers"),
    # swarm
    ("fast-forward the user's checkout to the branch where all the parallel workers' changes were merged, keeping that branch if it can't", "swarm/worktree.py", "publish"),
    ("keep re-launching one child agent of a multi-worker job, waiting longer with some randomness between tries, until it finishes", "swarm/subagent.py", "run_subagent"),
    ("on-disk store of finished subtask outputs keyed by a hash of instruction, model and workspace, expiring after a time limit", "swarm/cache.py", "ResultCache"),
    # agent
    ("shorten long tool output at a newline boundary and append a note saying how many characters were cut", "agent/context.py", "truncate_text"),
    ("reuse a per-project computed value for a short while and let simultaneous callers share one pending computation", "agent/kit.py", "_fresh"),
    ("rewrite Kimi's special function-call tokens into the standard JSON tool-call tag format", "agent/text_calls.py", "_kimi_as_blocks"),
    # a2a
    ("in the custom asyncio queue, if a blocked getter is cancelled just after being woken, pass the wake-up on to the next blocked one", "a2a/queues.py", "_wait_turn"),
    ("worker gets Ctrl+C or SIGTERM: the first signal drains in-flight jobs within a grace period, the second aborts them", "a2a/worker/worker.py", "request_stop"),
    ("given a level like fast or balanced and the providers the worker has keys for, which provider/model string to use", "a2a/worker/tiers.py", "tier_model"),
    # acp
    ("for the editor protocol, make sure stray prints from the process or its children never corrupt the JSON messages on standard output", "acp/transport.py", "stdio_transport"),
    ("which absolute file paths (and line numbers) a tool call touches, so the editor can jump there", "acp/toolcalls.py", "locations"),
    ("add the external tool servers the editor supplies to the loaded settings, skipping ones that aren't launched as a command", "acp/server.py", "with_mcp_servers"),
    # cli
    ("convert pasted browser cookies (a JSON export or name=value; pairs) into Netscape cookie-jar format entries", "cli/auth_cookies.py", "_cookie_lines"),
    ("from the files passed with -f on the command line, which are pictures and which get attached as plain text", "cli/run_cmd.py", "split_images"),
    # sandbox
    ("create nested folders inside the workspace so that no level can be redirected outside it through a symlink", "sandbox/beneath.py", "makedirs"),
    ("mask credential files and folders inside the bubblewrap jail by mounting an empty tmpfs or /dev/null over them", "sandbox/bwrap.py", "_hide"),
    ("turn a list of labelled instructions into raw classic BPF bytes with forward jump offsets for the syscall filter", "sandbox/seccomp.py", "_assemble"),
    # session
    ("upgrade an older SQLite conversation database by adding a column newer versions expect", "session/store.py", "_migrate"),
    ("describe which process currently owns the session lock file, like 'pid 1234 (codetether tui)'", "session/lock.py", "_holder"),
    ("when re-running a recorded conversation, rebuild the project folder as it was at the start, from a commit checkout or a copy", "session/replay.py", "prepare_workspace"),
    # secrets
    ("locate the OpenBao or HashiCorp Vault executable to launch the locally managed credential store", "secrets/local_vault.py", "find_server_binary"),
    ("ask the local OpenBao instance whether it is active, standby, sealed or uninitialised via its status endpoint", "secrets/local_vault_setup.py", "health"),
    # tui
    ("let the user send a message that starts with a literal slash by typing two slashes", "tui/slash.py", "as_prompt"),
    ("find the @word being typed just before the cursor in the input box, for file autocompletion", "tui/widgets/prompt.py", "_typed_mention"),
    ("expand every tool call's details in the chat if any are folded, otherwise fold them all", "tui/widgets/chat.py", "toggle_tools"),
    # config
    ("save the user's settings file atomically so a crash or a full disk leaves the previous version intact", "config/load.py", "_replace"),
    ("read a numeric environment variable with a default, rejecting NaN, infinity and non-positive values", "config/env.py", "env_number"),
    ("apply a repository's own settings file on top of the user's, ignoring keys a project isn't allowed to change", "config/project.py", "merge_project"),
    # ralph
    ("is another autonomous PRD run in progress right now, and which process id holds it", "ralph/state.py", "running_pid"),
    ("stage every change and make a commit, using a fallback author identity if git has none configured; return the short hash", "ralph/git.py", "commit_all"),
    # rlm
    ("group adjacent code units into pieces under a token budget, splitting a unit that is too big on its own", "rlm/chunker.py", "_pack"),
    ("decide whether a single line looks like a chat transcript, log output, source code or prose", "rlm/detect.py", "classify_line"),
    # api
    ("parse one parameter description from a Google-style docstring Args section, with an optional type in parentheses", "api/tools.py", "_arg_entry"),
    ("keep the embedded agent-to-agent HTTP endpoint running until the program is interrupted, then shut it down", "api/a2a.py", "serve_forever"),
    # cognition
    ("compact one event's payload into short JSON, cut off with an ellipsis, to give the thinking model context", "cognition/thinker.py", "excerpt"),
    ("which stage of the four-step cycle a persona's nth thought belongs to", "cognition/thoughts.py", "phase_of"),
    # crash
    ("save a crash record into the outgoing folder and delete older ones so only a few are kept", "crash/report.py", "queue_report"),
    ("get or create the anonymous per-machine identifier sent along with error telemetry", "crash/upload.py", "install_id"),
    # lsp
    ("when an agent shuts down, schedule language servers nobody else uses to stop after a quiet period", "lsp/manager.py", "release"),
    ("politely end a language server process with shutdown then exit messages, killing it if it hangs around", "lsp/client.py", "close"),
    # mcp
    ("expose a function from an external model-context-protocol server as a local tool named mcp__server__name", "mcp/client.py", "_wrap"),
    ("which built-in tools are offered when this agent itself acts as an MCP server over stdio", "mcp/server.py", "served_tools"),
    # router
    ("build the raw text with start_of_turn markers that is fed to the small local function-calling model", "router/prompt.py", "gemma_prompt"),
    ("when the model answers in prose instead of calling a tool, have a secondary model convert it into structured calls without ever failing the turn", "router/__init__.py", "normalize"),
    # server
    ("accept an incoming HTTP request's payload but give up as soon as it grows past a size limit", "server/guard.py", "_read_body"),
    ("extract the name from the Host header safely, refusing userinfo or paths that could fake a loopback address", "server/guard.py", "_hostname"),
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


TOOL = "the tool's ranking now: the first stage's best 30 re-ranked by the transformer"
BEFORE = "MiniLM transformer over every chunk + BM25 (the tool's ranking before)"
SETS = [("tuned-on", QUESTIONS), ("held-out", HELD_OUT), ("fresh", FRESH), ("blind", BLIND), ("blind-2", BLIND2)]
NEVER_TUNED = ("blind", "blind-2")  # the sets the verdict is about; the others have been tuned on


def quality(root: Path, minilm: bool) -> tuple[dict[str, list[bool]], dict[str, float]]:
    """Per ranking, which questions (the SETS in order) have their answer in the top 5; and the MiniLM cost over
    every chunk (when measured)."""
    import numpy as np

    from codetether.codesearch import index as ix
    from codetether.codesearch.bm25 import BM25, tokenize
    from codetether.codesearch.dense import build_view
    from codetether.codesearch.rerank import read_query
    from codetether.codesearch.static import StaticEncoder

    questions = [q for _, qs in SETS for q in qs]
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

    def fused(*denses: tuple):
        def rank(q: str) -> list[int]:
            score: dict[int, float] = {}
            for order, weight in ((bm25_rank(q), 1.0), *((dense(q)[:200], w) for dense, w in denses)):
                for r, n in enumerate(order, 1):
                    score[n] = score.get(n, 0.0) + weight / (ix.RRF_K + r)
            return sorted(score, key=lambda n: (-score[n], n))
        return rank

    def rate(rank) -> list[bool]:
        return hits([[where[n] for n in rank(q)[:5]] for q, _, _ in questions], truth)

    view = build_view(np.stack([index.files[rel].vectors[i] for rel, _, i in entries]))
    encoder = StaticEncoder(index.weights)
    static_rank = dense_rank(view.matrix, lambda q: view.project(encoder.encode([q])[0]))
    read_rank = dense_rank(view.matrix, lambda q: view.project(read_query(q)))
    tool = [[(h.path, h.start, h.end) for h in index.search(q, 5)] for q, _, _ in questions]
    scores = {"BM25 alone": rate(bm25_rank), "static embeddings alone": rate(static_rank),
              "the first stage: BM25 + static embeddings (query read as tokens and by the transformer)":
                  rate(fused((static_rank, ix.STATIC_WEIGHT), (read_rank, ix.MODEL_QUERY_WEIGHT))),
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
        scores[BEFORE] = rate(fused((minilm_rank, 1.0)))
        cost = {"minilm_wall_s": wall, "minilm_cpu_s": cpu, "chunks": len(texts)}
    return scores, cost


def split(found: list[bool]) -> list[list[bool]]:
    """`found` cut into the SETS."""
    out, start = [], 0
    for _, qs in SETS:
        out.append(found[start:start + len(qs)])
        start += len(qs)
    return out


def verdict(now: list[bool], before: list[bool]) -> str:
    """Whether the tool's ranking is as good as before on the questions never tuned on and on all of them."""
    pairs = [(name, sum(a), sum(b)) for (name, _), a, b in zip(SETS, split(now), split(before))]
    untuned_now = sum(a for name, a, _ in pairs if name in NEVER_TUNED)
    untuned_before = sum(b for name, _, b in pairs if name in NEVER_TUNED)
    met = untuned_now >= untuned_before and sum(now) >= sum(before)
    return ("recall@5, the tool now against before: " + ", ".join(f"{n} {a} vs {b}" for n, a, b in pairs)
            + f"; never tuned on ({' + '.join(NEVER_TUNED)}) {untuned_now} vs {untuned_before}, all {len(now)} "
            + f"questions {sum(now)} vs {sum(before)}: as good or better on both: " + ("met" if met else "NOT met"))


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
    latencies = [timed(lambda q=q: index.search(q, 10))[1] * 1000 for _, qs in SETS for q, _, _ in qs]
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
    print("\nrecall@5 over questions about this repository, by set (see SETS: the blind sets were never tuned on), "
          "and all together\n")
    _table(["ranking", *(f"{name} {len(qs)}" for name, qs in SETS), f"all {len(scores[TOOL])}"],
           [(name, *(share(part) for part in split(found)), share(found)) for name, found in scores.items()])
    if BEFORE in scores:
        print("\n" + verdict(scores[TOOL], scores[BEFORE]))
    print("\nOPENBLAS_CORETYPE and the numpy encoder (32 chunks of ~130 tokens; 512 single-token passes)\n")
    _table(["OPENBLAS_CORETYPE", "kernel", "MiniLM ms/chunk", "distil ms/token"],
           [(core, p.get("kernel", "?"), f"{p.get('chunk_ms', float('nan')):.1f}",
             f"{p.get('token_ms', float('nan')):.2f}") for core, p in probes.items()])
    emit("codesearch cold build, token table cached (s)", [warm["total_s"]], "s", key="codesearch_cold_s")
    emit("codesearch cold build, first ever (s)", [first["total_s"]], "s", key="codesearch_first_s")
    if cost:
        emit("codesearch: MiniLM over every chunk / first-ever build (x)", [cost["minilm_wall_s"] / first["total_s"]],
             "x", 10.0, higher_is_better=True, key="codesearch_speedup")
        untuned = [q for name, found in zip(SETS, split(scores[TOOL])) if name[0] in NEVER_TUNED for q in found]
        before = [q for name, found in zip(SETS, split(scores[BEFORE])) if name[0] in NEVER_TUNED for q in found]
        emit("codesearch recall@5, never-tuned questions (found)", [sum(untuned)], "found", float(sum(before)),
             higher_is_better=True, key="codesearch_recall")
    return 0


def _table(header: list[str], rows: list[tuple]) -> None:
    print("| " + " | ".join(header) + " |\n|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


if __name__ == "__main__":
    raise SystemExit(main())
