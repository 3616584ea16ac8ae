"""A 2-D loss surface as a heat map in text, with contour dots where the level changes, and paths drawn over it
(the optimizers lab). One character per cell; y grows upwards. The surface's values come from its own ``f``
(the core's); this widget only maps them to shades."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from rich.text import Text
from textual.color import Color
from textual.widget import Widget

Point = tuple[float, float]
LEVELS = 9


@dataclass
class MapPath:
    """A path: its points, colour (r, g, b), its letter, and how far it has gone (``upto``: the index of the
    current point, drawn as the letter; the points after it are drawn faint)."""

    points: list[Point]
    color: tuple[int, int, int]
    letter: str
    upto: int | None = None
    style: str = ""  #: extra style of the letter ("underline")


class SurfaceMap(Widget):
    DEFAULT_CSS = "SurfaceMap { width: 1fr; height: 1fr; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.f: Callable[[float, float], float] | None = None
        self.box = (-1.0, 1.0, -1.0, 1.0)
        self.minima: tuple[Point, ...] = ()
        self.start: Point | None = None
        self.paths: list[MapPath] = []

    def show(self, f, box, minima=(), start: Point | None = None, paths: list[MapPath] | None = None) -> None:
        self.f, self.box, self.minima, self.start = f, tuple(box), tuple(minima), start
        self.paths = list(paths or [])
        self.refresh()

    def cell(self, p: Point, w: int, h: int) -> tuple[int, int] | None:
        """The (column, row) of a point, or None outside the box."""
        x0, x1, y0, y1 = self.box
        x, y = p
        if not (math.isfinite(x) and math.isfinite(y)) or not (x0 <= x <= x1 and y0 <= y <= y1):
            return None
        col = min(w - 1, int((x - x0) / (x1 - x0) * w))
        row = min(h - 1, int((y1 - y) / (y1 - y0) * h))
        return col, row

    def _levels(self, w: int, h: int) -> list[list[int]]:
        x0, x1, y0, y1 = self.box
        vals = [[self.f(x0 + (i + 0.5) / w * (x1 - x0), y1 - (j + 0.5) / h * (y1 - y0)) for i in range(w)]
                for j in range(h)]
        lo = min(min(r) for r in vals)
        top = math.log1p(max(max(r) for r in vals) - lo) or 1.0
        return [[min(LEVELS - 1, int(math.log1p(v - lo) / top * LEVELS)) for v in r] for r in vals]

    def render(self):
        w, h = self.size.width, self.size.height
        if self.f is None or w < 4 or h < 2:
            return Text("")
        theme = self.app.current_theme
        base = Color.parse(theme.surface or ("#1e1e1e" if theme.dark else "#f0f0f0"))
        hot = Color.parse(theme.primary or "#0178D4")
        fg = Color.parse(theme.foreground or ("#e0e0e0" if theme.dark else "#202020"))
        reach = 0.6 if theme.dark else 0.4  # the darkest shade: dark enough to see, light enough for the paths
        shades = [base.blend(hot, 0.06 + reach * k / (LEVELS - 1)) for k in range(LEVELS)]
        levels = self._levels(w, h)
        chars = [[" "] * w for _ in range(h)]
        styles: list[list[str]] = [[""] * w for _ in range(h)]
        dots = base.blend(fg, 0.35).hex
        for j in range(h):
            for i in range(w):
                lv = levels[j][i]
                if (i + 1 < w and levels[j][i + 1] != lv) or (j + 1 < h and levels[j + 1][i] != lv):
                    chars[j][i], styles[j][i] = "·", dots
        for path in self.paths:
            bright = Color(*path.color)
            faint = base.blend(bright, 0.55).hex
            upto = len(path.points) - 1 if path.upto is None else path.upto
            segments = list(zip(path.points, path.points[1:]))
            # the path still to come first (faint), then the path so far over it
            for i in [*range(upto, len(segments)), *range(upto)]:
                ahead = i >= upto
                for cell in self._segment(*segments[i], w, h):
                    chars[cell[1]][cell[0]] = "·" if ahead else "•"
                    styles[cell[1]][cell[0]] = faint if ahead else bright.hex
        for m in self.minima:
            if (cell := self.cell(m, w, h)) is not None:
                chars[cell[1]][cell[0]], styles[cell[1]][cell[0]] = "★", f"bold {fg.hex}"
        if self.start is not None and (cell := self.cell(self.start, w, h)) is not None:
            chars[cell[1]][cell[0]], styles[cell[1]][cell[0]] = "◆", f"bold {fg.hex}"
        for path in self.paths:
            upto = len(path.points) - 1 if path.upto is None else min(path.upto, len(path.points) - 1)
            if path.points and (cell := self.cell(path.points[upto], w, h)) is not None:
                chars[cell[1]][cell[0]] = path.letter
                styles[cell[1]][cell[0]] = f"bold {path.style} {Color(*path.color).hex}".replace("  ", " ")
        out = Text(no_wrap=True, overflow="crop")
        for j in range(h):
            if j:
                out.append("\n")
            for i in range(w):
                out.append(chars[j][i], style=f"{styles[j][i]} on {shades[levels[j][i]].hex}".strip())
        return out

    def _segment(self, a: Point, b: Point, w: int, h: int):
        """The cells a straight line from a to b crosses (both ends inside the box)."""
        ca, cb = self.cell(a, w, h), self.cell(b, w, h)
        if ca is None or cb is None:
            return [c for c in (ca, cb) if c is not None]
        n = max(abs(cb[0] - ca[0]), abs(cb[1] - ca[1]), 1)
        return [(round(ca[0] + (cb[0] - ca[0]) * t / n), round(ca[1] + (cb[1] - ca[1]) * t / n))
                for t in range(n + 1)]
