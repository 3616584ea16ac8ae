"""The README's troubleshooting table ("When things go wrong") lists every exit code of tui_dl/cli/exit_codes.py,
and names no code that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

from tui_dl.cli import exit_codes

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_exit_code_is_in_the_troubleshooting_table():
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## When things go wrong\n", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("| ")]
    listed = {int(m.group(1)) for line in table if (m := re.match(r"\| (\d+) \|", line))}
    codes = {v for k, v in vars(exit_codes).items() if k.startswith("EXIT_")}
    assert codes and listed == codes, (sorted(codes), sorted(listed))
    for code in codes:  # each with at least one failure and what it prints
        rows = [line for line in table if line.startswith(f"| {code} |")]
        assert all(line.count("|") >= 4 and line.split("|")[3].strip() for line in rows), rows
