"""A small Language Server Protocol client: JSON-RPC over stdio and a per-project server manager."""
