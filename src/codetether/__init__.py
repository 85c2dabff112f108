"""CodeTether Agent: a terminal AI coding agent with first-class A2A support."""

__version__ = "0.1.0"
