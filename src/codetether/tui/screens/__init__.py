"""Screens of the TUI: the main chat screen and its modal pickers and dialogs."""
