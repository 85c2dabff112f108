"""The README's Ralph section states the same defaults as `codetether ralph run`'s flags."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_ralph_defaults_match_the_parser():
    from codetether.cli.parser import build_parser

    args = build_parser(["ralph"]).parse_args(["ralph", "run"])
    section = README.read_text().split("### Ralph", 1)[1].split("\n### ", 1)[0]
    stated = {"max_iterations": r"`--max-iterations` \((\d+)\)", "max_steps": r"`--max-steps`, (\d+)\)",
              "check_timeout": r"`--check-timeout`, (\d+) s"}
    for name, pattern in stated.items():
        found = re.search(pattern, section)
        assert found, f"the README's Ralph section does not state the {name} default"
        assert int(found.group(1)) == getattr(args, name), name
