"""Tests of A2A: serve, client mode and the platform worker."""
