"""Perpetual cognition (Phase 0) under `codetether serve`: personas, a thought loop, bounded buffers, a thinker."""
