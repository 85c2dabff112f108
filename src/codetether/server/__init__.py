"""`codetether serve`: the A2A server (Starlette on uvicorn) and its bearer-token auth."""
