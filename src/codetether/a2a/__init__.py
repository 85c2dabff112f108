"""A2A protocol pieces on top of the official a2a-sdk: agent card, task executor, client helpers."""
