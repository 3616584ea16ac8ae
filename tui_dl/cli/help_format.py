"""``--help`` wrapped by terminal cells, so a Chinese help text fits the terminal.

argparse wraps its help with :mod:`textwrap`, which counts characters (a Chinese character takes two cells) and
breaks lines only at spaces (Chinese has none): a Chinese help line ran to 117 cells in an 80-column terminal.
:class:`CellHelpFormatter` wraps text that is not ASCII by cells, breaking between Chinese characters and at
spaces, never before closing punctuation (，。）…) nor after opening punctuation (（“…). ASCII text is wrapped
by argparse itself, so the English help is byte for byte what it was.
"""

from __future__ import annotations

import argparse
import re

from tui_dl.core.i18n import char_width, text_width

#: punctuation a line may not start with (it closes what came before)
_CLOSING = set("，。；：、！？）》」』】”’…·,.;:!?)]}%")
#: punctuation a line may not end with (it opens what comes after)
_OPENING = set("（《「『【“‘([{")
_TOKEN = re.compile(r"\s+|[^\s]")


def _wide(ch: str) -> bool:
    return char_width(ch) == 2


def _units(text: str) -> list[str]:
    """``text`` cut where a line may break: words of narrow characters, single wide characters and spaces, with
    closing punctuation glued to what precedes it and opening punctuation to what follows."""
    units: list[str] = []
    for m in _TOKEN.finditer(text):
        c = m.group()
        if c.isspace():
            units.append(" ")
            continue
        prev = units[-1] if units and units[-1] != " " else ""
        if prev and (c in _CLOSING or prev[-1] in _OPENING or not (_wide(c) or _wide(prev[-1]))):
            units[-1] += c
        else:
            units.append(c)
    return units


def wrap_cells(text: str, width: int) -> list[str]:
    """``text`` (its whitespace collapsed) in lines of at most ``width`` terminal cells (a longer word stays
    whole on its own line)."""
    width = max(width, 2)
    lines: list[str] = []
    line, used = "", 0
    for unit in _units(" ".join(text.split())):
        if unit == " ":
            if line:
                line, used = line + " ", used + 1
            continue
        w = text_width(unit)
        if line and used + w > width:
            lines.append(line.rstrip())
            line, used = "", 0
        line, used = line + unit, used + w
    if line.strip():
        lines.append(line.rstrip())
    return lines


class CellHelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, wrapping non-ASCII text by terminal cells (see the module's docstring)."""

    def _format_usage(self, usage, actions, groups, prefix):
        # argparse indents the usage's continuation lines by len(prefix) characters; "用法: " is 4 characters
        # but 5 cells. Format with an ASCII stand-in as wide as the prefix, then put the prefix back.
        if prefix is None:
            prefix = argparse._("usage: ")
        if prefix.isascii():
            return super()._format_usage(usage, actions, groups, prefix)
        stand_in = "u" * text_width(prefix)
        text = super()._format_usage(usage, actions, groups, stand_in)
        return text.replace(stand_in, prefix, 1)

    def _split_lines(self, text, width):
        if text.isascii():
            return super()._split_lines(text, width)
        return wrap_cells(text, width)

    def _fill_text(self, text, width, indent):
        if text.isascii():
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line for line in wrap_cells(text, width - text_width(indent)))


class CellRawDescriptionHelpFormatter(CellHelpFormatter):
    """:class:`CellHelpFormatter` that keeps the description and epilog as written (a table stays a table)."""

    def _fill_text(self, text, width, indent):
        return "".join(indent + line for line in text.splitlines(keepends=True))
