"""The command table: shared by the fast --help and the argparse parser, so they never disagree."""

COMMANDS: tuple[tuple[str, str], ...] = (
    ("run", "Run one prompt (chat; with --agent, the full tool loop) and print the answer"),
    ("chat", "Interactive line-mode agent session in the current project (also the default)"),
    ("config", "Show, initialise or change the configuration file"),
    ("sessions", "List, show, export or delete recorded sessions, and undo their file changes"),
)

DESCRIPTION = "CodeTether Agent: a terminal AI coding agent with first-class A2A support."


def top_level_help(prog: str = "codetether") -> str:
    width = max(len(name) for name, _ in COMMANDS)
    lines = [f"usage: {prog} [-h] [--version] <command> ...", "", DESCRIPTION, "", "commands:"]
    lines += [f"  {name.ljust(width)}  {summary}" for name, summary in COMMANDS]
    lines += ["", "options:", "  -h, --help  show this help message and exit",
              "  --version   show the version and exit", "",
              f"Run '{prog} <command> --help' for a command's options. Secrets come from Vault: VAULT_ADDR, VAULT_TOKEN."]
    return "\n".join(lines)
