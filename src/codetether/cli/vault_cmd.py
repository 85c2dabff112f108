"""`codetether vault start|stop|status`: the local OpenBao codetether manages when VAULT_ADDR is not set."""

from __future__ import annotations

import argparse
import json
import os


def execute(args: argparse.Namespace) -> int:
    from codetether.secrets.local_vault import LocalVault, status_dict

    vault = LocalVault()
    if args.vault_command == "start":
        addr = vault.ensure_running(initialise=True)
        print(f"The local vault is running at {addr} (pid {vault.status().pid}); its data is in {vault.home}.")
    elif args.vault_command == "stop":
        pid = vault.stop()
        print(f"Stopped the local vault (pid {pid})." if pid else "The local vault is not running.")
    else:
        status = vault.status()
        if args.json:
            print(json.dumps(status_dict(status)))
            return 0
        state = ("running at " + f"{status.addr} (pid {status.pid}{', sealed' if status.sealed else ''})"
                 if status.running else "stopped (started on demand)")
        print(f"local vault: {status.home}\n"
              f"  set up:  {'yes' if status.initialised else 'no (codetether auth login PROVIDER sets it up)'}\n"
              f"  server:  {state}")
    if os.environ.get("VAULT_ADDR", "").strip():
        print(f"note: VAULT_ADDR is set ({os.environ['VAULT_ADDR'].strip()}): codetether reads that Vault, "
              "not the local one.")
    return 0
