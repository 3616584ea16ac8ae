"""``benchmarks/RESULTS.md``: one section per CPU model (issue 19). ``--save`` replaces the section of the CPU it
ran on and keeps the others; a section is delimited by ``<!-- cpu: MODEL -->`` and ``<!-- /cpu: MODEL -->``."""

from __future__ import annotations

import re
from pathlib import Path

HEAD = ("# tui-dl benchmark results\n\nOne section per CPU model, each written by `python -m benchmarks --save` on "
        "that CPU (date, machine, figures, targets).\n")


def section(markdown: str, cpu: str) -> str:
    """A run's markdown (:func:`benchmarks.run.render_markdown`) as the section of ``cpu``."""
    lines = markdown.strip("\n").splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    body = "\n".join("#" + x if x.startswith("## ") else x for x in lines).strip("\n")
    return f"<!-- cpu: {cpu} -->\n## {cpu}\n\n{body}\n<!-- /cpu: {cpu} -->"


def save(path: Path, markdown: str, cpu: str) -> str:
    """Write ``markdown`` as ``cpu``'s section of ``path`` (other CPUs' sections kept); returns the new text."""
    cpu = cpu.strip() or "unknown CPU"
    text = path.read_text(encoding="utf-8") if path.is_file() else HEAD
    block = section(markdown, cpu)
    pat = re.compile(rf"<!-- cpu: {re.escape(cpu)} -->.*?<!-- /cpu: {re.escape(cpu)} -->", re.S)
    new = pat.sub(lambda _m: block, text, count=1) if pat.search(text) else text.rstrip("\n") + "\n\n" + block
    path.write_text(new.rstrip("\n") + "\n", encoding="utf-8")
    return new
