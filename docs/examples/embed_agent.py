"""Embed an agent: run one prompt in a workspace and print the answer.

    python docs/examples/embed_agent.py [WORKSPACE]

The model is CODETETHER_MODEL ("provider/model") or your configured default; its key comes from Vault, as
for the `codetether` command."""

import asyncio
import os
import sys

import codetether


async def main(workspace: str) -> int:
    async with codetether.create_agent(workspace, model=os.environ.get("CODETETHER_MODEL")) as agent:
        result = await agent.run("Fix the typo in app.py, then run it.")
        print(result.text)
        print(f"[{result.exit_reason}, {result.steps} steps, session {result.session_id}]", file=sys.stderr)
        return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else ".")))
