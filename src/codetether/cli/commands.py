"""The command table: shared by the fast --help and the argparse parser, so they never disagree."""

COMMANDS: tuple[tuple[str, str], ...] = (
    ("run", "Run one prompt (chat; with --agent, the full tool loop) and print the answer"),
    ("tui", "Interactive terminal UI in the project (the default on a terminal without a server)"),
    ("chat", "Interactive line-mode agent session (the default when input or output is not a terminal)"),
    ("config", "Show, initialise or change the configuration file"),
    ("sessions", "List, show, export or delete recorded sessions, and undo their file changes"),
    ("tools", "List the tools agents can call, with their descriptions and parameter schemas"),
    ("serve", "Serve this project as an A2A agent (JSON-RPC + agent card) for other agents"),
    ("a2a", "Talk to another A2A agent: show its card or send it a task"),
    ("worker", "Process tasks from the CodeTether platform (the default with --server or CODETETHER_SERVER)"),
    ("ralph", "Autonomous PRD-driven loop: create-prd, run (story by story, checked and committed), status"),
    ("rlm", "Answer a question over files or text larger than any context window (recursive LM analysis)"),
    ("swarm", "Split a task into subtasks and run them as parallel sub-agents in git worktrees, merged back"),
    ("models", "List each provider's models with context window, price and whether a key is in Vault"),
    ("auth", "Store a provider's credentials in Vault: login (an API key), copilot (GitHub device flow), codex "
             "(ChatGPT), cookies (browser cookies, e.g. gemini-web)"),
    ("vault", "The local vault used when VAULT_ADDR is not set: start, stop, status"),
    ("mcp", "Model Context Protocol: `mcp serve` offers this project's tools to MCP clients over stdio"),
    ("acp", "Agent Client Protocol on stdio: editors (Zed, JetBrains, Neovim) run CodeTether as their agent"),
)

DESCRIPTION = "CodeTether Agent: a terminal AI coding agent with first-class A2A support."


def top_level_help(prog: str = "codetether") -> str:
    width = max(len(name) for name, _ in COMMANDS)
    lines = [f"usage: {prog} [-h] [--version] <command> ...", "", DESCRIPTION, "", "commands:"]
    lines += [f"  {name.ljust(width)}  {summary}" for name, summary in COMMANDS]
    lines += ["", "options:", "  -h, --help  show this help message and exit",
              "  --version   show the version and exit",
              "  -s, --server URL  with no command: run as a platform worker (also CODETETHER_SERVER)", "",
              f"Run '{prog} <command> --help' for a command's options. Store a key: codetether auth login PROVIDER"]
    return "\n".join(lines)
