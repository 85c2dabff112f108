from codetether.cli import entry

entry()
