"""Give the model a Python function to call: its schema comes from the type hints and the docstring.

    python docs/examples/python_tool.py [WORKSPACE]"""

import asyncio
import os
import sys
from typing import Literal

import codetether

TICKETS = {"BUG-7": "Greeting is misspelled as 'helo' in app.py"}


@codetether.function_tool(read_only=True)
def lookup_ticket(ticket: str, detail: Literal["title", "all"] = "title") -> str:
    """Look up an issue in the team's tracker.

    Args:
        ticket: The ticket id, like BUG-7.
        detail: How much to return.
    """
    if ticket not in TICKETS:
        raise codetether.ToolError(f"no ticket {ticket}; known: {', '.join(TICKETS)}")
    return TICKETS[ticket]


async def main(workspace: str) -> int:
    async with codetether.create_agent(workspace, model=os.environ.get("CODETETHER_MODEL"),
                                       extra_tools=[lookup_ticket]) as agent:
        result = await agent.run("What is BUG-7 about? Use lookup_ticket.")
        print(result.text)
        return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else ".")))
