"""Tools the model can call: one module per tool, its description in a .txt beside it."""
