"""``--help`` wrapped by terminal cells, so a Chinese help text fits the terminal.

argparse wraps its help with :mod:`textwrap`, which counts characters (a Chinese character takes two cells) and
breaks lines only at spaces (Chinese has none): a Chinese help line ran to 117 cells in an 80-column terminal.
:class:`CellHelpFormatter` wraps text that is not ASCII by cells, breaking between Chinese characters and at
spaces, never before closing punctuation (，。）…) nor after opening punctuation (（“…). ASCII text is wrapped
by argparse itself, so the English help is byte for byte what it was.
"""

from __future__ import annotations

import argparse

from tui_dl.core.i18n import text_width, wrap_cells

__all__ = ["CellHelpFormatter", "CellRawDescriptionHelpFormatter", "wrap_cells"]

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
