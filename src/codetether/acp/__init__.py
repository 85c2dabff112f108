"""`codetether acp`: the Agent Client Protocol (JSON-RPC over stdio) for editors, on the official Python SDK.

Each ACP session is a SessionRun (the one agent loop, assembled as every front end assembles it); this package
only translates: prompts in, agent events out as `session/update`, approvals as `session/request_permission`.
"""
