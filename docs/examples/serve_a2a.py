"""Serve a workspace's agent over A2A from code, and send it a task with the A2A client.

    python docs/examples/serve_a2a.py [WORKSPACE]

Other agents (or `codetether a2a send URL "..."`) can reach it while it runs; here one task is sent to it."""

import asyncio
import os
import sys

import codetether


async def main(workspace: str) -> int:
    async with codetether.serve_a2a(workspace, model=os.environ.get("CODETETHER_MODEL"), agent="explore") as server:
        print(f"serving on {server.url}", file=sys.stderr)
        reply = await codetether.send_message(server.url, "What does app.py print?")
        print(reply.text)
        print(f"[task {reply.task_id}: {reply.state}; context {reply.context_id}]", file=sys.stderr)
        return 0 if reply.ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else ".")))
