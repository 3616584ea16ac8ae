"""Pictures drawn with text: two pixels per character cell with the upper half block ``▀``.

The upper pixel is the cell's foreground colour, the lower pixel its background colour, so a 28×28 image takes
28 columns × 14 rows (or 14 × 7 downsampled). This works over SSH and inside tmux, where image protocols often do
not. Plain Python (no torch, no Rich): the app turns :class:`Cell` rows into styled text, the command line into
ANSI escapes (``tui_dl/cli/ansi.py``).

An image is a sequence of rows; a pixel is a grey level (an int 0-255) or an ``(r, g, b)`` tuple of ints 0-255.
Without truecolour, :func:`xterm256` picks the nearest of the 256-colour palette (its 24 greys and 6×6×6 cube).
Without colour at all, :func:`shade_rows` draws the grey levels with characters (`` .:-=+*#%@``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence, Union

from tui_dl.core.i18n import _

RGB = tuple[int, int, int]
Pixel = Union[int, RGB]
Image = Sequence[Sequence[Pixel]]

UPPER_HALF = "▀"
#: From dark to light: the characters :func:`shade_rows` draws grey levels with.
SHADES = " .:-=+*#%@"
#: The 6 levels of each channel in the xterm 256-colour cube (indices 16-231), and the 24 greys (232-255).
CUBE_LEVELS = (0, 95, 135, 175, 215, 255)
GREY_LEVELS = tuple(8 + 10 * i for i in range(24))


@dataclass(frozen=True)
class Cell:
    """One character cell: ``char`` drawn in ``fg`` (the upper pixel) on ``bg`` (the lower pixel). ``bg`` is
    None below an image of odd height (the terminal's own background shows)."""

    char: str
    fg: RGB | None
    bg: RGB | None


def _rgb(p: Pixel) -> RGB:
    if isinstance(p, (tuple, list)):
        r, g, b = p
        return (int(r), int(g), int(b))
    v = int(p)
    return (v, v, v)


def to_rgb(image: Image) -> list[list[RGB]]:
    """Every pixel as an ``(r, g, b)`` tuple (a grey level v becomes ``(v, v, v)``)."""
    return [[_rgb(p) for p in row] for row in image]


def _size(image: Image) -> tuple[int, int]:
    h = len(image)
    w = len(image[0]) if h else 0
    if any(len(row) != w for row in image):
        raise ValueError(_("every row of an image must have the same number of pixels"))
    return h, w


def _spans(n_in: int, n_out: int) -> list[tuple[int, int]]:
    """The source range of each output index: whole boxes when shrinking, repeats when growing."""
    out = []
    for i in range(n_out):
        a = (i * n_in) // n_out
        b = max(a + 1, ((i + 1) * n_in) // n_out)
        out.append((a, b))
    return out


def resize(image: Image, width: int, height: int | None = None) -> list[list[RGB]]:
    """The image at ``width`` pixels across (and ``height`` down; by default the same aspect ratio). Shrinking
    averages each box of source pixels (28 → 14 averages 2×2 blocks), growing repeats pixels."""
    h, w = _size(image)
    if width < 1 or (height is not None and height < 1):
        raise ValueError(_("a picture needs at least one pixel across and down"))
    if h == 0 or w == 0:
        return []
    if height is None:
        height = max(1, round(h * width / w))
    rgb = to_rgb(image)
    if (height, width) == (h, w):
        return rgb
    cols, rows = _spans(w, width), _spans(h, height)
    out = []
    for r0, r1 in rows:
        line = []
        for c0, c1 in cols:
            n = (r1 - r0) * (c1 - c0)
            sums = [0, 0, 0]
            for r in range(r0, r1):
                src = rgb[r]
                for c in range(c0, c1):
                    p = src[c]
                    sums[0] += p[0]
                    sums[1] += p[1]
                    sums[2] += p[2]
            line.append(tuple(int(s / n + 0.5) for s in sums))
        out.append(line)
    return out


def half_blocks(image: Image, width: int | None = None) -> list[list[Cell]]:
    """The image as rows of cells, two pixel rows per cell row: ``▀`` with the upper pixel as foreground and
    the lower as background. ``width`` resizes it first (28×28 at width 14 → 14 columns × 7 rows)."""
    rgb = to_rgb(image) if width is None else resize(image, width)
    _size(rgb)
    rows = []
    for r in range(0, len(rgb), 2):
        top = rgb[r]
        bottom = rgb[r + 1] if r + 1 < len(rgb) else [None] * len(top)
        rows.append([Cell(UPPER_HALF, t, b) for t, b in zip(top, bottom)])
    return rows


def blank_cells(width: int, height: int) -> list[list[Cell]]:
    """Spaces on the terminal's background: the gap between pictures laid side by side."""
    return [[Cell(" ", None, None)] * width for _ in range(height)]


def side_by_side(pictures: Sequence[Sequence[Sequence[Cell]]], gap: int = 2) -> list[list[Cell]]:
    """Cell pictures laid left to right with ``gap`` blank columns between them, tops aligned (a shorter one is
    padded with blank rows)."""
    height = max((len(p) for p in pictures), default=0)
    out: list[list[Cell]] = [[] for _ in range(height)]
    for k, pic in enumerate(pictures):
        width = max((len(r) for r in pic), default=0)
        for r in range(height):
            if k and gap:
                out[r].extend([Cell(" ", None, None)] * gap)
            row = list(pic[r]) if r < len(pic) else []
            out[r].extend(row + [Cell(" ", None, None)] * (width - len(row)))
    return out


# ----------------------------------------------------------------------------- colour without truecolour


def _nearest(v: int, levels: Sequence[int]) -> int:
    return min(range(len(levels)), key=lambda i: (abs(levels[i] - v), i))


def xterm256(rgb: RGB) -> int:
    """The index (16-255) of the nearest colour in the xterm 256-colour palette: the nearest of the 6×6×6 cube
    and of the 24-level grey ramp, whichever is closer. Greys land on the ramp (or on the cube's black and
    white), so a grey image keeps 26 levels."""
    r, g, b = _rgb(rgb)
    ir, ig, ib = (_nearest(v, CUBE_LEVELS) for v in (r, g, b))
    cube = (CUBE_LEVELS[ir], CUBE_LEVELS[ig], CUBE_LEVELS[ib])
    grey_i = min(23, max(0, int(round(((r + g + b) / 3 - 8) / 10))))
    grey = GREY_LEVELS[grey_i]

    def dist(c: RGB) -> int:
        return (c[0] - r) ** 2 + (c[1] - g) ** 2 + (c[2] - b) ** 2

    if dist((grey, grey, grey)) < dist(cube):
        return 232 + grey_i
    return 16 + 36 * ir + 6 * ig + ib


def xterm256_rgb(index: int) -> RGB:
    """What a palette index from :func:`xterm256` shows (16-231 the cube, 232-255 the greys)."""
    if 232 <= index <= 255:
        v = GREY_LEVELS[index - 232]
        return (v, v, v)
    if 16 <= index <= 231:
        i = index - 16
        return (CUBE_LEVELS[i // 36], CUBE_LEVELS[(i // 6) % 6], CUBE_LEVELS[i % 6])
    raise ValueError(_("{index} is not one of the palette's colours 16-255").format(index=index))


def luminance(p: Pixel) -> float:
    """Perceived brightness 0-255 (ITU-R BT.601 weights)."""
    r, g, b = _rgb(p)
    return 0.299 * r + 0.587 * g + 0.114 * b


def shade_rows(image: Image, width: int | None = None) -> list[str]:
    """The image as text without colour: one character per pixel across and per two pixels down (their mean
    brightness), from ``SHADES``. For pipes, files and NO_COLOR."""
    rgb = to_rgb(image) if width is None else resize(image, width)
    out = []
    top_n = len(SHADES) - 1
    for r in range(0, len(rgb), 2):
        pair = rgb[r:r + 2]
        line = []
        for c in range(len(pair[0])):
            v = sum(luminance(row[c]) for row in pair) / len(pair)
            line.append(SHADES[min(top_n, int(v / 256 * len(SHADES)))])
        out.append("".join(line))
    return out


# ----------------------------------------------------------------------------- numbers as pictures


def grey_levels(values: Sequence[Sequence[float]], lo: float | None = None, hi: float | None = None
                ) -> list[list[int]]:
    """A grid of numbers (a feature map, a filter) as grey levels: ``lo`` (default the smallest value) black,
    ``hi`` (default the largest) white. A constant grid is mid-grey."""
    flat = [float(v) for row in values for v in row if math.isfinite(float(v))]
    lo = min(flat) if lo is None and flat else (0.0 if lo is None else lo)
    hi = max(flat) if hi is None and flat else (1.0 if hi is None else hi)
    span = hi - lo
    out = []
    for row in values:
        line = []
        for v in row:
            v = float(v)
            if not math.isfinite(v):
                line.append(0)
            elif span <= 0:
                line.append(128)
            else:
                line.append(max(0, min(255, int(round((v - lo) / span * 255)))))
        out.append(line)
    return out


#: Colours of :func:`signs_rgb`: a pixel pushed up (+ε), pushed down (−ε), left alone; a step the clamp to
#: [0, 1] cut is drawn in the dim shade of its direction (colours of the 256-colour cube, so they survive
#: without truecolour).
SIGN_UP: RGB = (235, 90, 60)
SIGN_DOWN: RGB = (70, 130, 235)
SIGN_ZERO: RGB = (40, 40, 40)
SIGN_UP_CUT: RGB = (135, 0, 0)
SIGN_DOWN_CUT: RGB = (0, 0, 135)


def signs_rgb(signs: Sequence[Sequence[float]], cut: Sequence[Sequence[bool]] | None = None) -> list[list[RGB]]:
    """The sign of a perturbation as colours: positive ``SIGN_UP`` (red), negative ``SIGN_DOWN`` (blue), zero
    ``SIGN_ZERO``; where ``cut`` is true (the clamp to [0, 1] removed the step, e.g. a black pixel pushed
    darker) the dim shade of the same colour, ``SIGN_UP_CUT`` or ``SIGN_DOWN_CUT``."""
    out = []
    for r, row in enumerate(signs):
        line = []
        for c, v in enumerate(row):
            was_cut = cut is not None and bool(cut[r][c])
            if v > 0:
                line.append(SIGN_UP_CUT if was_cut else SIGN_UP)
            elif v < 0:
                line.append(SIGN_DOWN_CUT if was_cut else SIGN_DOWN)
            else:
                line.append(SIGN_ZERO)
        out.append(line)
    return out


def sign_chars(signs: Sequence[Sequence[float]], cut: Sequence[Sequence[bool]] | None = None) -> list[str]:
    """The sign of a perturbation as text without colour, one character per pixel across and per two pixels
    down: ``+`` (pushed up), ``-`` (pushed down), ``·`` where the clamp cut a step, blank where nothing moved."""
    out = []
    for r in range(0, len(signs), 2):
        rows = range(r, min(r + 2, len(signs)))
        line = []
        for c in range(len(signs[r])):
            total, was_cut = 0, False
            for i in rows:
                if cut is not None and cut[i][c]:
                    was_cut = True
                elif signs[i][c] > 0:
                    total += 1
                elif signs[i][c] < 0:
                    total -= 1
            line.append("+" if total > 0 else "-" if total < 0 else "·" if was_cut else " ")
        out.append("".join(line))
    return out
