"""The agent loop, written once and driven by run, tui, swarm, ralph and A2A tasks."""
