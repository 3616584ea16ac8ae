"""Plain-text tables for the command line, measured in terminal cells (a Chinese character takes two)."""

from __future__ import annotations

from tui_dl.core.i18n import rjust, text_width


def aligned(rows: list[list[str]]) -> list[str]:
    """Rows of cells right-aligned in columns two spaces apart, measured in terminal cells (a Chinese header is
    two cells a character)."""
    widths = [max(text_width(r[c]) for r in rows) for c in range(len(rows[0]))]
    return ["  ".join(rjust(cell, widths[c]) for c, cell in enumerate(r)) for r in rows]
