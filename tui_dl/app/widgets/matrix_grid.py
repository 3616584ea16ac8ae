"""Small matrices as Rich text, cells right-aligned in a common width, some of them styled: the conv and pool
labs' input (the sliding window highlighted, the padding dimmed), kernel and output."""

from __future__ import annotations

import math

from rich.console import Group
from rich.table import Table
from rich.text import Text

from tui_dl.core.labs.values import num

Cell = tuple[int, int]


def cell_text(v) -> str:
    """A number as a cell shows it (−∞ for max pooling's padding)."""
    if isinstance(v, float) and math.isinf(v):
        return "−∞" if v < 0 else "∞"
    return num(v, 3)


def matrix_grid(m, styles: dict[Cell, str] | None = None, width: int | None = None) -> Text:
    """The rows of ``m`` as text; ``styles[(r, c)]`` styles one cell (and the space before it when the cell to its
    left has the same style, so a highlighted window reads as one block)."""
    styles = styles or {}
    cells = [[cell_text(v) for v in row] for row in m]
    width = width or max((len(c) for row in cells for c in row), default=1)
    out = Text(no_wrap=True)
    for r, row in enumerate(cells):
        if r:
            out.append("\n")
        for c, s in enumerate(row):
            style = styles.get((r, c), "")
            out.append(" ", style=style if c and style and styles.get((r, c - 1)) == style else "")
            out.append(s.rjust(width), style=style)
    return out


def titled(title: str, body, style: str = "bold") -> Group:
    return Group(Text(title, style=style, no_wrap=True, overflow="ellipsis"), body)


def side_by_side(*parts, gap: int = 3) -> Table:
    """Renderables in one row, each as wide as it needs, ``gap`` columns apart."""
    grid = Table.grid(padding=(0, gap, 0, 0))
    for _ in parts:
        grid.add_column(no_wrap=True)
    grid.add_row(*parts)
    return grid
