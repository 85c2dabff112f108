#!/bin/sh
# The kernel sandbox every command the agent starts runs in needs bubblewrap (README "Security model").
# Installed here when this user can (root with apt-get, dnf or pacman); otherwise say how, once.
command -v bwrap >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq bubblewrap) >/dev/null 2>&1
  elif command -v dnf >/dev/null 2>&1; then
    dnf install -y -q bubblewrap >/dev/null 2>&1
  elif command -v pacman >/dev/null 2>&1; then
    pacman -S --noconfirm bubblewrap >/dev/null 2>&1
  fi
fi
command -v bwrap >/dev/null 2>&1 && exit 0
echo "note: bubblewrap (bwrap) is not installed: the agent will refuse to run commands until it is" >&2
echo "      (sudo apt install bubblewrap), or run them unsandboxed with --access-mode full" >&2
exit 0
