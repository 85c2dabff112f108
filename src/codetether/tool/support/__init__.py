"""What the tools share: file access, permission rules, schemas, text edits, tool names, fitting output."""
