"""Swarm: decompose a task into subtasks and run them as parallel sub-agents of the one agent loop."""
