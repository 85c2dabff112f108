"""The argparse definition of every command and flag."""

from __future__ import annotations

import argparse

from codetether import __version__
from codetether.cli.commands import COMMANDS, DESCRIPTION
from codetether.cli.sandbox_flags import add_sandbox_flags
from codetether.cli.worker_args import add_root_worker_flags, add_worker_arguments

SUMMARY = dict(COMMANDS)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The whole CLI; when argv starts with a command, only that command's flags are defined (the rest stay
    names), which spares every start the cost of defining a few hundred arguments it will not parse."""
    parser = argparse.ArgumentParser(prog="codetether", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"codetether {__version__}")
    add_root_worker_flags(parser)
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    only = argv[0] if argv and argv[0] in BUILDERS else None
    for name, build in BUILDERS.items():
        command = sub.add_parser(name, help=SUMMARY[name], description=SUMMARY[name])
        if only in (None, name):
            build(command)
    if only is None and argv and argv[0] in HIDDEN:  # entrypoints for machines, absent from every listing
        HIDDEN[argv[0]](sub.add_parser(argv[0]))
    return parser


def _run_parser(run: argparse.ArgumentParser) -> None:
    run.add_argument("message", nargs="+", help="the prompt; - reads it from standard input (piped text is "
                     "otherwise sent along with it)")
    _model_flags(run)
    run.add_argument("--format", choices=("default", "json", "jsonl"), default="default",
                     help="default: streamed text; json: one result object; jsonl: one event per line")
    run.add_argument("-f", "--file", action="append", default=[], metavar="PATH",
                     help="attach a file's contents to the message, or an image (PNG, JPEG, GIF, WebP) for "
                          "models that see images (repeatable)")


def _tui_parser(tui: argparse.ArgumentParser) -> None:
    tui.add_argument("project", nargs="?", help="the project directory to open (default: the current one)")
    _model_flags(tui, default_agent="build")


def _chat_parser(chat: argparse.ArgumentParser) -> None:
    _model_flags(chat, default_agent="build")


def _config_parser(config: argparse.ArgumentParser) -> None:
    group = config.add_mutually_exclusive_group()
    group.add_argument("--show", action="store_true", help="print the effective configuration")
    group.add_argument("--init", action="store_true", help="write a default config file if none exists")
    group.add_argument("--set", metavar="KEY=VALUE", help="set one key, e.g. default.model=openai/gpt-4o")
    group.add_argument("--path", action="store_true", help="print the config file's path")


def _tools_parser(tools: argparse.ArgumentParser) -> None:
    tools_list = tools.add_subparsers(dest="tools_command", metavar="<action>", required=True).add_parser(
        "list", help="every tool with its description, parameter schema and the agents that may use it")
    tools_list.add_argument("--json", action="store_true", help="print a JSON array")


def _mcp_parser(mcp: argparse.ArgumentParser) -> None:
    serve = mcp.add_subparsers(dest="mcp_command", metavar="<action>", required=True).add_parser(
        "serve", help="serve the tools (all but question, batch, plan_enter/plan_exit) over stdio JSON-RPC")
    serve.add_argument("project", nargs="?", help="the project directory tools work in (default: the current one)")


def _models_parser(models: argparse.ArgumentParser) -> None:
    models.add_argument("-p", "--provider", help="only this provider (e.g. bedrock, github-copilot)")
    models.add_argument("--json", action="store_true", help="print a JSON array of providers with their models")
    models.add_argument("--refresh", action="store_true", help="also ask each provider with a key for its live list")


def _auth_parser(auth: argparse.ArgumentParser) -> None:
    auth_providers = auth.add_subparsers(dest="auth_command", metavar="<provider>", required=True)
    login = auth_providers.add_parser(
        "login", help="store a provider's API key (asked for without echo) in Vault, or in the local vault")
    login.add_argument("provider", help="provider id, e.g. openai, anthropic, openrouter, or a name of your own")
    login.add_argument("--base-url", metavar="URL", help="the endpoint (an OpenAI-compatible one for a new name)")
    login.add_argument("--key-stdin", action="store_true", help="read the key from standard input")
    copilot = auth_providers.add_parser(
        "copilot", help="GitHub OAuth device flow; the GitHub token goes to Vault for the github-copilot provider")
    copilot.add_argument("--enterprise-url", help="GitHub Enterprise domain (stores github-copilot-enterprise)")
    copilot.add_argument("--client-id", help="OAuth app client id (default: env CODETETHER_COPILOT_OAUTH_CLIENT_ID)")
    codex = auth_providers.add_parser(
        "codex", help="ChatGPT OAuth (PKCE, redirect http://localhost:1455/auth/callback); tokens go to Vault "
                      "for the openai-codex provider")
    codex.add_argument("--device-code", action="store_true",
                       help="sign in with a one-time code instead (for machines without a browser)")
    cookies = auth_providers.add_parser(
        "cookies", help="import a browser cookie export (Netscape cookies.txt) into Vault, e.g. for gemini-web")
    cookies.add_argument("--provider", default="gemini-web", help="the provider secret to store them in "
                         "(default gemini-web)")
    cookies.add_argument("--file", required=True, help="the cookies.txt file (a JSON export works too)")
    cookies.add_argument("--keep-all", action="store_true",
                         help="store every cookie, not only the google.com sign-in cookies")


def _vault_parser(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="vault_command", metavar="<action>", required=True)
    sub.add_parser("start", help="set up (first time) and start the local vault; loopback only")
    sub.add_parser("stop", help="stop the local vault server (it starts again on demand)")
    status = sub.add_parser("status", help="whether it is set up and running, where, and its data folder")
    status.add_argument("--json", action="store_true", help="print one JSON object")


def _swarm_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", nargs="+", help="the task to split and run")
    p.add_argument("-m", "--model", help="provider/model for the orchestrator and every sub-agent")
    p.add_argument("--strategy", choices=("auto", "domain", "data", "stage", "none"), default="auto",
                   help="how to decompose the task (default auto; none: one sub-agent)")
    p.add_argument("--max-subagents", type=_at_most_100, help="at most this many subtasks (1-100, default 100)")
    p.add_argument("--max-steps", type=_positive, help="model steps per sub-agent (default 100)")
    p.add_argument("--timeout", type=_positive, metavar="SECS", help="time limit per sub-agent (default 600)")
    p.add_argument("--json", action="store_true", help="print the SwarmResult as JSON")
    p.add_argument("--no-worktree", action="store_true",
                   help="run every sub-agent in this directory instead of its own git worktree")
    p.add_argument("--execution-mode", choices=("local", "k8s", "kubernetes", "kubernetes-pod", "pod"), default=None,
                   help="local: asyncio tasks in this process (default); k8s (kubernetes, kubernetes-pod, pod): "
                        "each sub-agent in its own Kubernetes pod (needs the k8s extra and a cluster)")
    p.add_argument("--k8s-pod-budget", type=_positive, metavar="N", help="pod mode: at most N pods at once (default 8)")
    p.add_argument("--k8s-image", metavar="IMAGE", help="pod mode: the sub-agent image (default "
                   "codetether-agent:<version>)")
    add_sandbox_flags(p)


def _swarm_subagent_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--payload-env", required=True, metavar="VAR",
                   help="the environment variable holding the base64 JSON subtask payload")


def _at_most_100(text: str) -> int:
    value = _positive(text)
    if value > 100:
        raise argparse.ArgumentTypeError(f"at most 100 sub-agents, got {value}")
    return value


def _rlm_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", nargs="*", help="the question")
    p.add_argument("-f", "--file", action="extend", nargs="+", default=[], metavar="PATH",
                   help="files or globs (src/**/*.rs) to analyse, as many as a shell glob expands to; "
                        "concatenated with headers")
    p.add_argument("--content", metavar="TEXT", help="the text to analyse; - reads standard input")
    p.add_argument("-m", "--model", help="provider/model, e.g. moonshotai/kimi-k2.5")
    p.add_argument("--max-iterations", type=_positive, default=15, help="root model replies at most (15)")
    p.add_argument("--content-type", choices=("auto", "code", "logs", "conversation", "documents"),
                   default="auto", help="how to chunk the context (default: detected)")
    p.add_argument("--json", action="store_true", help="print one JSON object: answer, iterations, "
                   "sub_queries, stats")


def _ralph_parser(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="ralph_command", metavar="<action>", required=True)
    create = sub.add_parser("create-prd", help="write a PRD template, or let a model draft the stories (--from)")
    create.add_argument("--feature", required=True, help="the feature the PRD describes")
    create.add_argument("--project-name", required=True, help="the project's name")
    create.add_argument("-o", "--output", default="prd.json", help="where to write it (default prd.json)")
    create.add_argument("--from", dest="from_text", metavar="DESCRIPTION",
                        help="have the model draft the user stories from this description")
    create.add_argument("-m", "--model", help="provider/model for --from")
    create.add_argument("--force", action="store_true", help="overwrite an existing file")
    run = sub.add_parser("run", help="implement the PRD story by story until every story passes")
    run.add_argument("-p", "--prd", default="prd.json", help="the PRD file (default prd.json)")
    run.add_argument("-m", "--model", help="provider/model, e.g. moonshotai/kimi-k2.5")
    run.add_argument("--max-iterations", type=_positive, default=10, help="at most this many stories tried (10)")
    run.add_argument("--max-steps", type=_positive, default=50, help="model steps per iteration (default 50)")
    run.add_argument("--check-timeout", type=_positive, default=600, metavar="SECS",
                     help="timeout of each quality check (default 600)")
    run.add_argument("--json", action="store_true", help="print a JSON summary on stdout at the end")
    run.add_argument("-y", "--yes", action="store_true",
                     help="approve every action a [permission] rule would ask about (deny rules still apply)")
    add_sandbox_flags(run)
    status = sub.add_parser("status", help="each story's state, attempts and last failure")
    status.add_argument("-p", "--prd", default="prd.json", help="the PRD file (default prd.json)")
    status.add_argument("--json", action="store_true", help="print one JSON object")


def _serve_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("-p", "--port", type=_port, default=4096, help="port to listen on (default 4096; 0: any free)")
    p.add_argument("--hostname", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; beyond loopback needs CODETETHER_AUTH_TOKEN)")
    p.add_argument("--public-url", metavar="URL", help="base URL the agent card advertises (default: from the bind)")
    p.add_argument("--max-wait", type=_positive_float, default=600.0, metavar="SECS",
                   help="a blocking SendMessage returns the task, still working, after this long (default 600)")
    p.add_argument("--max-body-mb", type=_positive, default=32, metavar="MB",
                   help="refuse request bodies larger than this with 413 (default 32)")
    p.add_argument("-m", "--model", help="provider/model for every task, e.g. moonshotai/kimi-k2.5")
    p.add_argument("--agent", choices=("build", "plan", "explore"), default="build",
                   help="the agent that runs each task (default build)")
    p.add_argument("--max-steps", type=_positive, help="stop each task after this many model steps")
    p.add_argument("-y", "--yes", action="store_true",
                   help="approve every action a [permission] rule would ask about (deny rules still apply)")
    add_sandbox_flags(p)


def _a2a_parser(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="a2a_command", metavar="<action>", required=True)
    card = sub.add_parser("card", help="fetch and show an agent's card")
    card.add_argument("url", help="the agent's base URL, e.g. http://127.0.0.1:4096")
    send = sub.add_parser("send", help="send a task and print the answer")
    send.add_argument("url", help="the agent's base URL, e.g. http://127.0.0.1:4096")
    send.add_argument("message", nargs="+", help="the task")
    send.add_argument("--stream", action="store_true", help="show progress as it streams (SSE)")
    send.add_argument("--context-id", help="continue that conversation (printed after each answer) as a new task")
    for q in (card, send):
        q.add_argument("--token", help="bearer token for the agent (default: $CODETETHER_TOKEN)")
        q.add_argument("--json", action="store_true", help="print JSON (with --stream: one event per line)")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected more than 0 seconds, got {text}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, got {value}")
    return value


def _sessions_parser(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="sessions_command", metavar="<action>", required=True)
    ls = sub.add_parser("list", help="this project's sessions, newest first")
    ls.add_argument("--all", action="store_true", help="sessions of every project")
    ls.add_argument("--json", action="store_true", help="print a JSON array")
    ls.add_argument("--limit", type=_positive, default=50, help="at most this many (default 50)")
    show = sub.add_parser("show", help="a session's turns, usage and messages")
    show.add_argument("id", help="session id or unique prefix")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    export = sub.add_parser("export", help="the whole session as JSON")
    export.add_argument("id", help="session id or unique prefix")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    export.add_argument("--replay", action="store_true",
                        help="a replay bundle instead: what `sessions replay` needs to re-run it on a fresh clone, "
                             "secrets redacted")
    delete = sub.add_parser("delete", help="delete a session and everything recorded with it")
    delete.add_argument("id", help="session id or unique prefix")
    undo = sub.add_parser("undo", help="restore the files the last turn(s) changed")
    undo.add_argument("id", nargs="?", help="session id or prefix (default: this project's latest session)")
    undo.add_argument("--turns", type=_positive, default=1, help="how many turns to undo (default 1)")
    replay = sub.add_parser("replay", help="re-run a session's tool calls in a fresh copy of its workspace, the "
                                           "model answered from the recording; report the first differing result")
    replay.add_argument("id", nargs="?", help="session id or unique prefix, or a bundle's FILE.json")
    replay.add_argument("--bundle", metavar="FILE", help="replay a bundle from `sessions export --replay`")
    replay.add_argument("--until", type=_positive, metavar="TURN", help="replay turns 1..TURN only")
    replay.add_argument("--against", metavar="WORKSPACE",
                        help="replay in a copy of WORKSPACE instead of the session's starting state (a bundle: "
                             "the repository to check its starting commit out of; default: this directory's)")
    replay.add_argument("--json", action="store_true", help="print the report as one JSON object")


def _model_flags(p: argparse.ArgumentParser, default_agent: str | None = None) -> None:
    p.add_argument("-m", "--model", help="provider/model, e.g. moonshotai/kimi-k2.5")
    p.add_argument("--agent", choices=("build", "plan", "explore"), default=default_agent,
                   help="run the tool loop as this agent" + ("" if default_agent else " (default: chat, no tools)"))
    p.add_argument("--max-steps", type=_positive, help="stop after this many model steps")
    p.add_argument("--no-stream", action="store_true", help="ask the provider for whole responses, not a stream")
    p.add_argument("-y", "--yes", action="store_true",
                   help="approve every action a [permission] rule would ask about (deny rules still apply)")
    add_sandbox_flags(p)
    resume = p.add_mutually_exclusive_group()
    resume.add_argument("-c", "--continue", dest="continue_session", action="store_true",
                        help="continue this project's most recent session")
    resume.add_argument("-s", "--session", metavar="ID", help="continue the session with this id (or id prefix)")


def _acp_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--log-file", metavar="PATH", help="write the log here instead of stderr (stdout carries only "
                   "protocol messages)")
    p.add_argument("--verbose", action="store_true", help="log every step (debug level)")
    p.add_argument("--login", metavar="PROVIDER", help="sign in and exit, as an editor's terminal sign-in runs it: "
                   "codex and copilot run their OAuth flows, any other provider `codetether auth login PROVIDER`")
    p.add_argument("-y", "--yes", action="store_true", help="approve every action a [permission] rule would ask "
                   "about instead of asking the editor (deny rules still apply)")
    add_sandbox_flags(p)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


# In the order `codetether --help` lists them.
BUILDERS = {"run": _run_parser, "tui": _tui_parser, "chat": _chat_parser, "config": _config_parser,
            "sessions": _sessions_parser, "tools": _tools_parser, "serve": _serve_parser, "a2a": _a2a_parser,
            "worker": add_worker_arguments, "ralph": _ralph_parser, "rlm": _rlm_parser, "swarm": _swarm_parser,
            "models": _models_parser, "auth": _auth_parser, "vault": _vault_parser, "mcp": _mcp_parser,
            "acp": _acp_parser}
# Commands a machine runs, not a person: parsed when invoked, never listed.
HIDDEN = {"swarm-subagent": _swarm_subagent_parser}
