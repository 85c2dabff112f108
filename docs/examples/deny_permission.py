"""Decide permission questions in code: with access_mode="ask" every edit asks, and this callback refuses
anything outside docs/ (the model is told, and the file stays as it was).

    python docs/examples/deny_permission.py [WORKSPACE]"""

import asyncio
import os
import sys

import codetether


def approve(request: codetether.ApprovalRequest) -> bool:
    path = str(request.arguments.get("path", ""))
    allowed = path.startswith("docs/")
    print(f"{'allowed' if allowed else 'denied'}: {request.subject} ({request.rule})", file=sys.stderr)
    return allowed


async def main(workspace: str) -> int:
    async with codetether.create_agent(workspace, model=os.environ.get("CODETETHER_MODEL"), access_mode="ask",
                                       approve=approve) as agent:
        result = await agent.run("Rewrite app.py to print 'hello'.")
        print(result.text)
        return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else ".")))
