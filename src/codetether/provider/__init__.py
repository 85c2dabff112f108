"""LLM providers: one message model, one client policy, one module per wire dialect."""
