"""RLM: answer questions over contexts larger than any window by letting the model explore them with commands."""
