"""Provider secrets: read from a Vault KV v2 store, optionally from the environment, never shown."""
