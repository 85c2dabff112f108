"""Stream an agent's events as they happen: text as it arrives, each tool call and its result.

    python docs/examples/stream_events.py [WORKSPACE]"""

import asyncio
import os
import sys

import codetether


async def main(workspace: str) -> int:
    async with codetether.create_agent(workspace, model=os.environ.get("CODETETHER_MODEL"),
                                       agent="explore") as agent:
        async for event in agent.stream("What does app.py print?"):
            match event:
                case codetether.TextChunk(text=text):
                    print(text, end="", flush=True)
                case codetether.ToolCallStarted(name=name, arguments=arguments):
                    print(f"\n-> {name} {arguments}", file=sys.stderr)
                case codetether.ToolCallCompleted(name=name, success=ok, output=output):
                    print(f"<- {name} {'ok' if ok else 'failed'}: {output.splitlines()[0] if output else ''}",
                          file=sys.stderr)
                case codetether.RunCompleted(exit_reason=reason):
                    print(f"\n[{reason}]", file=sys.stderr)
                    return reason.exit_code
    return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else ".")))
