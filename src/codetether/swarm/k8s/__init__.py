"""Kubernetes pod mode: each sub-agent in its own pod (spec §8.3); the client library loads only in this mode."""
