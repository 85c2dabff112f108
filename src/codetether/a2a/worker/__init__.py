"""Worker mode: connect to the CodeTether platform, take tasks over SSE (or polling) and run them (spec §11)."""
