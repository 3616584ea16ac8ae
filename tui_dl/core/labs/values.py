"""The numbers a lab reads and writes: parsing a vector or matrix typed by a student, and printing a number the
way the course writes it (``19``, not ``19.0``; a negative factor in brackets: ``(-1)×2``).

Plain Python. Integers stay integers, so a convolution of integer matrices is exact.
"""

from __future__ import annotations

import math
import re

from tui_dl.core.i18n import _, ngettext

Number = int | float
Matrix = list[list[Number]]


class LabError(ValueError):
    """Input a lab cannot use. ``str(e)`` says what is wrong and what to do; ``field`` names the input at fault
    (``"input"``, ``"kernel"``, ``"stride"``...), so a front end can point at it (the CLI prints ``--input``)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


_INT = re.compile(r"^[+-]?\d+$")


def parse_number(token: str, field: str | None = None) -> Number:
    """``"3"`` → 3, ``"-0.5"`` → -0.5, ``"1e-3"`` → 0.001; anything else (or inf/nan) raises :class:`LabError`."""
    t = token.strip().replace("−", "-")
    if _INT.match(t):
        return int(t)
    try:
        v = float(t)
    except ValueError:
        raise LabError(_("{value} is not a number").format(value=repr(token)), field) from None
    if not math.isfinite(v):
        raise LabError(_("{value} is not a finite number").format(value=repr(token)), field)
    return v


def parse_vector(text: str | list | tuple, field: str | None = None) -> list[Number]:
    """``"1 2 3"`` or ``"1,2,3"`` (or a list of numbers, or one number) → ``[1, 2, 3]``; at least one number."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        values = [_check_number(text, field)]
    elif isinstance(text, (list, tuple)):
        values = [_check_number(v, field) for v in text]
    else:
        tokens = [t for t in re.split(r"[\s,]+", text.strip()) if t]
        values = [parse_number(t, field) for t in tokens]
    if not values:
        raise LabError(_("needs at least one number (e.g. \"1 2 3\")"), field)
    return values


def parse_matrix(text: str | list, field: str | None = None) -> Matrix:
    """``"0 1 2; 3 4 5"`` (rows split by ``;`` or new lines, values by spaces or commas) → a list of rows, every row
    the same length. A list of lists is checked the same way."""
    if isinstance(text, list):
        rows = [[_check_number(v, field) for v in row] for row in text]
    else:
        lines = [ln for ln in re.split(r"[;\n]", text.strip()) if ln.strip()]
        rows = [parse_vector(ln, field) for ln in lines]
    if not rows or not rows[0]:
        raise LabError(_("needs a matrix, rows separated by ';' (e.g. \"0 1 2; 3 4 5\")"), field)
    for i, row in enumerate(rows):
        if len(row) != len(rows[0]):
            raise LabError(ngettext(
                "row {row} has {n} value but row 1 has {first}: give every row the same number of values (rows "
                "separated by ';')",
                "row {row} has {n} values but row 1 has {first}: give every row the same number of values (rows "
                "separated by ';')", len(row)).format(row=i + 1, n=len(row), first=len(rows[0])), field)
    return rows


def parse_channels(text: str | list, field: str | None = None) -> list[Matrix]:
    """Channels separated by ``|``: ``"1 2; 3 4 | 5 6; 7 8"`` → two 2×2 matrices (one matrix: one channel)."""
    if isinstance(text, list) and text and isinstance(text[0], list) and text[0] and isinstance(text[0][0], list):
        chans = [parse_matrix(c, field) for c in text]
    elif isinstance(text, list):
        chans = [parse_matrix(text, field)]
    else:
        chans = [parse_matrix(part, field) for part in text.split("|")]
    shape = (len(chans[0]), len(chans[0][0]))
    for c, m in enumerate(chans):
        if (len(m), len(m[0])) != shape:
            raise LabError(_("channel {c} is {h}×{w} but channel 1 is {h1}×{w1}: every channel (separated by '|') "
                             "needs the same size").format(c=c + 1, h=len(m), w=len(m[0]), h1=shape[0], w1=shape[1]),
                           field)
    return chans


def _check_number(v, field) -> Number:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise LabError(_("{value} is not a number").format(value=repr(v)), field)
    if isinstance(v, float) and not math.isfinite(v):
        raise LabError(_("{value} is not a finite number").format(value=repr(v)), field)
    return v


def num(v: Number, digits: int = 4) -> str:
    """A number as the worked text shows it: integers bare (``19``), others to ``digits`` significant digits."""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e12:
        return str(int(v))
    s = f"{v:.{digits}g}"
    return "0" if s in ("-0", "0") else s


def factor(v: Number, digits: int = 4) -> str:
    """A number as a factor in a product: negatives in brackets, ``(-1)``."""
    s = num(v, digits)
    return f"({s})" if s.startswith("-") else s


def matrix_text(m: Matrix, digits: int = 4) -> list[str]:
    """Rows of a matrix as right-aligned text lines."""
    cells = [[num(v, digits) for v in row] for row in m]
    width = max((len(c) for row in cells for c in row), default=1)
    return [" ".join(c.rjust(width) for c in row) for row in cells]
