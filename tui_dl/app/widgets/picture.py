"""Images drawn with half blocks (``▀``: the upper pixel is the foreground, the lower the background), laid out as
tiles with captions: the gallery, the feature maps, the adversarial examples.

The cells come from :func:`tui_dl.core.pictures.half_blocks`; here they become styled text. In a terminal
without truecolour each colour is first moved to the nearest of the xterm 256-colour palette
(:func:`~tui_dl.core.pictures.xterm256`: grey images keep the 24-level grey ramp); without colour at all (NO_COLOR,
a monochrome terminal) the picture is drawn with shade characters.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.message import Message
from textual.widget import Widget

from tui_dl.core.pictures import Cell, half_blocks, shade_rows, xterm256, xterm256_rgb

#: How a picture is coloured: "truecolor", "256" (the xterm palette) or "none" (shade characters).
MODES = ("truecolor", "256", "none")

_STYLES: dict[tuple, Style] = {}


def color_mode(app) -> str:
    """The picture mode for this terminal: truecolour, the 256-colour palette, or no colour."""
    if os.environ.get("NO_COLOR"):
        return "none"
    system = getattr(getattr(app, "console", None), "color_system", "truecolor")
    if system is None:
        return "none"
    return "truecolor" if system == "truecolor" else "256"


def _hex(rgb, mode: str) -> str:
    if mode == "256":
        rgb = xterm256_rgb(xterm256(rgb))
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _style(fg, bg, mode: str) -> Style:
    key = (fg, bg, mode)
    style = _STYLES.get(key)
    if style is None:
        style = Style(color=_hex(fg, mode) if fg is not None else None,
                      bgcolor=_hex(bg, mode) if bg is not None else None)
        if len(_STYLES) > 20000:
            _STYLES.clear()
        _STYLES[key] = style
    return style


def cells_text(cells: list[list[Cell]], mode: str = "truecolor") -> list[Text]:
    """Half-block cells as one styled line each."""
    lines = []
    for row in cells:
        line = Text(no_wrap=True, end="")
        for c in row:
            line.append(c.char, _style(c.fg, c.bg, mode))
        lines.append(line)
    return lines


def picture_lines(pixels, width: int | None = None, mode: str = "truecolor") -> list[Text]:
    """A picture (rows of grey levels or (r, g, b)) as lines of text, ``width`` pixels across (cells)."""
    if not pixels:
        return []
    if mode == "none":
        return [Text(s, no_wrap=True, end="") for s in shade_rows(pixels, width)]
    return cells_text(half_blocks(pixels, width), mode)


def fit_width(native: int, small: bool) -> int:
    """The width to draw an image of ``native`` pixels across: 14 when small (five tiles in 80 columns), else
    its own width up to 28; tiny maps (5×5 filters) are doubled so that they can be seen."""
    if small:
        return min(14, native) if native >= 10 else min(14, 2 * native)
    return native if 10 <= native <= 28 else (2 * native if native < 10 else 28)


def drawn_height(pixels, width: int) -> int:
    """Pixel rows of a picture drawn ``width`` pixels across (the aspect ratio kept, as ``resize`` does)."""
    h = len(pixels)
    w = len(pixels[0]) if h else 0
    return max(1, round(h * width / w)) if w else 0


@dataclass
class Tile:
    """A picture with caption lines under it."""

    pixels: list
    width: int
    caption: list[Text] = field(default_factory=list)
    key: object = None  # what the tile stands for (a test index)
    #: The half-block cells at ``width`` when they were made already (on a worker thread).
    cells: list | None = None
    _lines: tuple | None = None

    def lines(self, mode: str) -> list[Text]:
        if self._lines is None or self._lines[0] != mode:
            if self.cells is not None and mode != "none":
                self._lines = (mode, cells_text(self.cells, mode))
            else:
                self._lines = (mode, picture_lines(self.pixels, self.width, mode))
        return self._lines[1]


def grid_layout(tiles: list[Tile], width: int, gap: int = 2) -> tuple[int, int, int]:
    """(columns, tile width, tile height) of the tiles laid out in ``width`` columns."""
    if not tiles:
        return 1, 0, 0
    tile_w = max(max(t.width for t in tiles), 1)
    pic_h = max((drawn_height(t.pixels, t.width) + 1) // 2 for t in tiles)
    cap_h = max(len(t.caption) for t in tiles)
    cols = max(1, (width + gap) // (tile_w + gap))
    return cols, tile_w, pic_h + cap_h


def grid_lines(tiles: list[Tile], width: int, cursor: int | None = None, mode: str = "truecolor", gap: int = 2,
               vgap: int = 1) -> list[Text]:
    """The tiles left to right, top to bottom; the caption of tile ``cursor`` is drawn reversed."""
    cols, tile_w, tile_h = grid_layout(tiles, width, gap)
    out: list[Text] = []
    for start in range(0, len(tiles), cols):
        row = tiles[start:start + cols]
        if start:
            out.extend(Text("") for _ in range(vgap))
        for y in range(tile_h):
            line = Text(no_wrap=True, end="")
            for k, tile in enumerate(row):
                if k:
                    line.append(" " * gap)
                pic = tile.lines(mode)
                if y < len(pic):
                    piece = pic[y].copy()
                else:
                    c = y - len(pic)
                    piece = tile.caption[c].copy() if c < len(tile.caption) else Text("")
                    piece.truncate(tile_w, overflow="ellipsis")
                    if start + k == cursor:
                        piece.stylize("reverse bold")
                piece.pad_right(tile_w - piece.cell_len)
                line.append_text(piece)
            out.append(line)
    return out


class TileGrid(Widget):
    """Tiles (pictures with captions) wrapped to the widget's width; clicking one posts :class:`TileGrid.Clicked`."""

    DEFAULT_CSS = """
    TileGrid { height: auto; }
    """

    class Clicked(Message):
        def __init__(self, grid: "TileGrid", index: int, double: bool) -> None:
            super().__init__()
            self.grid = grid
            self.index = index
            self.double = double

        @property
        def control(self) -> "TileGrid":
            return self.grid

    def __init__(self, tiles: list[Tile] | None = None, *, cursor: int | None = None, gap: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.tiles: list[Tile] = list(tiles or [])
        self.cursor = cursor
        self.gap = gap

    def set_tiles(self, tiles: list[Tile], cursor: int | None = None) -> None:
        self.tiles = list(tiles)
        self.cursor = cursor
        self.refresh(layout=True)

    def set_cursor(self, cursor: int | None) -> None:
        self.cursor = cursor
        self.refresh()

    @property
    def columns(self) -> int:
        return grid_layout(self.tiles, self.size.width or 80, self.gap)[0]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        cols, _w, tile_h = grid_layout(self.tiles, width, self.gap)
        rows = -(-len(self.tiles) // cols) if self.tiles else 0
        return max(1, rows * tile_h + max(0, rows - 1))

    def render(self):
        if not self.tiles:
            return Text("")
        return Text("\n", no_wrap=True).join(grid_lines(self.tiles, self.size.width or 80, self.cursor,
                                                        color_mode(self.app), self.gap))

    def tile_region(self, index: int) -> Region:
        """Where tile ``index`` is, relative to the widget (to scroll it into view)."""
        cols, tile_w, tile_h = grid_layout(self.tiles, self.size.width or 80, self.gap)
        r, c = divmod(index, cols)
        return Region(c * (tile_w + self.gap), r * (tile_h + 1), tile_w, tile_h)

    def tile_at(self, x: int, y: int) -> int | None:
        cols, tile_w, tile_h = grid_layout(self.tiles, self.size.width or 80, self.gap)
        if tile_h == 0:
            return None
        r, ry = divmod(y, tile_h + 1)
        c, cx = divmod(x, tile_w + self.gap)
        if ry >= tile_h or cx >= tile_w or c >= cols:
            return None
        i = r * cols + c
        return i if 0 <= i < len(self.tiles) else None

    def on_click(self, event) -> None:
        i = self.tile_at(event.x, event.y)
        if i is not None:
            self.post_message(self.Clicked(self, i, getattr(event, "chain", 1) >= 2))
