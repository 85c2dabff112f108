"""Tests of `codetether serve`, the A2A client commands and the a2a tool."""
