"""MCP: `codetether mcp serve` exposes our tools over stdio; configured MCP servers become agent tools."""
