"""ANSI escapes for the half-block pictures of :mod:`tui_dl.core.pictures`: truecolour when the terminal says it
has it (``COLORTERM=truecolor`` or ``24bit``), else the nearest of the 256-colour palette."""

from __future__ import annotations

import os
from typing import Mapping, Sequence

from tui_dl.core.pictures import Cell, xterm256

RESET = "\x1b[0m"


def has_truecolor(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("COLORTERM", "").strip().lower() in ("truecolor", "24bit")


def _colour(rgb, ground: int, truecolor: bool) -> str:
    """``ground`` 38 for the foreground, 48 for the background."""
    if rgb is None:
        return f"\x1b[{ground + 1}m"  # 39 / 49: the terminal's default
    if truecolor:
        return f"\x1b[{ground};2;{rgb[0]};{rgb[1]};{rgb[2]}m"
    return f"\x1b[{ground};5;{xterm256(rgb)}m"


def ansi_lines(rows: Sequence[Sequence[Cell]], truecolor: bool | None = None) -> list[str]:
    """One string per cell row, colours set only where they change, each line ending with a reset."""
    tc = has_truecolor() if truecolor is None else truecolor
    out = []
    for row in rows:
        parts, fg, bg = [], object(), object()
        for cell in row:
            if cell.fg != fg:
                parts.append(_colour(cell.fg, 38, tc))
                fg = cell.fg
            if cell.bg != bg:
                parts.append(_colour(cell.bg, 48, tc))
                bg = cell.bg
            parts.append(cell.char)
        out.append("".join(parts) + RESET)
    return out
